"""`oversight serve --demo`: the demo database is built when missing, and demo users are made
with passwords printed once."""

from __future__ import annotations

import re
import sqlite3

import pytest


def test_demo_users_are_created_once(site, tmp_path, capsys):
    from nhs_oversight.cli.web import _demo_users
    from nhs_oversight.store import open_store
    from nhs_oversight.store.users import list_users, verify_password

    db = tmp_path / "copy.sqlite"
    # through SQLite (never a file copy: closing another handle on the file would drop this
    # process's SQLite locks on it)
    source, target = sqlite3.connect(site.db), sqlite3.connect(db)
    try:
        source.backup(target)
    finally:
        source.close()
        target.close()
    engine = open_store(str(db))
    _demo_users(engine)
    first = capsys.readouterr().out
    passwords = dict(re.findall(r"Demo user (\S+) .*password (\S+)", first))
    assert set(passwords) == {"demo-analyst", "demo-viewer", "demo-trust"}
    assert verify_password(engine, "demo-analyst", passwords["demo-analyst"]) is not None
    roles = {u["name"]: (u["role"], u["org_code"]) for u in list_users(engine)}
    assert roles["demo-trust"][0] == "trust" and roles["demo-trust"][1]
    assert "users token demo-analyst" in first
    _demo_users(engine)
    again = capsys.readouterr().out
    assert not re.findall(r"password \S+$", again, re.M) and "exists" in again


def test_demo_database_is_built_when_missing(monkeypatch, tmp_path):
    from nhs_oversight.cli.web import _demo_database
    from nhs_oversight.store import is_empty, open_store

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    url = _demo_database()
    assert str(tmp_path) in url and not is_empty(open_store(url))
    assert _demo_database() == url  # found, not rebuilt


def test_no_server_for_a_missing_or_empty_database(tmp_path):
    from nhs_oversight.errors import OversightError
    from nhs_oversight.store import StoreError
    from nhs_oversight.web import create_app

    with pytest.raises((OversightError, StoreError)):
        create_app(str(tmp_path / "none.sqlite"))
