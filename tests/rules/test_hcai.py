"""Attribution of cases at its day boundaries, counts and rates, and their traces."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nhs_oversight.explain import Trace
from nhs_oversight.periods import FinancialYear
from nhs_oversight.rulebooks import apply_what_if
from nhs_oversight.rules.hcai import annual_rate, annual_rates, attribute_cases, rate


def _cases(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(
        rows, columns=["organism", "specimen_date", "admission_date", "reporting_org", "responsible_org"]
    )


def _apportioned(counting, organism: str, day: int | None) -> str:
    """Apportionment of one case whose specimen was taken on day ``day`` of the admission."""
    admitted = dt.date(2012, 7, 10)
    specimen = admitted + dt.timedelta(days=(day or 1) - 1)
    frame = attribute_cases(
        _cases([(organism, specimen, admitted if day is not None else None, "RTH", "5QJ")]), counting
    )
    return frame[frame["org_code"] == "RTH"]["apportionment"].item()


@pytest.fixture(scope="module")
def counting(library):
    return library.get("hcai-counting-2008")


@pytest.mark.parametrize(
    "organism, day, expected",
    [
        ("mrsa", 1, "non_trust"),  # day of admission
        ("mrsa", 2, "non_trust"),  # within 48 hours
        ("mrsa", 3, "trust"),  # post 48 hours: the boundary
        ("mrsa", 30, "trust"),
        ("cdiff", 3, "non_trust"),  # within 72 hours
        ("cdiff", 4, "trust"),  # post 72 hours: the boundary
        ("mrsa", None, "non_trust"),  # not an in-patient
        ("cdiff", None, "non_trust"),
    ],
)
def test_trust_apportionment_day_boundaries(counting, organism: str, day: int | None, expected: str) -> None:
    assert _apportioned(counting, organism, day) == expected


def test_every_case_counts_for_the_residents_pct_including_early_ones(counting) -> None:
    frame = attribute_cases(
        _cases(
            [
                ("mrsa", dt.date(2012, 7, 1), dt.date(2012, 7, 1), "RTH", "5QJ"),  # day 1
                ("mrsa", dt.date(2012, 7, 2), dt.date(2012, 7, 1), "RTH", "5QJ"),  # day 2
                ("mrsa", dt.date(2012, 7, 9), dt.date(2012, 7, 1), "RXX", "5QJ"),  # day 9, other trust
                ("mrsa", dt.date(2012, 8, 9), None, "RXX", "5QK"),
            ]
        ),
        counting,
    )
    pop = frame[frame["apportionment"] == "population"].set_index(["org_code", "month"])["cases"]
    assert pop.to_dict() == {("5QJ", "2012-07"): 3, ("5QK", "2012-08"): 1}
    trust = frame[frame["apportionment"] != "population"].set_index(["org_code", "apportionment"])["cases"]
    assert trust.to_dict() == {("RTH", "non_trust"): 2, ("RXX", "non_trust"): 1, ("RXX", "trust"): 1}


def test_what_if_changes_the_attribution_day(counting) -> None:
    later = apply_what_if(counting, {"mrsa_trust_apportioned_from_day": 4})
    assert _apportioned(later, "mrsa", 3) == "non_trust"
    assert _apportioned(later, "mrsa", 4) == "trust"


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["mrsa", "cdiff"]),
            st.integers(min_value=0, max_value=400),
            st.one_of(st.none(), st.integers(min_value=0, max_value=40)),
            st.sampled_from(["RA1", "RA2"]),
            st.sampled_from(["5A1", "5A2", "5A3"]),
        ),
        min_size=1,
        max_size=40,
    )
)
def test_attribution_conserves_cases(rows) -> None:
    from nhs_oversight.rulebooks import load_library

    counting = load_library().get("hcai-counting-2008")
    base = dt.date(2012, 4, 1)
    cases = _cases(
        [
            (org, base + dt.timedelta(days=d), None if stay is None else base + dt.timedelta(days=d - stay), r, p)
            for org, d, stay, r, p in rows
        ]
    )
    frame = attribute_cases(cases, counting)
    trusts = frame[frame["apportionment"] != "population"]["cases"].sum()
    pops = frame[frame["apportionment"] == "population"]["cases"].sum()
    assert trusts == pops == len(rows)
    assert (frame["cases"] > 0).all()


def test_rate_arithmetic() -> None:
    assert rate(7, 350_000, 100_000) == pytest.approx(2.0)
    assert rate(0, 1, 100_000) == 0
    with pytest.raises(ValueError):
        rate(1, 0, 100_000)


ORGS = pd.DataFrame(
    {"code": ["RTH", "RXX", "5QJ"], "name": ["A", "B", "C"], "kind": ["foundation_trust", "nhs_trust", "pct"]}
)
INF = pd.DataFrame(
    [
        ("RTH", "mrsa", "2012-04", "trust", 2),
        ("RTH", "mrsa", "2013-03", "trust", 1),
        ("RTH", "mrsa", "2013-04", "trust", 9),  # next year: not counted
        ("RTH", "mrsa", "2012-05", "non_trust", 4),  # not the trust's to answer for
        ("5QJ", "mrsa", "2012-04", "population", 5),
        ("5QJ", "cdiff", "2012-09", "population", 8),
    ],
    columns=["org_code", "organism", "month", "apportionment", "cases"],
)
DEN = pd.DataFrame(
    [("RTH", "2012-13", 300_000.0, np.nan), ("5QJ", "2012-13", np.nan, 400_000.0)],
    columns=["org_code", "financial_year", "bed_days", "population"],
)


def test_annual_rates_hold_each_kind_to_its_own_cases_and_denominator(counting) -> None:
    out = annual_rates(ORGS, INF, DEN, FinancialYear(2012), counting).set_index(["org_code", "organism"])
    assert out.at[("RTH", "mrsa"), "cases"] == 3
    assert out.at[("RTH", "mrsa"), "rate"] == pytest.approx(1.0)
    assert out.at[("5QJ", "mrsa"), "cases"] == 5
    assert out.at[("5QJ", "mrsa"), "rate"] == pytest.approx(1.25)
    assert out.at[("5QJ", "cdiff"), "rate"] == pytest.approx(2.0)
    assert out.at[("RXX", "mrsa"), "cases"] == 0
    assert np.isnan(out.at[("RXX", "mrsa"), "rate"])  # no bed-days: no rate


def test_annual_rate_trace_agrees_with_the_table(counting) -> None:
    table = annual_rates(ORGS, INF, DEN, FinancialYear(2012), counting)
    for _, row in table.iterrows():
        kind = ORGS.set_index("code").at[row["org_code"], "kind"]
        trace = Trace.start(row["org_code"], "2012-13", "counts", counting)
        one = annual_rate(
            row["org_code"],
            kind,
            row["organism"],
            FinancialYear(2012),
            INF[INF["org_code"] == row["org_code"]],
            DEN[DEN["org_code"] == row["org_code"]],
            counting,
            trace,
        )
        assert one.cases == row["cases"]
        assert (one.rate is None and np.isnan(row["rate"])) or one.rate == pytest.approx(row["rate"])
        assert trace.steps[0].value == one.cases


def test_trace_names_sources_and_assumptions(counting) -> None:
    trace = Trace.start("RTH", "2012-13", "counts", counting)
    annual_rate("RTH", "foundation_trust", "mrsa", FinancialYear(2012), INF, DEN, counting, trace)
    text = trace.to_text()
    assert "rate = 3 cases ÷ 300,000 bed-days × 100,000 = 1.00" in text
    assert "trust_rate_per_bed_days" in text and "assumed" in text
    assert "rests on" in text
    names = {u.name for u in trace.assumptions()}
    assert names == {"mrsa_trust_apportioned_from_day", "trust_rate_per_bed_days"}
    data = json.loads(trace.to_json())
    assert data["steps"][1]["value"] == pytest.approx(1.0)
    assert set(data["assumptions"]) == names
    assert data["values_used"][0]["source_address"].startswith("https://")


def test_period_rates_weight_denominators_of_a_baseline_across_two_years(counting) -> None:
    """The 2011-12 C. difficile baseline ran from September 2009 to August 2010."""
    from nhs_oversight.periods import Month
    from nhs_oversight.rules.hcai import period_rates

    orgs = pd.DataFrame({"code": ["RTH"], "name": ["A"], "kind": ["nhs_trust"]})
    inf = pd.DataFrame(
        [
            ("RTH", "cdiff", "2009-09", "trust", 10),
            ("RTH", "cdiff", "2010-08", "trust", 14),
            ("RTH", "cdiff", "2010-09", "trust", 99),
        ],
        columns=["org_code", "organism", "month", "apportionment", "cases"],
    )
    den = pd.DataFrame(
        [("RTH", "2009-10", 120_000.0, np.nan), ("RTH", "2010-11", 240_000.0, np.nan)],
        columns=["org_code", "financial_year", "bed_days", "population"],
    )
    months = Month(2009, 9).range(12)
    out = period_rates(orgs, inf, den, months, counting, organisms=("cdiff",)).iloc[0]
    assert out["cases"] == 24
    assert out["denominator"] == pytest.approx(120_000 * 7 / 12 + 240_000 * 5 / 12)  # Sep–Mar, Apr–Aug
    assert out["rate"] == pytest.approx(24 / 170_000 * 100_000)
    short = period_rates(orgs, inf, den[den["financial_year"] == "2009-10"], months, counting, organisms=("cdiff",))
    assert np.isnan(short.iloc[0]["denominator"])  # a year of the period without bed-days: no rate
