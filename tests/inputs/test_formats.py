"""The same data folder as CSV, XLSX or Parquet reads to the same tables."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from nhs_oversight.inputs import InputError, read_data_folder

from ..conftest import write_folder


def _numbers_as_numbers(column: pd.Series) -> pd.Series:
    try:
        return pd.to_numeric(column)
    except (ValueError, TypeError):
        return column


def _convert(folder: Path, suffix: str) -> Path:
    for csv in folder.glob("*.csv"):
        frame = pd.read_csv(csv, dtype=str, keep_default_na=False)
        if suffix == ".xlsx":
            # as a spreadsheet would hold it: numbers as numbers, empty cells empty
            typed = frame.replace("", None).apply(_numbers_as_numbers)
            typed.to_excel(csv.with_suffix(".xlsx"), index=False)
        else:
            frame.replace("", None).to_parquet(csv.with_suffix(".parquet"), index=False)
        csv.unlink()
    return folder


@pytest.mark.parametrize("suffix", [".xlsx", ".parquet"])
def test_xlsx_and_parquet_read_like_csv(tmp_path: Path, good_folder: Path, library, suffix: str) -> None:
    expected = read_data_folder(good_folder, library)
    other = _convert(write_folder(tmp_path / suffix.strip(".")), suffix)
    got = read_data_folder(other, library)
    for name, frame in expected.tables.items():
        pd.testing.assert_frame_equal(got[name].reset_index(drop=True), frame.reset_index(drop=True), check_dtype=False)
    assert {f.name for f in got.files} == {f"{n}{suffix}" for n in expected.tables}


def test_xlsx_errors_name_the_spreadsheet_row(tmp_path: Path, library) -> None:
    folder = _convert(write_folder(tmp_path / "x"), ".xlsx")
    frame = pd.read_excel(folder / "infections.xlsx")
    frame.loc[3, "cases"] = -4
    frame.to_excel(folder / "infections.xlsx", index=False)
    with pytest.raises(InputError) as exc:
        read_data_folder(folder, library)
    assert [(p.file, p.row, p.column) for p in exc.value.items] == [("infections.xlsx", 5, "cases")]


def test_whole_number_floats_count_but_fractions_do_not(tmp_path: Path, library) -> None:
    folder = write_folder(tmp_path / "p", infections=None)
    pd.DataFrame(
        {
            "org_code": ["RTH", "RTH"],
            "organism": ["mrsa", "mrsa"],
            "month": ["2012-04", "2012-05"],
            "apportionment": ["trust", "trust"],
            "cases": [2.0, 1.5],
        }
    ).to_parquet(folder / "infections.parquet")
    with pytest.raises(InputError) as exc:
        read_data_folder(folder, library)
    assert [(p.row, p.column) for p in exc.value.items] == [(3, "cases")]
    assert "not a whole number" in exc.value.items[0].message
