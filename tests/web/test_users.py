"""`oversight users add|token|list|remove`: roles, tokens shown once and stored as hashes."""

from __future__ import annotations

import hashlib

import sqlalchemy as sa
from typer.testing import CliRunner

from nhs_oversight.cli import app as cli

from .conftest import OWN, run_cli


def _invoke(*args: str, input: str | None = None):
    return CliRunner().invoke(cli, list(args), input=input)


def test_add_token_list_remove(site, client):
    db = str(site.db)
    out = run_cli("users", "add", "cli-trust", "--role", "trust", "--org", OWN.lower(), "--db", db)
    password = out.strip().splitlines()[-1].split(": ", 1)[1]
    assert len(password) >= 20
    token = run_cli("users", "token", "cli-trust", "--db", db).strip().splitlines()[-1]
    assert len(token) >= 40
    assert client.get("/api/me", headers={"Authorization": f"Bearer {token}"}).json()["org"] == OWN
    engine = sa.create_engine(f"sqlite:///{db}")
    with engine.connect() as conn:
        hashes = set(conn.execute(sa.text("SELECT token_hash FROM web_tokens")).scalars())
        stored = conn.execute(sa.text("SELECT password_hash FROM web_users WHERE name='cli-trust'")).scalar_one()
    assert hashlib.sha256(token.encode()).hexdigest() in hashes and token not in hashes
    assert stored.startswith("$argon2id$") and password not in stored
    listing = run_cli("users", "list", "--db", db)
    assert "cli-trust" in listing and "trust" in listing and OWN in listing
    assert token not in listing and password not in listing
    run_cli("users", "remove", "cli-trust", "--db", db)
    assert client.get("/api/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert "cli-trust" not in run_cli("users", "list", "--db", db)


def test_password_from_stdin(site, client):
    db = str(site.db)
    out = run_cli(
        "users", "add", "cli-stdin", "--role", "viewer", "--password-stdin", "--db", db, input="a long passphrase\n"
    )
    assert "a long passphrase" not in out
    from nhs_oversight.store import open_store
    from nhs_oversight.store.users import verify_password

    assert verify_password(open_store(db), "cli-stdin", "a long passphrase") is not None
    assert verify_password(open_store(db), "cli-stdin", "a long passphras") is None


def test_refusals(site):
    db = str(site.db)
    assert _invoke("users", "add", "x1", "--role", "trust", "--db", db).exit_code == 2
    assert _invoke("users", "add", "x2", "--role", "trust", "--org", "ZZ9", "--db", db).exit_code == 2
    assert _invoke("users", "add", "x3", "--role", "analyst", "--org", OWN, "--db", db).exit_code == 2
    assert _invoke("users", "add", "x4", "--role", "admin", "--db", db).exit_code == 2
    assert _invoke("users", "add", "ann", "--role", "viewer", "--db", db).exit_code == 2  # taken
    assert _invoke("users", "token", "nobody", "--db", db).exit_code == 1
    assert _invoke("users", "remove", "nobody", "--db", db).exit_code == 1


def test_removing_a_user_keeps_their_decisions(site, client):
    db = str(site.db)
    run_cli("users", "add", "cli-dora", "--role", "analyst", "--db", db)
    token = run_cli("users", "token", "cli-dora", "--db", db).strip().splitlines()[-1]
    body = {"org_code": OWN, "quarter": "2012-13-Q1", "action": "accept", "reason": "Kept after removal"}
    assert client.post("/api/decisions", json=body, headers={"Authorization": f"Bearer {token}"}).status_code == 201
    run_cli("users", "remove", "cli-dora", "--db", db)
    log = client.get(f"/api/decisions?org={OWN}", headers=site.headers("viewer")).json()["rows"]
    assert any(d["decided_by"] == "cli-dora" for d in log)
