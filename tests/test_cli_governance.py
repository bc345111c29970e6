"""`oversight governance`, `decide`, `history` and `explain --regime governance`, hand-computed."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from nhs_oversight.cli import app

runner = CliRunner()

# (score, rating, failed, escalation), hand-computed from the 2012-13 framework
EXPECTED = {
    "2012-13-Q1": {
        "FT1": (3.0, "amber_red", "cdiff;mrsa;ae_4hr", False),  # C. diff 12 > 10 and reaches 12; MRSA 7 ≥ 6
        "FT2": (0.0, "green", "", False),  # 3 cases above a trajectory of 2, under the de minimis
        "NT1": (2.0, "amber_red", "cdiff;rtt_admitted", False),  # exactly 2.0: amber-red
    },
    "2012-13-Q2": {
        "FT1": (2.5, "amber_red", "mrsa;ae_4hr;cancer_31d", False),  # C. diff 17 ≤ 20: met
        "FT2": (0.0, "red", "", False),  # a significant breach
        "NT1": (3.0, "amber_red", "cdiff;rtt_admitted;cqc_moderate_concern", False),
    },
    "2012-13-Q3": {
        "NT1": (6.0, "red", "cdiff;rtt_admitted", True),  # both failed a third quarter running: 3 + 3
    },
}


@pytest.fixture
def folder(governance_folder: Path) -> Path:
    return governance_folder


@pytest.fixture
def db(tmp_path: Path, folder: Path) -> str:
    path = tmp_path / "gov.sqlite"
    result = runner.invoke(app, ["import", str(folder), "--db", str(path)])
    assert result.exit_code == 0, result.output
    return str(path)


@pytest.mark.parametrize("quarter", sorted(EXPECTED))
def test_governance_hand_computed(tmp_path: Path, folder: Path, quarter: str) -> None:
    out = tmp_path / "g.csv"
    result = runner.invoke(app, ["governance", "--quarter", quarter, "--data", str(folder), "--out", str(out)])
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(out, keep_default_na=False).set_index("org_code")
    assert list(frame.reset_index().columns[:7]) == [
        "org_code",
        "quarter",
        "score",
        "rating",
        "failed",
        "escalation",
        "reason",
    ]
    assert "5P1" not in frame.index  # PCTs are not rated
    for code, (score, rating, failed, escalation) in EXPECTED[quarter].items():
        assert frame.at[code, "score"] == pytest.approx(score), code
        assert frame.at[code, "rating"] == rating, code
        assert frame.at[code, "failed"] == failed, code
        assert str(frame.at[code, "escalation"]) == str(escalation), code


def test_de_minimis_headroom_in_the_output(tmp_path: Path, folder: Path) -> None:
    out = tmp_path / "g.csv"
    runner.invoke(app, ["governance", "--quarter", "2012-13-Q2", "--data", str(folder), "--out", str(out)])
    frame = pd.read_csv(out).set_index("org_code")
    assert frame.at["FT2", "cdiff_trajectory"] == 4.0 and frame.at["FT2", "cdiff_ytd_cases"] == 11
    assert frame.at["FT2", "cdiff_de_minimis_headroom"] == 7  # 11 − 4: protected by the de minimis
    assert frame.at["NT1", "cdiff_de_minimis_headroom"] == 0  # a large trust: no protection


def test_no_de_minimis_under_a_what_if(tmp_path: Path, folder: Path) -> None:
    out = tmp_path / "g.csv"
    result = runner.invoke(
        app,
        [
            "governance",
            "--quarter",
            "2012-13-Q1",
            "--data",
            str(folder),
            "--out",
            str(out),
            "--set",
            "cdiff_de_minimis=0",
        ],
    )
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(out, keep_default_na=False).set_index("org_code")
    assert frame.at["FT2", "failed"] == "cdiff" and frame.at["FT2", "rating"] == "amber_green"
    assert "what-if: cdiff_de_minimis=0" in frame.at["FT2", "rulebook"]


def test_downgrades_wait_for_a_decision_and_decisions_are_kept(tmp_path: Path, db: str) -> None:
    out = tmp_path / "g.csv"
    runner.invoke(app, ["governance", "--quarter", "2012-13-Q2", "--db", db, "--out", str(out)])
    frame = pd.read_csv(out).set_index("org_code")
    assert frame.at["FT2", "rating"] == "red" and frame.at["FT2", "published_rating"] == "green"
    assert frame.at["FT2", "decision"].startswith("pending")
    result = runner.invoke(
        app,
        ["decide", "FT2", "--quarter", "2012-13-Q2", "--reason", "breach confirmed", "--by", "J Analyst", "--db", db],
    )
    assert result.exit_code == 0, result.output
    assert "accept; calculated red" in result.output
    runner.invoke(app, ["governance", "--quarter", "2012-13-Q2", "--db", db, "--out", str(out)])
    frame = pd.read_csv(out).set_index("org_code")
    assert frame.at["FT2", "published_rating"] == "red" and "J Analyst" in frame.at["FT2", "decision"]
    # hold NT1's third quarter at amber-red
    result = runner.invoke(
        app,
        [
            "decide",
            "NT1",
            "--quarter",
            "2012-13-Q3",
            "--rating",
            "amber_red",
            "--reason",
            "recovery plan",
            "--by",
            "K Analyst",
            "--db",
            db,
        ],
    )
    assert result.exit_code == 0 and "hold; calculated red (score 6)" in result.output
    history = runner.invoke(app, ["history", "NT1", "--db", db], env={"COLUMNS": "250"})
    assert history.exit_code == 0, history.output
    assert "2012-13-Q3" in history.output and "K Analyst" in history.output and "recovery plan" in history.output
    con = sqlite3.connect(db)
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        con.execute("UPDATE decisions SET published_rating = 'green'")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        con.execute("DELETE FROM decisions")
    rows = con.execute(
        "select org_code, action, calculated_rating, published_rating, decided_by from decisions"
    ).fetchall()
    assert rows == [("FT2", "accept", "red", "red", "J Analyst"), ("NT1", "hold", "red", "amber_red", "K Analyst")]


def test_decide_usage_errors(db: str) -> None:
    base = ["decide", "FT2", "--quarter", "2012-13-Q2", "--by", "X", "--db", db]
    assert runner.invoke(app, [*base, "--reason", "r", "--action", "hold"]).exit_code == 2  # hold needs a rating
    assert runner.invoke(app, [*base, "--reason", "r", "--rating", "purple"]).exit_code == 2
    assert runner.invoke(app, [*base, "--reason", "r", "--action", "accept", "--rating", "green"]).exit_code == 2
    assert runner.invoke(app, [*base, "--reason", " "]).exit_code == 2
    assert (
        runner.invoke(
            app, ["decide", "5P1", "--quarter", "2012-13-Q2", "--by", "X", "--reason", "r", "--db", db]
        ).exit_code
        == 1
    )  # a PCT is not rated


def test_explain_governance(db: str) -> None:
    result = runner.invoke(app, ["explain", "NT1", "--period", "2012-13-Q3", "--db", db])
    assert result.exit_code == 0, result.output
    text = result.output
    assert "NT1 · 2012-13-Q3 · governance" in text
    assert "year-to-date trajectory to the end of 2012-13-Q3: 56" in text
    assert "tripled: failed for a third consecutive quarter" in text
    assert "band_edges" in text and "green < 1.0 ≤ amber-green < 2.0 ≤ amber-red < 4.0 ≤ red" in text
    assert "weights" in text and "assumed" in text
