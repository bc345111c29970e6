"""Imports are transactions: all or nothing; re-imports merge without duplicating.

Every test that takes ``engine_url`` runs on SQLite and on PostgreSQL (``tests/backends.py``).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from nhs_oversight.inputs import read_data_folder
from nhs_oversight.store import data_version, import_log, load_dataset, open_store, read_table
from nhs_oversight.store import load as load_module
from nhs_oversight.store.engine import StoreError
from nhs_oversight.store.tables import DATA_TABLES

from ..conftest import INFECTIONS, write_folder

FIXED = lambda: dt.datetime(2026, 1, 1, tzinfo=dt.UTC)  # noqa: E731


def _all_rows(engine) -> dict[str, list]:
    return {name: sorted(map(tuple, read_table(engine, name).astype(str).values)) for name in DATA_TABLES}


def test_import_and_read_back(engine_url: str, good_folder: Path, library) -> None:
    engine = open_store(engine_url, create=True)
    summary = load_dataset(engine, read_data_folder(good_folder, library), clock=FIXED)
    assert summary.inserted == {"organisations": 3, "infections": 7, "denominators": 3}
    inf = read_table(engine, "infections", org_code="RTH", organism="mrsa")
    assert sorted(inf["cases"]) == [1, 2, 4]
    log = import_log(engine)
    assert set(log["file"]) == {"organisations.csv", "infections.csv", "denominators.csv"}
    assert log["sha256"].str.len().eq(64).all()
    assert log.loc[log["file"] == "infections.csv", "rows"].item() == 7


def test_reimport_the_same_data_changes_nothing(engine_url: str, good_folder: Path, library) -> None:
    engine = open_store(engine_url, create=True)
    data = read_data_folder(good_folder, library)
    load_dataset(engine, data, clock=FIXED)
    before = _all_rows(engine)
    again = load_dataset(engine, data, clock=FIXED)
    assert again.total_inserted == 0 and again.total_updated == 0
    assert _all_rows(engine) == before
    assert import_log(engine)["import_id"].nunique() == 2


def test_reimport_merges_by_key(engine_url: str, tmp_path: Path, good_folder: Path, library) -> None:
    engine = open_store(engine_url, create=True)
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


def test_replace_leaves_exactly_the_folder(engine_url: str, tmp_path: Path, good_folder: Path, library) -> None:
    engine = open_store(engine_url, create=True)
    load_dataset(engine, read_data_folder(good_folder, library))
    small = write_folder(
        tmp_path / "small", infections="org_code,organism,month,apportionment,cases\nRTH,mrsa,2012-04,trust,2\n"
    )
    load_dataset(engine, read_data_folder(small, library), replace=True)
    assert len(read_table(engine, "infections")) == 1


def test_a_failure_midway_rolls_everything_back(
    engine_url: str, tmp_path: Path, good_folder: Path, library, monkeypatch
) -> None:
    engine = open_store(engine_url, create=True)
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


def test_the_database_refusing_a_row_leaves_it_unchanged(engine_url: str, good_folder: Path, library) -> None:
    """A row the database itself refuses (here an unknown organisation, past validation)
    rolls the whole import back, on the bulk path of either backend, with one line to act on."""
    engine = open_store(engine_url, create=True)
    load_dataset(engine, read_data_folder(good_folder, library), clock=FIXED)
    before, log_before, version_before = _all_rows(engine), len(import_log(engine)), data_version(engine)
    data = read_data_folder(good_folder, library)
    inf = data.tables["infections"]
    data.tables["infections"] = pd.concat([inf, inf.head(1).assign(org_code="ZZZ", month="2013-03")])
    with pytest.raises(StoreError, match="nothing was written") as refused:
        load_dataset(engine, data, replace=True)
    assert "\n" not in str(refused.value)
    assert _all_rows(engine) == before
    assert len(import_log(engine)) == log_before
    assert data_version(engine) == version_before


def test_every_import_raises_the_data_version(engine_url: str, good_folder: Path, library) -> None:
    engine = open_store(engine_url, create=True)
    assert data_version(engine) == 0
    data = read_data_folder(good_folder, library)
    load_dataset(engine, data)
    load_dataset(engine, data)  # unchanged data still counts: the import log changed
    assert data_version(engine) == 2
    assert data_version(open_store(engine_url)) == 2


def test_bulk_path_round_trips_every_type(engine_url: str, governance_folder: Path, library) -> None:
    """Dates, booleans, missing numbers and text come back as they went in, on both backends."""
    engine = open_store(engine_url, create=True)
    data = read_data_folder(governance_folder, library)
    assert {"events", "indicators", "objectives"} <= set(data.tables)
    load_dataset(engine, data)

    def rows(frame: pd.DataFrame, name: str) -> list[tuple]:
        table = DATA_TABLES[name]
        obj = frame[[c.name for c in table.columns]].astype(object)
        return sorted(obj.where(obj.notna(), None).itertuples(index=False, name=None), key=repr)

    for name, frame in data.tables.items():
        assert rows(read_table(engine, name), name) == rows(frame, name), name


def test_the_import_log_is_in_utc_on_every_backend(engine_url: str, good_folder: Path, library) -> None:
    engine = open_store(engine_url, create=True)
    if engine.dialect.name == "postgresql":  # a server far from UTC: its own zone must not show
        with engine.begin() as conn:
            name = conn.exec_driver_sql("SELECT current_database()").scalar()
            conn.exec_driver_sql(f"ALTER DATABASE \"{name}\" SET timezone TO 'Pacific/Kiritimati'")
        engine.dispose()
    load_dataset(engine, read_data_folder(good_folder, library), clock=FIXED)
    started = import_log(engine)["started_at"].iloc[0]
    assert started == pd.Timestamp(FIXED())
    assert str(started) == "2026-01-01 00:00:00+00:00"
