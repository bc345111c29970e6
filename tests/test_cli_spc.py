"""``oversight spc`` on a hand-computed series (NHS "Making Data Count" XmR rules)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from nhs_oversight.cli import app

from .conftest import write_folder

runner = CliRunner()

# April 2012 to March 2013: 2, 4, 2, 4, ... then 12 in March.
SERIES = [2, 4, 2, 4, 2, 4, 2, 4, 2, 4, 2, 12]
MONTHS = [f"2012-{m:02d}" for m in range(4, 13)] + [f"2013-{m:02d}" for m in range(1, 4)]


@pytest.fixture
def db(tmp_path: Path) -> str:
    rows = ["org_code,organism,month,apportionment,cases"]
    rows += [f"RTH,cdiff,{m},trust,{n}" for m, n in zip(MONTHS, SERIES)]
    rows += [f"RTH,cdiff,{m},non_trust,50" for m in MONTHS]  # not the trust's own: never charted
    folder = write_folder(tmp_path / "spc", infections="\n".join(rows) + "\n")
    path = tmp_path / "db.sqlite"
    assert runner.invoke(app, ["import", str(folder), "--db", str(path)]).exit_code == 0
    return str(path)


def test_xmr_chart_by_hand(tmp_path: Path, db: str) -> None:
    out = tmp_path / "spc.csv"
    result = runner.invoke(app, ["spc", "RTH", "--organism", "cdiff", "--db", db, "--out", str(out)])
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(out, keep_default_na=False)
    assert list(frame.columns[:10]) == [
        "org_code",
        "organism",
        "month",
        "value",
        "centre",
        "lower",
        "upper",
        "special_cause",
        "rule",
        "chart",
    ]
    assert list(frame["month"]) == MONTHS and list(frame["value"]) == SERIES
    # mean = 44 / 12; moving ranges: ten of 2 and one of 10, mean 30 / 11 = 2.727;
    # 10 > 3.267 × 2.727 = 8.91 is screened out, so the mean moving range is 20 / 10 = 2;
    # limits = 3.667 ± 2.66 × 2 = 3.667 ± 5.32
    centre = 44 / 12
    assert frame["centre"].tolist() == pytest.approx([centre] * 12)
    assert frame["upper"].tolist() == pytest.approx([centre + 2.66 * 2] * 12)
    assert frame["lower"].tolist() == pytest.approx([centre - 2.66 * 2] * 12)
    # 12 > 8.987: a high point is a concern (fewer infections are better); nothing else signals
    assert frame["special_cause"].tolist() == ["neither"] * 11 + ["concern"]
    assert frame["rule"].iloc[-1].split(";")[0] == "outside_limits"
    assert (frame["rule"].iloc[:-1] == "").all()
    assert "XmR" in result.output or "Wrote" in result.output


def test_spc_refuses_what_it_cannot_chart(db: str) -> None:
    bad = runner.invoke(app, ["spc", "RTH", "--organism", "cdiff", "--from", "2013-03", "--to", "2012-04", "--db", db])
    assert bad.exit_code == 2 and "before" in bad.output
    assert runner.invoke(app, ["spc", "NOPE", "--db", db]).exit_code == 1
    no_cases = runner.invoke(app, ["spc", "RTH", "--chart", "t", "--db", db])
    assert no_cases.exit_code == 1 and "cases.csv" in no_cases.output
    assert runner.invoke(app, ["spc", "RTH", "--from", "2012-13", "--db", db]).exit_code == 2
