"""Imports are transactions: all or nothing; re-imports merge without duplicating."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from nhs_oversight.inputs import read_data_folder
from nhs_oversight.store import import_log, load_dataset, open_store, read_table, resolve_db_url
from nhs_oversight.store import load as load_module
from nhs_oversight.store.engine import StoreError

from ..conftest import INFECTIONS, write_folder

FIXED = lambda: dt.datetime(2026, 1, 1, tzinfo=dt.UTC)  # noqa: E731


def _all_rows(engine) -> dict[str, list]:
    from nhs_oversight.store.tables import DATA_TABLES

    return {name: sorted(map(tuple, read_table(engine, name).astype(str).values)) for name in DATA_TABLES}


def test_import_and_read_back(tmp_path: Path, good_folder: Path, library) -> None:
    engine = open_store(tmp_path / "db.sqlite")
    summary = load_dataset(engine, read_data_folder(good_folder, library), clock=FIXED)
    assert summary.inserted == {"organisations": 3, "infections": 7, "denominators": 3}
    inf = read_table(engine, "infections", org_code="RTH", organism="mrsa")
    assert sorted(inf["cases"]) == [1, 2, 4]
    log = import_log(engine)
    assert set(log["file"]) == {"organisations.csv", "infections.csv", "denominators.csv"}
    assert log["sha256"].str.len().eq(64).all()
    assert log.loc[log["file"] == "infections.csv", "rows"].item() == 7


def test_reimport_the_same_data_changes_nothing(tmp_path: Path, good_folder: Path, library) -> None:
    engine = open_store(tmp_path / "db.sqlite")
    data = read_data_folder(good_folder, library)
    load_dataset(engine, data, clock=FIXED)
    before = _all_rows(engine)
    again = load_dataset(engine, data, clock=FIXED)
    assert again.total_inserted == 0 and again.total_updated == 0
    assert _all_rows(engine) == before
    assert import_log(engine)["import_id"].nunique() == 2


def test_reimport_merges_by_key(tmp_path: Path, good_folder: Path, library) -> None:
    engine = open_store(tmp_path / "db.sqlite")
    load_dataset(engine, read_data_folder(good_folder, library), clock=FIXED)
    update = write_folder(
        tmp_path / "update",
        organisations=None,
        denominators=None,
        infections="org_code,organism,month,apportionment,cases\nRTH,mrsa,2012-04,trust,9\nRTH,mrsa,2012-07,trust,1\n",
    )
    summary = load_dataset(engine, read_data_folder(update, library, known_orgs=read_table(engine, "organisations")))
    assert summary.inserted == {"infections": 1} and summary.updated == {"infections": 1}
    inf = read_table(engine, "infections", org_code="RTH", organism="mrsa", apportionment="trust")
    assert dict(zip(inf["month"], inf["cases"])) == {"2012-04": 9, "2012-05": 1, "2012-07": 1}


def test_replace_leaves_exactly_the_folder(tmp_path: Path, good_folder: Path, library) -> None:
    engine = open_store(tmp_path / "db.sqlite")
    load_dataset(engine, read_data_folder(good_folder, library))
    small = write_folder(
        tmp_path / "small", infections="org_code,organism,month,apportionment,cases\nRTH,mrsa,2012-04,trust,2\n"
    )
    load_dataset(engine, read_data_folder(small, library), replace=True)
    assert len(read_table(engine, "infections")) == 1


def test_a_failure_midway_rolls_everything_back(tmp_path: Path, good_folder: Path, library, monkeypatch) -> None:
    engine = open_store(tmp_path / "db.sqlite")
    load_dataset(engine, read_data_folder(good_folder, library), clock=FIXED)
    before = _all_rows(engine)
    log_before = len(import_log(engine))
    changed = write_folder(
        tmp_path / "changed", infections=INFECTIONS.replace("RTH,mrsa,2012-04,trust,2", "RTH,mrsa,2012-04,trust,8")
    )
    real = load_module._write_table
    calls = []

    def failing(conn, table, frame, merge):
        calls.append(table.name)
        if table.name == "denominators":  # after organisations and infections were written
            raise RuntimeError("disk full")
        return real(conn, table, frame, merge)

    monkeypatch.setattr(load_module, "_write_table", failing)
    with pytest.raises(RuntimeError, match="disk full"):
        load_dataset(engine, read_data_folder(changed, library), replace=True)
    assert calls == ["organisations", "infections", "denominators"]
    assert _all_rows(engine) == before
    assert len(import_log(engine)) == log_before


def test_db_urls_and_paths(tmp_path: Path) -> None:
    assert resolve_db_url(str(tmp_path / "x.sqlite")) == f"sqlite:///{tmp_path / 'x.sqlite'}"
    assert resolve_db_url("postgresql+psycopg://u@localhost/db") == "postgresql+psycopg://u@localhost/db"
    assert resolve_db_url(None).endswith("nhs-oversight/oversight.sqlite")
    with pytest.raises(StoreError):
        open_store("nosuchdialect://x")


def test_newer_schema_is_refused_and_older_is_upgraded(tmp_path: Path) -> None:
    from sqlalchemy import inspect, select, text, update

    from nhs_oversight.store.tables import SCHEMA_VERSION, meta

    engine = open_store(tmp_path / "db.sqlite")
    with engine.begin() as conn:
        conn.execute(update(meta).where(meta.c.key == "schema_version").values(value="999"))
    with pytest.raises(StoreError, match="schema version 999"):
        open_store(tmp_path / "db.sqlite")
    # a version-1 database (before decisions existed) gains the new table and keeps its data
    with engine.begin() as conn:
        conn.execute(update(meta).where(meta.c.key == "schema_version").values(value="1"))
        conn.execute(text("DROP TABLE decisions"))
    upgraded = open_store(tmp_path / "db.sqlite")
    assert "decisions" in inspect(upgraded).get_table_names()
    with upgraded.connect() as conn:
        assert conn.execute(select(meta.c.value)).scalar() == str(SCHEMA_VERSION)
