"""Streaming imports (issue 11): a folder written chunk by chunk as it is read gives what the
whole-folder import gives, finds duplicate keys across chunks, merges as the old in-Python
merge did, holds no more than a chunk at a time, and writes nothing when any chunk fails.

Every test that takes ``engine_url`` runs on SQLite and on PostgreSQL (``tests/backends.py``).
"""

from __future__ import annotations

import datetime as dt
import gc
import weakref
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from nhs_oversight.demo.generate import generate_demo
from nhs_oversight.inputs import DataSet, InputError, read_data_folder, readers
from nhs_oversight.inputs import stream as stream_module
from nhs_oversight.inputs.stream import WHOLE_TABLES, FolderStream
from nhs_oversight.rulebooks import RulebookLibrary
from nhs_oversight.service.usecases import import_folder
from nhs_oversight.store import data_version, import_log, load_dataset, memory_store, open_store, read_table
from nhs_oversight.store import load as load_module
from nhs_oversight.store.load import DatabaseAppeared, load_stream, load_stream_into_new
from nhs_oversight.store.tables import DATA_TABLES

from ..conftest import INFECTIONS, write_folder

FIXED = lambda: dt.datetime(2026, 1, 1, tzinfo=dt.UTC)  # noqa: E731
HEADER = "org_code,organism,month,apportionment,cases\n"


@pytest.fixture(scope="module")
def demo_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo's national-size folder: every table, case-level reports included."""
    folder = tmp_path_factory.mktemp("demo")
    generate_demo(folder)
    return folder


def _all_rows(engine) -> dict[str, list]:
    return {name: sorted(map(tuple, read_table(engine, name).astype(str).values)) for name in DATA_TABLES}


def _state(engine) -> tuple:
    """Everything an import may change: the data, the import log, the data version."""
    return _all_rows(engine), len(import_log(engine)), data_version(engine)


def _copy(folder: Path, to: Path) -> Path:
    to.mkdir()
    for path in folder.glob("*.csv"):
        (to / path.name).write_text(path.read_text())
    return to


def _problems(exc: InputError) -> tuple[list[tuple], int]:
    return [(p.file, p.row, p.column, p.message) for p in exc.items], exc.problems.total


def test_a_streamed_import_writes_what_the_whole_import_writes(
    engine_url: str, demo_folder: Path, library: RulebookLibrary, monkeypatch: pytest.MonkeyPatch
) -> None:
    whole = memory_store()
    expected = load_dataset(whole, read_data_folder(demo_folder, library), clock=FIXED)
    monkeypatch.setattr(readers, "CHUNK_ROWS", 997)  # every big table in many chunks
    engine = open_store(engine_url, create=True)
    got = load_stream(engine, FolderStream(demo_folder, library), clock=FIXED)
    assert (got.inserted, got.updated, got.rows) == (expected.inserted, expected.updated, expected.rows)
    assert list(got.rows) == list(expected.rows)  # the order of the report
    assert _all_rows(engine) == _all_rows(whole)
    columns = ["table", "file", "rows", "sha256"]
    pd.testing.assert_frame_equal(import_log(engine)[columns], import_log(whole)[columns])
    again = load_stream(engine, FolderStream(demo_folder, library), clock=FIXED)
    assert again.total_inserted == 0 and again.total_updated == 0


def test_duplicates_across_chunk_boundaries_name_their_rows(
    engine_url: str, tmp_path: Path, good_folder: Path, library: RulebookLibrary, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = open_store(engine_url, create=True)
    load_stream(engine, FolderStream(good_folder, library))
    before = _state(engine)
    months = [f"2012-{m:02d}" for m in range(4, 13)]
    rows = [f"RTH,mrsa,{m},trust,1" for m in months]  # rows 2-10
    rows.append("RTH,mrsa,2012-05,trust,2")  # row 11: the key of row 3
    rows[7] = "RTH,mrsa,2012-04,trust,3"  # row 9: the key of row 2
    rows.append("RTH,mrsa,2012-05,trust,4")  # row 12: the key of row 3 again
    folder = write_folder(tmp_path / "dup", infections=HEADER + "\n".join(rows) + "\n")
    with pytest.raises(InputError) as whole:
        read_data_folder(folder, library)
    monkeypatch.setattr(readers, "CHUNK_ROWS", 3)  # chunks of rows 2-4, 5-7, 8-10, 11-12
    with pytest.raises(InputError) as streamed:
        load_stream(engine, FolderStream(folder, library), replace=True)
    assert _problems(streamed.value) == _problems(whole.value)
    key = "duplicate key (org_code=RTH, organism=mrsa, month={}, apportionment=trust): the same key is on row {}"
    assert _problems(streamed.value) == (
        [
            ("infections.csv", 9, "org_code", key.format("2012-04", 2)),
            ("infections.csv", 11, "org_code", key.format("2012-05", 3)),
            ("infections.csv", 12, "org_code", key.format("2012-05", 3)),
        ],
        3,
    )
    assert _state(engine) == before


@pytest.mark.parametrize("replace", [False, True])
@pytest.mark.parametrize("last", ["infections", "events"])
def test_a_problem_in_the_last_chunk_writes_nothing(
    engine_url: str,
    tmp_path: Path,
    governance_folder: Path,
    library: RulebookLibrary,
    monkeypatch: pytest.MonkeyPatch,
    replace: bool,
    last: str,
) -> None:
    engine = open_store(engine_url, create=True)
    load_stream(engine, FolderStream(governance_folder, library))
    before = _state(engine)
    folder = _copy(governance_folder, tmp_path / "late")
    inf = pd.read_csv(folder / "infections.csv", dtype=str)
    changed = inf.assign(cases=(inf["cases"].astype(int) + 1).astype(str))
    if last == "infections":
        changed.loc[len(changed) - 1, "cases"] = "-1"
    else:
        events = (folder / "events.csv").read_text().splitlines()
        events[-1] = events[-1].replace(events[-1].split(",")[2], "2012-02-30")  # an impossible date
        (folder / "events.csv").write_text("\n".join(events) + "\n")
    changed.to_csv(folder / "infections.csv", index=False)
    monkeypatch.setattr(readers, "CHUNK_ROWS", 2)
    with pytest.raises(InputError) as refused:
        load_stream(engine, FolderStream(folder, library), replace=replace)
    assert [p.file for p in refused.value.items] == [f"{last}.csv"]
    assert _state(engine) == before


def test_a_refused_folder_leaves_no_new_database_behind(tmp_path: Path, library: RulebookLibrary) -> None:
    bad = write_folder(tmp_path / "bad", infections=INFECTIONS + "RTH,mrsa,2012-06,trust,-1\n")
    target = tmp_path / "new" / "deeper" / "db.sqlite"
    with pytest.raises(InputError):
        load_stream_into_new(f"sqlite:///{target}", FolderStream(bad, library))
    assert not (tmp_path / "new").exists()


def test_a_new_database_created_meanwhile_is_merged_into(
    tmp_path: Path, good_folder: Path, library: RulebookLibrary
) -> None:
    """Two first imports into the same new database take turns: the one that finds the
    database already there when it is done imports again, into it."""
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    other = write_folder(
        tmp_path / "other", infections=INFECTIONS.replace("RTH,mrsa,2012-04,trust,2", "RTH,mrsa,2012-04,trust,8")
    )
    said: list[str] = []

    def meanwhile(message: str) -> None:
        said.append(message)
        if message == "Writing organisations" and said.count(message) == 1:
            load_dataset(open_store(url, create=True), read_data_folder(other, library))

    report = import_folder(good_folder, url, library, progress=meanwhile)
    assert report.import_id == 2
    assert dict(zip(report.result.table["table"], report.result.table["updated"]))["infections"] == 1
    assert said.count("Writing organisations") == 2
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    with pytest.raises(DatabaseAppeared):
        load_stream_into_new(url, FolderStream(good_folder, library))
    assert len(import_log(open_store(url))["import_id"].unique()) == 2


def _reference_merge(before: dict[str, pd.DataFrame], data: DataSet) -> tuple[dict, dict]:
    """The merge as the store did it before issue 11: every existing key in a dict, each of
    the folder's rows compared with it in Python."""
    inserted, updated = {}, {}
    for name, frame in data.tables.items():
        table = DATA_TABLES[name]
        keys = [c.name for c in table.primary_key.columns]
        others = [c.name for c in table.columns if c.name not in keys]

        def tuples(f: pd.DataFrame, cols: list[str]) -> list[tuple[Any, ...]]:
            obj = f[cols].astype(object)
            return list(obj.where(obj.notna(), None).itertuples(index=False, name=None))

        existing = dict(zip(tuples(before[name], keys), tuples(before[name], others)))
        ins = upd = 0
        for key, values in zip(tuples(frame, keys), tuples(frame, others)):
            if key not in existing:
                ins += 1
            elif existing[key] != values:
                upd += 1
        inserted[name], updated[name] = ins, upd
    return inserted, updated


def _edit(folder: Path, name: str, edit: Any) -> None:
    path = folder / f"{name}.csv"
    edit(pd.read_csv(path, dtype=str, keep_default_na=False)).to_csv(path, index=False)


def test_merge_counts_are_those_of_the_old_merge(
    engine_url: str, tmp_path: Path, governance_folder: Path, library: RulebookLibrary
) -> None:
    base = _copy(governance_folder, tmp_path / "base")
    _edit(base, "organisations", lambda f: f.assign(region="North"))
    _edit(base, "events", lambda f: f.assign(value=["", "3"]))
    engine = open_store(engine_url, create=True)
    load_stream(engine, FolderStream(base, library))
    folder = _copy(base, tmp_path / "changed")

    def organisations(f: pd.DataFrame) -> pd.DataFrame:  # a region emptied, one changed, a new organisation
        f.loc[0, "region"], f.loc[1, "region"] = "", "Somewhere New"
        return pd.concat([f, f.iloc[[2]].assign(code="RZZ", name="New Trust")])

    def infections(f: pd.DataFrame) -> pd.DataFrame:  # a count changed, a new month, the rest as they were
        f.loc[0, "cases"] = str(int(str(f.at[0, "cases"])) + 5)
        return pd.concat([f, f.iloc[[1]].assign(month="2015-03")])

    def indicators(f: pd.DataFrame) -> pd.DataFrame:  # a flag flipped
        f.loc[0, "met"] = "false" if str(f.at[0, "met"]).lower() == "true" else "true"
        return f

    def events(f: pd.DataFrame) -> pd.DataFrame:  # an empty number given, a date moved
        f.loc[0, "value"], f.loc[1, "date"] = "7.5", "2011-01-01"
        return f

    for name, edit in [("organisations", organisations), ("infections", infections), ("indicators", indicators)]:
        _edit(folder, name, edit)
    _edit(folder, "events", events)
    known = read_table(engine, "organisations")
    data = read_data_folder(folder, library, known_orgs=known)
    expected = _reference_merge({name: read_table(engine, name) for name in DATA_TABLES}, data)
    summary = load_stream(engine, FolderStream(folder, library, known_orgs=known))
    assert (summary.inserted, summary.updated) == expected
    assert (summary.inserted["organisations"], summary.updated["organisations"]) == (1, 2)
    assert (summary.inserted["infections"], summary.updated["infections"]) == (1, 1)
    assert summary.updated["indicators"] == 1 and summary.updated["events"] == 2
    assert summary.total_updated == 6 and summary.total_inserted == 2
    whole = memory_store()
    load_dataset(whole, read_data_folder(base, library))
    load_dataset(whole, data)
    assert _all_rows(engine) == _all_rows(whole)


def test_the_folder_is_held_one_chunk_at_a_time(
    tmp_path: Path, demo_folder: Path, library: RulebookLibrary, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Memory bounded by the chunk, not the folder: every streamed table reaches the store in
    chunks of at most :func:`readers.chunk_rows` rows, and each chunk is gone (no reference
    left anywhere) by the time the next one is read."""
    monkeypatch.setattr(readers, "CHUNK_ROWS", 6000)
    monkeypatch.setattr(readers, "CHUNK_CELLS", 19 * 1000)  # financials.csv, 19 columns: 1,000 rows
    staged: dict[str, list[int]] = {}
    alive: list[weakref.ref] = []
    stage, validate = load_module._stage, stream_module.validate_table

    def none_alive() -> None:
        gc.collect()
        assert [r for r in alive if r() is not None] == [], "an earlier chunk is still held"

    def validating(*args: Any, **kwargs: Any) -> pd.DataFrame:  # reading the next chunk
        none_alive()
        return validate(*args, **kwargs)

    def staging(conn, table, staging, frame, numbered):  # type: ignore[no-untyped-def]
        none_alive()
        if table.name not in WHOLE_TABLES:
            staged.setdefault(table.name, []).append(len(frame))
            alive.append(weakref.ref(frame))
        stage(conn, table, staging, frame, numbered)

    monkeypatch.setattr(stream_module, "validate_table", validating)
    monkeypatch.setattr(load_module, "_stage", staging)
    summary = load_stream(open_store(tmp_path / "db.sqlite", create=True), FolderStream(demo_folder, library))
    width = {p.stem: len(p.open().readline().split(",")) for p in demo_folder.glob("*.csv")}
    for name, sizes in staged.items():
        assert max(sizes) <= readers.chunk_rows(width[name]), name
        assert sum(sizes) == summary.rows[name], name
    assert len(staged["infections"]) >= 10 and max(staged["financials"]) == 1000


def test_the_store_refusing_a_streamed_row_rolls_back(
    engine_url: str, good_folder: Path, library: RulebookLibrary, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A row the database refuses while merging (here past validation) writes nothing."""
    from nhs_oversight.store import StoreError

    engine = open_store(engine_url, create=True)
    load_stream(engine, FolderStream(good_folder, library))
    before = _state(engine)
    real = load_module._stage

    def smuggling(conn, table, staging, frame, numbered):  # type: ignore[no-untyped-def]
        if table.name == "infections":
            frame = frame.assign(org_code="ZZZ")
        real(conn, table, staging, frame, numbered)

    monkeypatch.setattr(load_module, "_stage", smuggling)
    with pytest.raises(StoreError, match="nothing was written"):
        load_stream(engine, FolderStream(good_folder, library), replace=True)
    assert _state(engine) == before
