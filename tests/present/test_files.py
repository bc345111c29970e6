"""Result files: each format round-trips, keeps codes, and a failed write leaves nothing."""

from __future__ import annotations

import errno
import json
import os
from datetime import datetime
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

import nhs_oversight
from nhs_oversight.present import files
from nhs_oversight.present.errors import OutputError, OutputTypeError, redact_url
from nhs_oversight.present.files import OUTPUT_SUFFIXES, write_table

META = {
    "command": "governance",
    "rulebook": "monitor-compliance-2012-13",
    "what_if": {"de_minimis": 6},
    "database": "postgresql://ana:s3cret@db.example/oversight",
}


@pytest.fixture
def frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "org_code": ["RTH", "RXX", "5QJ"],
            "rating": ["amber_red", "green", "red"],
            "score": [2.0, 0.0, np.nan],
            "cases": [3, 1_234_567, 0],
            "escalation": [True, False, False],
            "reason": ["3 trust-apportioned cases ÷ 300,000 bed-days × 100,000 = 1.00", "a" * 90, ""],
        }
    )


def _listing(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir()}


def test_csv_round_trips(tmp_path: Path, frame: pd.DataFrame) -> None:
    path = write_table(frame, tmp_path / "r.csv", META)
    assert path == tmp_path / "r.csv"
    back = pd.read_csv(path, keep_default_na=False, na_values=[""])
    assert back["rating"].tolist() == ["amber_red", "green", "red"]  # codes, not labels
    assert back["cases"].tolist() == [3, 1_234_567, 0]
    assert path.read_text().splitlines()[0] == "org_code,rating,score,cases,escalation,reason"
    assert "\r" not in path.read_text()
    assert _listing(tmp_path) == {"r.csv"}


def test_json_round_trips(tmp_path: Path, frame: pd.DataFrame) -> None:
    payload = json.loads(write_table(frame, tmp_path / "r.json", META).read_text())
    assert set(payload) == {"metadata", "rows"}
    assert payload["metadata"]["rulebook"] == "monitor-compliance-2012-13"
    assert payload["metadata"]["what_if"] == {"de_minimis": 6}
    assert payload["metadata"]["database"] == "postgresql://ana:***@db.example/oversight"
    assert payload["rows"][0] == {
        "org_code": "RTH",
        "rating": "amber_red",
        "score": 2.0,
        "cases": 3,
        "escalation": True,
        "reason": frame["reason"][0],
    }
    assert payload["rows"][2]["score"] is None


def test_json_without_metadata(tmp_path: Path, frame: pd.DataFrame) -> None:
    payload = json.loads(write_table(frame, tmp_path / "r.json").read_text())
    assert payload["metadata"] == {}


def test_parquet_round_trips(tmp_path: Path, frame: pd.DataFrame) -> None:
    back = pd.read_parquet(write_table(frame, tmp_path / "r.parquet", META))
    pd.testing.assert_frame_equal(back, frame)


def test_xlsx_is_styled_and_carries_its_metadata(tmp_path: Path, frame: pd.DataFrame) -> None:
    path = write_table(frame, tmp_path / "R.XLSX", META)  # the extension's case does not matter
    back = pd.read_excel(path)  # the first sheet is the result
    assert back["org_code"].tolist() == ["RTH", "RXX", "5QJ"] and back["rating"].tolist()[0] == "amber_red"
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["result", "metadata"]
    ws = book["result"]
    assert ws.freeze_panes == "B2"
    header = ws[1]
    assert all(c.font.b for c in header) and all(c.alignment.wrap_text for c in header)
    assert header[0].fill.fgColor.rgb.endswith("D9E1F2")
    assert isinstance(ws["D3"].value, int) and ws["D3"].value == 1_234_567  # numbers as numbers
    assert ws["D3"].number_format == "#,##0"
    widths = {c: ws.column_dimensions[c].width for c in "ABCDEF"}
    assert all(w <= files.XLSX_MAX_WIDTH for w in widths.values())
    assert widths["F"] == files.XLSX_MAX_WIDTH  # the long reason is capped
    assert widths["A"] >= len("org_code") and widths["D"] >= len("1,234,567")
    meta = dict(book["metadata"].iter_rows(min_row=2, values_only=True))
    assert meta["command"] == "governance" and meta["rulebook"] == "monitor-compliance-2012-13"
    assert json.loads(meta["what_if"]) == {"de_minimis": 6}
    assert meta["database"] == "postgresql://ana:***@db.example/oversight"
    assert meta["version"] == nhs_oversight.__version__
    assert datetime.fromisoformat(meta["generated_at"]).utcoffset().total_seconds() == 0
    assert book["metadata"].freeze_panes == "A2"


def test_xlsx_writes_times_with_a_zone_as_utc(tmp_path: Path) -> None:
    when = pd.to_datetime(["2026-12-01 05:43:55+01:00"])
    path = write_table(pd.DataFrame({"started_at": when}), tmp_path / "t.xlsx", {})
    assert pd.read_excel(path)["started_at"][0] == pd.Timestamp("2026-12-01 04:43:55")


def test_an_existing_file_is_replaced(tmp_path: Path, frame: pd.DataFrame) -> None:
    (tmp_path / "r.csv").write_text("old")
    write_table(frame, tmp_path / "r.csv")
    assert pd.read_csv(tmp_path / "r.csv")["org_code"].tolist() == ["RTH", "RXX", "5QJ"]
    assert _listing(tmp_path) == {"r.csv"}


def test_the_old_module_still_works() -> None:
    from nhs_oversight.output import write_table as old

    assert old is write_table


# --- failures: one clear line naming the path, and the folder as it was -----------------


def _refused(path: Path, frame: pd.DataFrame, *words: str, error: type[Exception] = OutputError) -> Exception:
    folder = next(p for p in [path.parent, *path.parents] if p.is_dir())
    before = {p: p.stat().st_mtime_ns for p in folder.rglob("*")}
    with pytest.raises(error) as caught:
        write_table(frame, path, META)
    message = str(caught.value)
    assert "\n" not in message and str(path) in message
    for word in words:
        assert word in message
    assert {p: p.stat().st_mtime_ns for p in folder.rglob("*")} == before
    assert isinstance(caught.value, ValueError)
    return caught.value


def test_an_unknown_extension(tmp_path: Path, frame: pd.DataFrame) -> None:
    # a file name of no supported type is wrong usage (exit 2); the environment refusing is exit 1
    assert _refused(tmp_path / "r.txt", frame, "'.txt'", *OUTPUT_SUFFIXES, error=OutputTypeError).exit_code == 2
    _refused(tmp_path / "r", frame, "without an extension", error=OutputTypeError)


def test_a_folder_that_does_not_exist(tmp_path: Path, frame: pd.DataFrame) -> None:
    assert _refused(tmp_path / "missing" / "deeper" / "r.csv", frame, "does not exist").exit_code == 1
    assert not (tmp_path / "missing").exists()


def test_a_path_component_that_is_a_file(tmp_path: Path, frame: pd.DataFrame) -> None:
    (tmp_path / "notes").write_text("x")
    _refused(tmp_path / "notes" / "r.csv", frame, "is a file, not a folder")
    _refused(tmp_path / "notes" / "sub" / "r.csv", frame, f"{tmp_path / 'notes'} is a file")


def test_a_path_that_is_a_folder(tmp_path: Path, frame: pd.DataFrame) -> None:
    (tmp_path / "r.csv").mkdir()
    _refused(tmp_path / "r.csv", frame, "is a folder")


def test_a_folder_that_is_not_writable(tmp_path: Path, frame: pd.DataFrame, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        if os.geteuid() == 0:  # root writes anywhere: ask the check as an ordinary user would
            monkeypatch.setattr(files.os, "access", lambda *a, **k: False)
        _refused(folder / "r.csv", frame, "not writable")
    finally:
        folder.chmod(0o755)
    assert _listing(folder) == set()


@pytest.mark.parametrize("suffix", OUTPUT_SUFFIXES)
def test_a_disk_error_midway_leaves_nothing(
    tmp_path: Path, frame: pd.DataFrame, monkeypatch: pytest.MonkeyPatch, suffix: str
) -> None:
    real = files._WRITERS[suffix]

    def full_disk(table: pd.DataFrame, tmp: Path, metadata: dict[str, object]) -> None:
        real(table, tmp, metadata)  # the temporary file exists, complete
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setitem(files._WRITERS, suffix, full_disk)
    (tmp_path / f"keep{suffix}").write_text("the previous result")
    target = tmp_path / f"keep{suffix}"
    error = _refused(target, frame, "the disk is full")
    assert target.read_text() == "the previous result"
    assert _listing(tmp_path) == {f"keep{suffix}"}
    assert error.param == "--out"


def test_a_value_the_format_cannot_hold(tmp_path: Path) -> None:
    mixed = pd.DataFrame({"x": [1, "a", 2.5]})
    _refused(tmp_path / "m.parquet", mixed, "as PARQUET")
    assert _listing(tmp_path) == set()


def test_too_many_rows_for_a_sheet(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, frame: pd.DataFrame) -> None:
    monkeypatch.setattr(files, "XLSX_MAX_ROWS", 3)
    _refused(tmp_path / "big.xlsx", frame, "more than an XLSX sheet holds", ".csv")


def test_redact_url() -> None:
    assert redact_url("postgresql://ana:s3cret@db:5432/o") == "postgresql://ana:***@db:5432/o"
    assert redact_url("postgresql+psycopg://ana@db/o") == "postgresql+psycopg://ana@db/o"
    assert redact_url("sqlite:////tmp/oversight.db") == "sqlite:////tmp/oversight.db"
    assert redact_url("postgresql://db/o?user=a&password=x&sslmode=require") == (
        "postgresql://db/o?user=a&password=***&sslmode=require"
    )
    assert redact_url("/tmp/oversight.db") == "/tmp/oversight.db"
    assert redact_url("postgresql://a:p%40ss:word@h/o") == "postgresql://a:***@h/o"
