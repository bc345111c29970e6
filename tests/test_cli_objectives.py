"""`oversight objectives`, `monitor`, `savings`, `reviews` and `explain` on a hand-computed case."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from nhs_oversight.cli import app

from .conftest import write_folder

runner = CliRunner()

ORGS = """code,name,kind
RA1,Trust A,nhs_trust
RB1,Trust B,foundation_trust
RC1,Trust C,nhs_trust
RD1,Trust D,foundation_trust
RX1,Trust X,nhs_trust
5P1,PCT 1,pct
5P2,PCT 2,pct
5P3,PCT 3,pct
5P4,PCT 4,pct
5P5,PCT 5,pct
"""
# 2011-12 baseline: trust-apportioned cases (non-trust cases must be ignored), residents' cases
BASELINE = {"RA1": 1, "RB1": 3, "RC1": 2, "RD1": 3, "RX1": 4, "5P1": 10, "5P2": 5, "5P3": 20, "5P4": 0, "5P5": 15}
BED_DAYS = {"RA1": 100_000, "RB1": 200_000, "RC1": 100_000, "RD1": 100_000, "RX1": 125_000}
# hand-computed: trusts' rates 1, 1.5, 2, 3, 3.2 → median 2, best quartile 1.5;
# PCTs' rates 2, 1, 4, 0, 3 → median 2, best quartile 1
EXPECTED = {
    #       group,                target_rate, target_cases, small, locally_set
    "RA1": ("best_quartile", 1.0, 1, True, True),
    "RB1": ("best_quartile", 1.5, 3, True, True),  # exactly at the quartile
    "RC1": ("better_than_median", 1.6, 2, True, False),  # exactly at the median: max(1.5, 1.6)
    "RD1": ("worse_than_median", 2.0, 2, True, False),  # min(2, 2.4)
    "RX1": ("worse_than_median", 2.0, 3, True, False),  # min(2, 2.56); 2 × 1.25 = 2.5 → 3
    "5P1": ("better_than_median", 1.6, 8, True, False),
    "5P2": ("best_quartile", 1.0, 5, True, True),
    "5P3": ("worse_than_median", 2.0, 10, False, False),
    "5P4": ("best_quartile", 0.0, 0, True, True),
    "5P5": ("worse_than_median", 2.0, 10, False, False),
}


def _infections() -> str:
    rows = ["org_code,organism,month,apportionment,cases"]
    for code, n in BASELINE.items():
        app_ = "population" if code.startswith("5") else "trust"
        first = n // 2
        rows.append(f"{code},mrsa,2011-06,{app_},{first}")
        rows.append(f"{code},mrsa,2012-02,{app_},{n - first}")
        if app_ == "trust":
            rows.append(f"{code},mrsa,2011-06,non_trust,7")
    # 2012-13 so far: RD1 3 cases by Q2, RC1 one
    rows += ["RD1,mrsa,2012-05,trust,3", "RC1,mrsa,2012-08,trust,1"]
    return "\n".join(rows) + "\n"


def _denominators() -> str:
    rows = ["org_code,financial_year,bed_days,population"]
    for code in BASELINE:
        if code.startswith("5"):
            rows.append(f"{code},2011-12,,500000")
        else:
            rows.append(f"{code},2011-12,{BED_DAYS[code]},")
    return "\n".join(rows) + "\n"


@pytest.fixture
def db(tmp_path: Path) -> str:
    folder = write_folder(tmp_path / "hand", organisations=ORGS, infections=_infections(), denominators=_denominators())
    path = tmp_path / "db.sqlite"
    result = runner.invoke(app, ["import", str(folder), "--db", str(path)])
    assert result.exit_code == 0, result.output
    return str(path)


def test_mrsa_objectives_hand_computed(tmp_path: Path, db: str) -> None:
    out = tmp_path / "mrsa.csv"
    result = runner.invoke(app, ["objectives", "mrsa", "--year", "2012-13", "--db", db, "--out", str(out)])
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(out, dtype={"org_code": str})
    assert list(frame.columns[:11]) == [
        "org_code",
        "kind",
        "baseline_cases",
        "denominator",
        "baseline_rate",
        "group",
        "target_rate",
        "target_cases",
        "small_organisation",
        "locally_set",
        "reason",
    ]
    got = frame.set_index("org_code")
    for code, (group, rate, cases, small, local) in EXPECTED.items():
        assert got.at[code, "baseline_cases"] == BASELINE[code], code
        assert got.at[code, "group"] == group, code
        assert got.at[code, "target_rate"] == pytest.approx(rate), code
        assert got.at[code, "target_cases"] == cases, code
        assert bool(got.at[code, "small_organisation"]) is small, code
        assert bool(got.at[code, "locally_set"]) is local, code
    assert (got["baseline_period"] == "2011-12").all()
    assert (got["rulebook"] == "mrsa-objective-2010-11").all()


def test_mrsa_objectives_kind_and_baseline_options(tmp_path: Path, db: str) -> None:
    out = tmp_path / "pct.json"
    result = runner.invoke(
        app,
        [
            "objectives",
            "mrsa",
            "--year",
            "2012-13",
            "--baseline",
            "2011-12",
            "--kind",
            "pct",
            "--db",
            db,
            "--rulebook",
            "mrsa-objective-2010-11",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(out.read_text())
    rows = {r["org_code"]: r for r in payload["rows"]}
    assert set(rows) == {"5P1", "5P2", "5P3", "5P4", "5P5"}
    assert rows["5P3"]["target_cases"] == 10
    assert payload["metadata"]["baseline_period"] == "2011-12"
    # PCTs were abolished at the end of March 2013: they have no objectives for 2013-14
    later = runner.invoke(app, ["objectives", "mrsa", "--year", "2013-14", "--kind", "pct", "--db", db])
    assert later.exit_code == 1 and "existed in 2013-14" in later.output


def test_zero_tolerance_is_chosen_by_date(tmp_path: Path, db: str) -> None:
    out = tmp_path / "zt.csv"
    result = runner.invoke(app, ["objectives", "mrsa", "--year", "2013-14", "--db", db, "--out", str(out)])
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(out)
    assert (frame["group"] == "zero_tolerance").all() and (frame["target_cases"] == 0).all()


def test_cdiff_objectives_with_national_line(tmp_path: Path, db: str) -> None:
    folder = write_folder(
        tmp_path / "cd",
        organisations=ORGS,
        infections="org_code,organism,month,apportionment,cases\nRA1,cdiff,2011-05,trust,77\nRB1,cdiff,2011-05,trust,25\n",
        denominators=_denominators(),
    )
    path = tmp_path / "cd.sqlite"
    assert runner.invoke(app, ["import", str(folder), "--db", str(path)]).exit_code == 0
    out = tmp_path / "cd.csv"
    result = runner.invoke(
        app, ["objectives", "cdiff", "--year", "2012-13", "--db", str(path), "--kind", "trust", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(out).set_index("org_code")
    assert frame.at["RA1", "target_cases"] == 63 and frame.at["RB1", "target_cases"] == 21
    assert frame.at["RC1", "target_cases"] == 0  # zero baseline, zero objective
    assert frame.at["ENGLAND", "baseline_cases"] == 102 and frame.at["ENGLAND", "target_cases"] == 84
    assert "17.65%" in frame.at["ENGLAND", "reason"] and "falls short" in frame.at["ENGLAND", "reason"]
    # --reduction and --method are what-if settings, recorded in the output
    result = runner.invoke(
        app,
        [
            "objectives",
            "cdiff",
            "--year",
            "2012-13",
            "--db",
            str(path),
            "--kind",
            "trust",
            "--reduction",
            "0.29",
            "--out",
            str(out),
        ],
    )
    frame = pd.read_csv(out).set_index("org_code")
    assert frame.at["RA1", "target_cases"] == 55  # 77 × 0.71 = 54.67
    assert "what-if: national_reduction=0.29" in frame.at["RA1", "rulebook"]
    result = runner.invoke(
        app,
        [
            "objectives",
            "cdiff",
            "--year",
            "2012-13",
            "--db",
            str(path),
            "--method",
            "median-quartile",
            "--kind",
            "trust",
        ],
    )
    assert result.exit_code == 0, result.output


def test_monitor_quarter(tmp_path: Path, db: str) -> None:
    out = tmp_path / "m.csv"
    result = runner.invoke(
        app, ["monitor", "--quarter", "2012-13-Q2", "--organism", "mrsa", "--db", db, "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(out).set_index("org_code")
    assert frame.at["RD1", "ytd_cases"] == 3 and frame.at["RD1", "objective"] == 2
    assert frame.at["RD1", "status"] == "objective_exceeded"
    assert frame.at["RC1", "trajectory"] == pytest.approx(1.0) and frame.at["RC1", "status"] == "on_trajectory"
    assert frame.at["5P3", "trajectory"] == pytest.approx(5.0)
    assert runner.invoke(app, ["monitor", "--quarter", "2012-13-Q5", "--db", db]).exit_code == 2


def test_explain_objective_and_monitor(db: str) -> None:
    result = runner.invoke(app, ["explain", "RX1", "--period", "2012-13", "--regime", "mrsa-objective", "--db", db])
    assert result.exit_code == 0, result.output
    assert "national median 2.00 and best-quartile boundary 1.50 of 5 trusts" in result.output
    assert "= 2.500 → 3 (rounded half up)" in result.output
    assert "worse_than_median_reduction" in result.output
    result = runner.invoke(
        app, ["explain", "RD1", "--period", "2012-13-Q2", "--regime", "monitor", "--organism", "mrsa", "--db", db]
    )
    assert result.exit_code == 0, result.output
    assert "objective exceeded" in result.output and "3 cases from 2012-04 to 2012-09" in result.output
    bad = runner.invoke(app, ["explain", "RD1", "--period", "2012-13", "--regime", "monitor", "--db", db])
    assert bad.exit_code == 2


def test_savings(db: str) -> None:
    result = runner.invoke(app, ["savings", "--year", "2012-13", "--organism", "mrsa", "--db", db])
    assert result.exit_code == 0, result.output
    # trusts avoid (3 − 2) + (4 − 3) + (2 − 2) = 2 cases a year
    assert "2 cases avoided a year × £9,000" in result.output
    assert "cost_per_case" in result.output and "assumed" in result.output


def test_reviews_by_assignment(tmp_path: Path) -> None:
    folder = write_folder(
        tmp_path / "zt",
        organisations=ORGS,
        infections=None,
        denominators=None,
        cases="case_id,organism,specimen_date,admission_date,reporting_org,responsible_org,assigned_to\n"
        "c1,mrsa,2013-05-01,2013-04-20,RA1,5P1,trust\n"
        "c2,mrsa,2013-06-01,,RA1,5P1,ccg\n"
        "c3,mrsa,2013-07-01,,RB1,5P1,third_party\n"
        "c4,mrsa,2013-08-01,,RB1,5P2,\n"
        "c5,mrsa,2012-08-01,,RB1,5P2,\n",
    )
    path = tmp_path / "zt.sqlite"
    assert runner.invoke(app, ["import", str(folder), "--db", str(path)]).exit_code == 0
    out = tmp_path / "r.csv"
    result = runner.invoke(app, ["reviews", "--year", "2013-14", "--db", str(path), "--out", str(out)])
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(out)
    ra1 = frame[(frame["org_code"] == "RA1")].iloc[0]
    assert (ra1["cases"], ra1["assigned_trust"], ra1["assigned_ccg"]) == (2, 1, 1)
    p1 = frame[(frame["org_code"] == "5P1")].iloc[0]
    assert p1["role"] == "responsible" and p1["cases"] == 3 and p1["assigned_third_party"] == 1
    rb1 = frame[(frame["org_code"] == "RB1")].iloc[0]
    assert rb1["awaiting_review"] == 1 and rb1["cases"] == 2  # the 2012-13 case is not counted
