"""Every kind of bad input is refused, naming file, row and column, and nothing is written."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from nhs_oversight.cli import app
from nhs_oversight.inputs import InputError, read_data_folder

from ..conftest import INFECTIONS, ORGANISATIONS, write_folder

runner = CliRunner()
OBJ_HEADER = "org_code,organism,financial_year,objective_cases,q1,q2,q3,q4\n"

# name: (files to write over the good folder, file named, row, column, words in the message)
BAD = {
    "unknown organisation code": (
        {"infections": INFECTIONS + "ZZZ,mrsa,2012-04,trust,1\n"},
        "infections.csv",
        9,
        "org_code",
        "unknown organisation code 'ZZZ'",
    ),
    "duplicate key": (
        {"infections": INFECTIONS + "RTH,mrsa,2012-04,trust,3\n"},
        "infections.csv",
        9,
        "org_code",
        "duplicate key",
    ),
    "negative count": (
        {"infections": INFECTIONS + "RTH,mrsa,2012-06,trust,-2\n"},
        "infections.csv",
        9,
        "cases",
        "negative",
    ),
    "fractional count": (
        {"infections": INFECTIONS + "RTH,mrsa,2012-06,trust,2.5\n"},
        "infections.csv",
        9,
        "cases",
        "not a whole number",
    ),
    "text in a number column": (
        {"infections": INFECTIONS + "RTH,mrsa,2012-06,trust,three\n"},
        "infections.csv",
        9,
        "cases",
        "'three' is not a number",
    ),
    "impossible month": (
        {"infections": INFECTIONS + "RTH,mrsa,2012-13,trust,1\n"},
        "infections.csv",
        9,
        "month",
        "month 13 does not exist",
    ),
    "unknown organism": (
        {"infections": INFECTIONS + "RTH,mssa,2012-06,trust,1\n"},
        "infections.csv",
        9,
        "organism",
        "unknown organism 'mssa'",
    ),
    "unknown apportionment": (
        {"infections": INFECTIONS + "RTH,mrsa,2012-06,hospital,1\n"},
        "infections.csv",
        9,
        "apportionment",
        "unknown apportionment",
    ),
    "population counts for a trust": (
        {"infections": INFECTIONS + "RTH,mrsa,2012-06,population,1\n"},
        "infections.csv",
        9,
        "apportionment",
        "do not apply to RTH",
    ),
    "unknown organisation kind": (
        {"organisations": ORGANISATIONS + "RYY,Mystery,hospice,\n"},
        "organisations.csv",
        5,
        "kind",
        "unknown kind 'hospice'",
    ),
    "empty organisation name": (
        {"organisations": ORGANISATIONS + "RYY,,nhs_trust,\n"},
        "organisations.csv",
        5,
        "name",
        "is empty",
    ),
    "missing required column": (
        {"infections": "org_code,organism,month,cases\nRTH,mrsa,2012-04,1\n"},
        "infections.csv",
        1,
        "apportionment",
        "required column 'apportionment' is missing",
    ),
    "impossible financial year": (
        {"denominators": "org_code,financial_year,bed_days,population\nRTH,2012-14,1000,\n"},
        "denominators.csv",
        2,
        "financial_year",
        "2012 must be followed by 13",
    ),
    "negative bed-days": (
        {"denominators": "org_code,financial_year,bed_days,population\nRTH,2012-13,-5,\n"},
        "denominators.csv",
        2,
        "bed_days",
        "negative",
    ),
    "impossible quarter": (
        {"indicators": "org_code,quarter,indicator,met\nRTH,2012-13-Q5,ae_4hr,true\n"},
        "indicators.csv",
        2,
        "quarter",
        "Q5 does not exist",
    ),
    "unknown indicator": (
        {"indicators": "org_code,quarter,indicator,met\nRTH,2012-13-Q1,waiting_list,true\n"},
        "indicators.csv",
        2,
        "indicator",
        "unknown indicator",
    ),
    "not a boolean": (
        {"indicators": "org_code,quarter,indicator,met\nRTH,2012-13-Q1,ae_4hr,maybe\n"},
        "indicators.csv",
        2,
        "met",
        "not true or false",
    ),
    "unknown event kind": (
        {"events": "event_id,org_code,date,kind\nE1,RTH,2012-05-01,earthquake\n"},
        "events.csv",
        2,
        "kind",
        "unknown kind 'earthquake'",
    ),
    "impossible date": (
        {"events": "event_id,org_code,date,kind\nE1,RTH,2012-02-30,plan_late\n"},
        "events.csv",
        2,
        "date",
        "not a real date",
    ),
    "trajectory falls": (
        {"objectives": OBJ_HEADER + "RTH,cdiff,2012-13,77,20,36,30,77\n"},
        "objectives.csv",
        2,
        "q3",
        "cannot be below q2",
    ),
    "trajectory does not end at the objective": (
        {"objectives": OBJ_HEADER + "RTH,cdiff,2012-13,77,20,36,50,70\n"},
        "objectives.csv",
        2,
        "q4",
        "must equal objective_cases",
    ),
    "partial trajectory": (
        {"objectives": OBJ_HEADER + "RTH,cdiff,2012-13,77,20,36,,\n"},
        "objectives.csv",
        2,
        "q3",
        "needs all of q1, q2, q3, q4",
    ),
    "admission after specimen": (
        {
            "cases": "case_id,organism,specimen_date,admission_date,reporting_org,responsible_org\n"
            "c1,mrsa,2012-07-01,2012-07-05,RTH,5QJ\n"
        },
        "cases.csv",
        2,
        "admission_date",
        "after the specimen date",
    ),
    "case reported by a PCT": (
        {
            "cases": "case_id,organism,specimen_date,admission_date,reporting_org,responsible_org\n"
            "c1,mrsa,2012-07-05,2012-07-01,5QJ,5QJ\n"
        },
        "cases.csv",
        2,
        "reporting_org",
        "must be a trust",
    ),
    "case count disagrees with infections": (
        {
            "cases": "case_id,organism,specimen_date,admission_date,reporting_org,responsible_org\n"
            "c1,mrsa,2012-04-09,2012-04-01,RTH,5QJ\n"
        },
        "infections.csv",
        2,
        "cases",
        "cases.csv gives 1",
    ),
    "wrong number of fields": (
        {"infections": INFECTIONS + "RTH,mrsa,2012-06,trust,1,extra\n"},
        "infections.csv",
        9,
        None,
        "expected 5 fields",
    ),
    "financials text in money column": (
        {
            "financials": "org_code,period,operating_income,operating_expenses,ebitda,planned_ebitda,net_surplus,"
            "pdc_dividend,interest_payable,interest_receivable,pfi_unitary_payments,loan_principal_repaid,"
            "cash,current_assets,current_liabilities,committed_facilities,total_assets,borrowings\n"
            "RTH,2012-13,£100m,90,10,12,1,2,1,0,0,0,5,20,15,0,200,10\n"
        },
        "financials.csv",
        2,
        "operating_income",
        "not a number",
    ),
}

WHOLE_FILE = {
    "empty file": ({"infections": ""}, "infections.csv", "empty"),
    "whitespace-only file": ({"infections": "  \n\n"}, "infections.csv", "empty"),
    "header only": ({"infections": "org_code,organism,month,apportionment,cases\n"}, "infections.csv", "no data rows"),
}


def _db_digest(path: Path) -> str:
    """Every row of every table, as a digest: equal digests mean an unchanged database."""
    con = sqlite3.connect(path)
    h = hashlib.sha256()
    for (name,) in con.execute("select name from sqlite_master where type='table' order by name"):
        for row in con.execute(f"select * from {name} order by 1, 2"):
            h.update(repr(row).encode())
    con.close()
    return h.hexdigest()


@pytest.fixture
def loaded_db(tmp_path: Path, good_folder: Path) -> Path:
    db = tmp_path / "oversight.sqlite"
    result = runner.invoke(app, ["import", str(good_folder), "--db", str(db)])
    assert result.exit_code == 0, result.output
    return db


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_folder_is_refused_naming_file_row_column(case: str, tmp_path: Path, loaded_db: Path) -> None:
    files, file, row, column, words = BAD[case]
    folder = write_folder(tmp_path / "bad", **files)
    before = _db_digest(loaded_db)
    result = runner.invoke(app, ["import", str(folder), "--db", str(loaded_db)])
    assert result.exit_code == 1, result.output
    expected = f"{file}, row {row}" + (f", column {column}" if column else "")
    assert expected in result.output, result.output
    assert words in result.output, result.output
    assert _db_digest(loaded_db) == before


@pytest.mark.parametrize("case", sorted(WHOLE_FILE))
def test_bad_file_is_refused(case: str, tmp_path: Path, loaded_db: Path) -> None:
    files, file, words = WHOLE_FILE[case]
    folder = write_folder(tmp_path / "bad", **files)
    before = _db_digest(loaded_db)
    result = runner.invoke(app, ["import", str(folder), "--db", str(loaded_db)])
    assert result.exit_code == 1, result.output
    assert file in result.output and words in result.output, result.output
    assert _db_digest(loaded_db) == before


def test_binary_and_non_utf8_files_are_refused(tmp_path: Path, library) -> None:
    folder = write_folder(tmp_path / "bin")
    (folder / "infections.csv").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    with pytest.raises(InputError, match=r"infections.csv: this is a binary file"):
        read_data_folder(folder, library)
    (folder / "infections.csv").write_bytes("org_code,organism\nRTH,m\xe9rsa\n".encode("latin-1"))
    with pytest.raises(InputError, match=r"infections.csv: not UTF-8 text \(byte 0xe9"):
        read_data_folder(folder, library)


def test_corrupt_xlsx_and_parquet_are_refused(tmp_path: Path, library) -> None:
    folder = write_folder(tmp_path / "x", infections=None)
    (folder / "infections.xlsx").write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(InputError, match=r"infections.xlsx: cannot be read as an .xlsx workbook"):
        read_data_folder(folder, library)
    (folder / "infections.xlsx").unlink()
    (folder / "infections.parquet").write_bytes(b"PAR1 nonsense")
    with pytest.raises(InputError, match=r"infections.parquet: cannot be read as Parquet"):
        read_data_folder(folder, library)


def test_two_files_for_one_table_are_refused(tmp_path: Path, library) -> None:
    folder = write_folder(tmp_path / "two")
    pd.read_csv(folder / "infections.csv").to_parquet(folder / "infections.parquet")
    with pytest.raises(InputError, match="given twice"):
        read_data_folder(folder, library)


def test_all_problems_are_reported_together(tmp_path: Path, library) -> None:
    folder = write_folder(
        tmp_path / "many",
        infections=INFECTIONS + "ZZZ,mrsa,2012-04,trust,1\nRTH,mrsa,2012-13,trust,-1\n",
        denominators="org_code,financial_year,bed_days,population\nRTH,2012-14,x,\n",
    )
    with pytest.raises(InputError) as exc:
        read_data_folder(folder, library)
    where = {(p.file, p.row, p.column) for p in exc.value.items}
    assert ("infections.csv", 9, "org_code") in where
    assert ("infections.csv", 10, "month") in where
    assert ("infections.csv", 10, "cases") in where
    assert ("denominators.csv", 2, "financial_year") in where
    assert ("denominators.csv", 2, "bed_days") in where


def test_problems_are_capped_but_counted(tmp_path: Path, library) -> None:
    rows = "".join(f"RTH,mrsa,2012-{m:02d},trust,-1\n" for m in range(1, 13))
    lines = "org_code,organism,month,apportionment,cases\n" + rows * 1  # 12 negatives
    many = lines + "".join(f"RTH,cdiff,20{y:02d}-04,trust,x\n" for y in range(10, 99)) * 3
    folder = write_folder(tmp_path / "cap", infections=many)
    with pytest.raises(InputError) as exc:
        read_data_folder(folder, library)
    assert exc.value.problems.total > len(exc.value.items) == 200
    assert "more" in exc.value.summary()


def test_blank_lines_keep_row_numbers(tmp_path: Path, library) -> None:
    text = "org_code,organism,month,apportionment,cases\nRTH,mrsa,2012-04,trust,1\n\n\nRTH,mrsa,2012-05,trust,-1\n"
    folder = write_folder(tmp_path / "blank", infections=text)
    with pytest.raises(InputError) as exc:
        read_data_folder(folder, library)
    assert [(p.row, p.column) for p in exc.value.items] == [(5, "cases")]


def test_repeated_columns_semicolons_and_utf16_are_refused(tmp_path: Path, library) -> None:
    folder = write_folder(
        tmp_path / "hdr", infections="org_code,organism,month,apportionment,cases,cases\nRTH,mrsa,2012-04,trust,1,2\n"
    )
    with pytest.raises(InputError, match=r"infections.csv, row 1, column cases: column 'cases' appears more than once"):
        read_data_folder(folder, library)
    folder = write_folder(tmp_path / "semi", infections=INFECTIONS.replace(",", ";"))
    with pytest.raises(InputError, match=r"infections.csv, row 1: the header is separated by ';'"):
        read_data_folder(folder, library)
    (folder / "infections.csv").write_bytes(INFECTIONS.encode("utf-16"))
    with pytest.raises(InputError, match=r"infections.csv: is UTF-16 text"):
        read_data_folder(folder, library)


def test_a_refused_import_creates_no_database(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "bad", infections=INFECTIONS + "ZZZ,mrsa,2012-04,trust,1\n")
    db = tmp_path / "new.sqlite"
    result = runner.invoke(app, ["import", str(folder), "--db", str(db)])
    assert result.exit_code == 1
    assert not db.exists()
