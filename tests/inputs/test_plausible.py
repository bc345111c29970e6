"""Implausible figures are refused with file, row and column, by the counting rulebook's ceiling
(``max_monthly_cases``), and nothing is written."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from nhs_oversight.cli import app
from nhs_oversight.rulebooks import load_library

from ..conftest import INFECTIONS, write_folder

runner = CliRunner()
CEILING = int(load_library().get("hcai-counting-2008").value("max_monthly_cases"))


def _import(tmp_path: Path, cases: str, **files: str) -> tuple[int, str, Path]:
    infections = INFECTIONS.replace("RTH,cdiff,2012-04,trust,10", f"RTH,cdiff,2012-04,trust,{cases}")
    folder = write_folder(tmp_path / "folder", infections=infections, **files)
    db = tmp_path / "db.sqlite"
    result = runner.invoke(app, ["import", str(folder), "--db", str(db)])
    return result.exit_code, result.output, db


@pytest.mark.parametrize(
    ("cases", "words"),
    [
        ("99999999999999999999", "implausibly large"),
        (f"{10**12}", "1,000,000,000,000 cases in a month is implausible"),
        (f"{CEILING + 1}", f"{CEILING + 1:,} cases in a month is implausible"),
    ],
)
def test_an_implausible_monthly_count_is_refused(tmp_path: Path, cases: str, words: str) -> None:
    code, output, db = _import(tmp_path, cases)
    assert code == 1
    assert "infections.csv, row 5, column cases" in output and words in output
    assert "Traceback" not in output
    assert not db.exists()


def test_a_count_at_the_ceiling_is_accepted(tmp_path: Path) -> None:
    code, output, db = _import(tmp_path, str(CEILING))
    assert code == 0, output
    assert db.exists()


def test_an_implausible_objective_is_refused(tmp_path: Path) -> None:
    objectives = "org_code,organism,financial_year,objective_cases\nRTH,cdiff,2012-13,{n}\n"
    code, output, _ = _import(tmp_path, "10", objectives=objectives.format(n=12 * CEILING + 1))
    assert code == 1 and "objectives.csv, row 2, column objective_cases" in output and "a year" in output
    code, output, _ = _import(tmp_path / "ok", "10", objectives=objectives.format(n=12 * CEILING))
    assert code == 0, output
