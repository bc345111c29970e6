"""A folder streamed into the store (duplicate keys found in SQL) is refused with exactly the
problems of the folder read into memory (duplicate keys found by pandas): the same list, in the
same order, the same count beyond the cap."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from nhs_oversight.cli import app
from nhs_oversight.inputs import MAX_PROBLEMS, InputError, read_data_folder, readers
from nhs_oversight.inputs.stream import FolderStream
from nhs_oversight.rulebooks import RulebookLibrary
from nhs_oversight.store.load import check_stream

from ..conftest import INFECTIONS, write_folder

runner = CliRunner()


def _problems(exc: InputError) -> tuple[list[tuple], int]:
    return [(p.file, p.row, p.column, p.message) for p in exc.items], exc.problems.total


def _many_problems(folder: Path) -> Path:
    """Problems of every kind, more than the cap, duplicates across chunks among them."""
    rows = [f"RTH,mrsa,20{y:02d}-{m:02d},trust,1" for y in range(10, 20) for m in range(1, 13)]
    rows[5] = "RTH,mrsa,2010-13,trust,1"  # a month that does not exist...
    rows[40] = "RTH,mrsa,2010-13,trust,2"  # ...twice: a duplicate key with a refused cell
    rows[50] = "RTH,mrsa,,trust,2"  # an empty key cell: the same key as a refused one
    rows += [f"ZZ{i},mrsa,2012-04,trust,1" for i in range(150)]  # unknown organisations
    rows += [f"RTH,mrsa,20{y:02d}-{m:02d},trust,-1" for y in range(10, 14) for m in range(1, 13)]  # duplicates
    rows += ["5QJ,mrsa,2012-04,trust,99999999"]  # a PCT's trust count, implausible
    cases = "case_id,organism,specimen_date,admission_date,reporting_org,responsible_org\n"
    cases += "c1,mrsa,2012-07-01,2012-07-05,RTH,5QJ\nc1,mrsa,2012-07-01,,5QJ,RTH\n"
    objectives = "org_code,organism,financial_year,objective_cases,q1,q2,q3,q4\nRTH,cdiff,2012-13,77,20,36,,\n"
    return write_folder(
        folder,
        infections="org_code,organism,month,apportionment,cases\n" + "\n".join(rows) + "\n",
        cases=cases,
        objectives=objectives,
        denominators="org_code,financial_year,bed_days,population\nRTH,2012-13,x,\nRTH,2012-13,1,\n",
    )


def test_streamed_problems_are_those_of_the_whole_folder(
    tmp_path: Path, library: RulebookLibrary, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _many_problems(tmp_path / "many")
    monkeypatch.setattr(readers, "CHUNK_ROWS", 7)  # both in the same chunks: a cell's problems come chunk by chunk
    with pytest.raises(InputError) as whole:
        read_data_folder(folder, library)
    items, total = _problems(whole.value)
    assert total > len(items) == MAX_PROBLEMS
    with pytest.raises(InputError) as streamed:
        check_stream(FolderStream(folder, library))
    assert _problems(streamed.value) == (items, total)
    nan = "duplicate key (org_code=RTH, organism=mrsa, month=nan, apportionment=trust): the same key is on row 7"
    assert [row for _, row, _, m in items if m == nan] == [42, 52]


def test_a_clean_stream_reports_its_rows(tmp_path: Path, good_folder: Path, library: RulebookLibrary) -> None:
    assert check_stream(FolderStream(good_folder, library)) == {"organisations": 3, "infections": 7, "denominators": 3}


def test_a_dry_run_finds_duplicates_across_chunks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = write_folder(tmp_path / "dup", infections=INFECTIONS + "RTH,mrsa,2012-04,trust,3\n")
    monkeypatch.setattr(readers, "CHUNK_ROWS", 2)
    db = tmp_path / "dry.sqlite"
    result = runner.invoke(app, ["import", str(folder), "--db", str(db), "--dry-run"])
    assert result.exit_code == 1
    assert "infections.csv, row 9, column org_code: duplicate key" in result.output
    assert "the same key is on row 2" in result.output
    assert not db.exists()


@pytest.mark.parametrize(("columns", "rows"), [(1, 100_000), (5, 100_000), (19, 26_315), (10**7, 1)])
def test_wide_files_are_read_in_fewer_rows(columns: int, rows: int) -> None:
    assert readers.chunk_rows(columns) == rows
    assert readers.chunk_rows(columns) * min(columns, readers.CHUNK_CELLS) <= readers.CHUNK_CELLS
