"""The published record: downgrades are never automatic (seed 000), quarter after quarter and
across years, with and without analysts' decisions in between.

One foundation trust, rated on indicators alone (no infection objectives), from 2011-12 Q3 to
2012-13 Q4. Calculated by hand from the weights of ``monitor-compliance-2010-11`` and
``-2012-13`` (1.0 for A&E, RTT and 62-day cancer; 0.5 for 31-day and two-week cancer waits;
score < 1 green, < 2 amber-green, < 4 amber-red, else red; a significant breach makes it red).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from nhs_oversight.cli import app

from .conftest import write_folder

runner = CliRunner()

FAILED = {
    "2011-12-Q3": [],  # 0 → green: the first quarter of the record, published as calculated
    "2011-12-Q4": ["ae_4hr", "rtt_admitted"],  # 2.0 → amber_red: a downgrade, held at green
    "2012-13-Q1": ["rtt_non_admitted"],  # 1.0 → amber_green: still worse than green, still held
    "2012-13-Q2": ["cancer_62d", "cancer_2ww"],  # 1.5 → amber_green: held, until a decision
    "2012-13-Q3": ["ae_4hr"],  # 1.0 → amber_green
    "2012-13-Q4": [],  # 0, but a significant breach → red: flagged, waits for a decision
}
INDICATORS = ("ae_4hr", "rtt_admitted", "rtt_non_admitted", "cancer_62d", "cancer_2ww")
CALCULATED = ["green", "amber_red", "amber_green", "amber_green", "amber_green", "red"]


@pytest.fixture
def db(tmp_path: Path) -> str:
    indicators = "org_code,quarter,indicator,met\n" + "".join(
        f"FT9,{q},{i},{'false' if i in failed else 'true'}\n" for q, failed in FAILED.items() for i in INDICATORS
    )
    folder = write_folder(
        tmp_path / "record",
        organisations="code,name,kind\nFT9,Trust nine,foundation_trust\n",
        infections="org_code,organism,month,apportionment,cases\nFT9,mrsa,2011-10,non_trust,1\n",
        denominators=None,
        indicators=indicators,
        events="event_id,org_code,date,kind\nB1,FT9,2013-02-01,significant_breach\n",
    )
    path = tmp_path / "db.sqlite"
    result = runner.invoke(app, ["import", str(folder), "--db", str(path)])
    assert result.exit_code == 0, result.output
    return str(path)


def _history(db: str, tmp_path: Path) -> pd.DataFrame:
    out = tmp_path / "history.csv"
    result = runner.invoke(app, ["history", "FT9", "--db", db, "--out", str(out)])
    assert result.exit_code == 0, result.output
    return pd.read_csv(out).set_index("quarter")


def _decide(db: str, quarter: str, *extra: str) -> None:
    args = ["decide", "FT9", "--quarter", quarter, "--reason", "reviewed", "--by", "A. Analyst", "--db", db]
    result = runner.invoke(app, [*args, *extra])
    assert result.exit_code == 0, result.output


def test_held_downgrades_stay_held_without_a_decision(db: str, tmp_path: Path) -> None:
    record = _history(db, tmp_path)
    assert list(record.index) == list(FAILED)
    assert list(record["rating"]) == CALCULATED
    # green is published and held, quarter after quarter, across the year end: never a
    # downgrade without a decision (the old rule published amber-green at 2012-13-Q1)
    assert list(record["published_rating"]) == ["green"] * 6
    assert list(record["pending"]) == [False, True, True, True, True, True]
    assert record.loc["2011-12-Q3", "decision"].startswith("as calculated")
    assert all(record.loc[q, "decision"].startswith("pending") for q in list(FAILED)[1:])
    assert "significant breach" in record.loc["2012-13-Q4", "decision"]
    # the governance command agrees with the history, quarter by quarter
    for quarter in ("2012-13-Q1", "2012-13-Q4"):
        out = tmp_path / f"{quarter}.csv"
        result = runner.invoke(app, ["governance", "--quarter", quarter, "--db", db, "--out", str(out)])
        assert result.exit_code == 0, result.output
        row = pd.read_csv(out).set_index("org_code").loc["FT9"]
        assert row["published_rating"] == record.loc[quarter, "published_rating"]
        assert row["decision"] == record.loc[quarter, "decision"] and bool(row["pending"])


def test_decisions_move_the_published_record(db: str, tmp_path: Path) -> None:
    _decide(db, "2012-13-Q2", "--rating", "amber_green")  # hold at the calculated amber-green
    record = _history(db, tmp_path)
    assert list(record["published_rating"]) == ["green", "green", "green", "amber_green", "amber_green", "amber_green"]
    assert list(record["pending"]) == [False, True, True, False, False, True]
    assert "by A. Analyst" in record.loc["2012-13-Q2", "decision"]
    # Q3 follows Q2's published rating: amber-green is no downgrade from amber-green
    assert record.loc["2012-13-Q3", "decision"].startswith("as calculated")
    # the breach still waits, now held at amber-green
    assert "held at Amber-green" in record.loc["2012-13-Q4", "decision"]
    _decide(db, "2012-13-Q4", "--action", "accept")
    record = _history(db, tmp_path)
    assert record.loc["2012-13-Q4", "published_rating"] == "red" and not record.loc["2012-13-Q4", "pending"]
    # a later decision for an earlier quarter changes what follows it
    _decide(db, "2011-12-Q4", "--action", "accept")
    record = _history(db, tmp_path)
    assert list(record["published_rating"][:3]) == ["green", "amber_red", "amber_green"]
    assert record.loc["2012-13-Q1", "decision"].startswith("as calculated")
