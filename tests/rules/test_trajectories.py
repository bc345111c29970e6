"""Trajectories and monitoring: equal quarters, agreed trajectories, and the boundaries."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
import pytest

from nhs_oversight.periods import Quarter
from nhs_oversight.rulebooks import apply_what_if
from nhs_oversight.rules.trajectories import monitor, year_to_date_trajectory


@pytest.fixture(scope="module")
def cdiff(library):
    return library.get("cdiff-objective-2012-13")


def test_equal_quarters_of_77(cdiff) -> None:
    shares, rounding = cdiff["trajectory_shares"], cdiff["trajectory_rounding"]
    assert [year_to_date_trajectory(77, q, shares, rounding) for q in (1, 2, 3, 4)] == [
        Decimal("19.25"),
        Decimal("38.5"),
        Decimal("57.75"),
        Decimal("77"),
    ]
    half_up = apply_what_if(cdiff, {"trajectory_rounding": "half_up"})
    assert year_to_date_trajectory(77, 2, shares, half_up["trajectory_rounding"]) == 39  # 38.5 → 39


def test_agreed_trajectory_replaces_the_default(cdiff) -> None:
    # Dudley 2011-12: annual objective 77, agreed trajectory 36 by the end of Q2
    t = year_to_date_trajectory(77, 2, cdiff["trajectory_shares"], cdiff["trajectory_rounding"], (17, 36, 57, 77))
    assert t == 36


def _objectives(**rows):
    return pd.DataFrame(
        [
            {
                "org_code": code,
                "kind": "foundation_trust",
                "organism": "cdiff",
                "objective": obj,
                "objective_source": "agreed (objectives.csv)",
                "q1": q[0],
                "q2": q[1],
                "q3": q[2],
                "q4": q[3],
            }
            for code, (obj, q) in rows.items()
        ]
    )


def test_monitor_statuses_at_the_boundaries(cdiff) -> None:
    none = (pd.NA,) * 4
    objectives = _objectives(
        DUD=(77, (17, 36, 57, 77)), ON=(40, none), OVER=(40, none), BUST=(10, none), ZERO=(0, none), NONE=(8, none)
    )
    ytd = pd.DataFrame(
        [("DUD", "cdiff", 75), ("ON", "cdiff", 20), ("OVER", "cdiff", 21), ("BUST", "cdiff", 11), ("ZERO", "cdiff", 1)],
        columns=["org_code", "organism", "cases"],
    )
    out = monitor(objectives, ytd, Quarter.parse("2012-13-Q2"), {"cdiff": cdiff}).set_index("org_code")
    assert out.at["DUD", "trajectory"] == 36 and out.at["DUD", "status"] == "above_trajectory"
    assert out.at["DUD", "assumed"] == ""  # an agreed trajectory rests on no assumption
    assert out.at["ON", "trajectory"] == 20 and out.at["ON", "status"] == "on_trajectory"  # exactly on it
    assert out.at["OVER", "status"] == "above_trajectory"
    assert out.at["BUST", "status"] == "objective_exceeded"  # 11 > 10 before the year is out
    assert out.at["ZERO", "status"] == "objective_exceeded"  # a zero objective: one case breaches it
    assert out.at["NONE", "ytd_cases"] == 0 and out.at["NONE", "status"] == "on_trajectory"
    assert out.at["ON", "assumed"] == "trajectory_shares;trajectory_rounding"
    assert out.at["BUST", "cases_to_objective"] == -1
    assert pd.isna(out.at["BUST", "penalty"])


def test_penalty_when_the_rulebook_sets_one(cdiff) -> None:
    priced = apply_what_if(cdiff, {"penalty_per_case": 50000})
    objectives = _objectives(BUST=(10, (pd.NA,) * 4))
    ytd = pd.DataFrame([("BUST", "cdiff", 13)], columns=["org_code", "organism", "cases"])
    out = monitor(objectives, ytd, Quarter.parse("2012-13-Q4"), {"cdiff": priced})
    assert out.iloc[0]["penalty"] == 150000
    assert "penalty £150,000" in out.iloc[0]["reason"]
