"""The fast paths give the traced paths' numbers (correctness only: nothing here is timed).

Objectives, monitoring and governance run untraced in one pass over frames, with sums done in
the database and the quarters before the one asked reduced to what the published record needs;
``explain`` runs the traced rules. These tests hold the two to the same rows, on the demo data
set (every year, both organisms, every method) and on random baselines with ties at the median.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nhs_oversight.demo.generate import generate_demo
from nhs_oversight.inputs import read_data_folder
from nhs_oversight.periods import FinancialYear, Quarter
from nhs_oversight.rulebooks import RulebookLibrary, apply_what_if
from nhs_oversight.rules.hcai import COUNTED_APPORTIONMENT, period_rates, period_rates_from_totals
from nhs_oversight.rules.objectives import (
    Baseline,
    median_quartile_objectives,
    median_quartile_table,
    uniform_objectives,
    uniform_table,
)
from nhs_oversight.rules.trajectories import monitor, monitor_table
from nhs_oversight.service import governance as gov
from nhs_oversight.service.objectives import objectives_for_year, objectives_in_force, year_to_date_cases
from nhs_oversight.store import load_dataset, memory_store, read_table
from nhs_oversight.store.read import infection_totals


def _demo_engine(folder: Path, library: RulebookLibrary):  # type: ignore[no-untyped-def]
    generate_demo(folder)
    engine = memory_store()
    load_dataset(engine, read_data_folder(folder, library))
    return engine


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory, library: RulebookLibrary):  # type: ignore[no-untyped-def]
    """The demo data set, shared and never changed."""
    return _demo_engine(tmp_path_factory.mktemp("demo"), library)


def _traced_assumed(traced) -> pd.Series:  # type: ignore[no-untyped-def]
    return pd.Series([traced.traces[c].assumed_label() for c in traced.table["org_code"]], name="assumed")


@pytest.mark.parametrize(
    ("organism", "method"), [("mrsa", None), ("cdiff", None), ("cdiff", "uniform"), ("cdiff", "median-quartile")]
)
@pytest.mark.parametrize("year", [2009, 2010, 2011, 2012, 2013])
def test_objectives_untraced_equal_traced(demo, library: RulebookLibrary, organism: str, year: int, method) -> None:  # type: ignore[no-untyped-def]
    fy = FinancialYear(year)
    try:
        traced = objectives_for_year(demo, library, organism, fy, method=method, traces=True)
    except Exception as exc:  # no regime that year: both paths must refuse alike
        with pytest.raises(type(exc)):
            objectives_for_year(demo, library, organism, fy, method=method, traces=False)
        return
    fast = objectives_for_year(demo, library, organism, fy, method=method, traces=False)
    assert traced.traces and not fast.traces
    pd.testing.assert_frame_equal(fast.table, traced.table)
    assert fast.national == traced.national
    assert list(fast.table["assumed"]) == list(_traced_assumed(traced))


def test_what_if_results_are_not_shared(demo, library: RulebookLibrary) -> None:  # type: ignore[no-untyped-def]
    fy = FinancialYear(2012)
    plain = objectives_for_year(demo, library, "cdiff", fy, traces=False)
    cut = objectives_for_year(demo, library, "cdiff", fy, reduction=0.5, traces=False)
    assert plain.table["target_cases"].sum() > cut.table["target_cases"].sum()
    assert set(cut.table["assumed"]) != set(plain.table["assumed"]) or "national_reduction" in cut.table["assumed"][0]
    traced = objectives_for_year(demo, library, "cdiff", fy, reduction=0.5, traces=True)
    pd.testing.assert_frame_equal(cut.table, traced.table)


def _baselines(draw_cases: list[int], dens: list[float | None], agreed: list[int | None]) -> list[Baseline]:
    return [
        Baseline(f"T{i:04d}", "nhs_trust", c, d, 100000.0, "bed-days", a)
        for i, (c, d, a) in enumerate(zip(draw_cases, dens, agreed))
    ]


def _frame(baselines: list[Baseline]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "org_code": [b.org_code for b in baselines],
            "kind": [b.kind for b in baselines],
            "cases": [b.cases for b in baselines],
            "denominator": [np.nan if b.denominator is None else b.denominator for b in baselines],
            "per": [b.per for b in baselines],
            "unit": [b.unit for b in baselines],
            "agreed": [b.agreed for b in baselines],
        }
    )


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 40),
            st.one_of(st.none(), st.sampled_from([0.0, 10000.0, 20000.0, 25000.0, 40000.0, 123456.0])),
            st.one_of(st.none(), st.integers(0, 30)),
        ),
        min_size=1,
        max_size=40,
    ),
    st.sampled_from(["mrsa-objective-2009-10", "mrsa-objective-2010-11", "cdiff-objective-2012-13"]),
    st.booleans(),
)
def test_median_quartile_and_uniform_tables_equal_traced(rows, rulebook_id: str, what_if: bool) -> None:  # type: ignore[no-untyped-def]
    from nhs_oversight.rulebooks import load_library

    library = load_library()
    rb = library.get(rulebook_id)
    if what_if:
        rb = apply_what_if(rb, {"small_organisation_below_cases": 7})
    baselines = _baselines([r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows])
    names = (
        ("median_quartile_reduction", "median_quartile_reduction")
        if rulebook_id.startswith("cdiff")
        else ("worse_than_median_reduction", "better_than_median_reduction")
    )
    traces: dict = {}
    traced = median_quartile_objectives(baselines, rb, reduction_name=names, period="p", traces=traces)
    fast = median_quartile_table(_frame(baselines), rb, reduction_name=names, period="p")
    assert list(fast["assumed"]) == [traces[c].assumed_label() for c in traced["org_code"]]
    pd.testing.assert_frame_equal(fast.drop(columns="assumed"), traced)
    if rulebook_id.startswith("cdiff"):
        traces = {}
        traced = uniform_objectives(baselines, rb, 0.18, period="p", traces=traces)
        fast = uniform_table(_frame(baselines), rb, 0.18, period="p")
        assert list(fast["assumed"]) == [traces[c].assumed_label() for c in traced["org_code"]]
        pd.testing.assert_frame_equal(fast.drop(columns="assumed"), traced)


def test_a_rate_exactly_at_the_median_is_at_it(library: RulebookLibrary) -> None:
    rb = library.get("mrsa-objective-2010-11")
    # two equal rates in the middle: the median is exactly the tied rate, above the quartile
    baselines = _baselines([10, 10, 5, 2, 30], [100000.0] * 5, [None] * 5)
    traced = median_quartile_objectives(baselines, rb)
    fast = median_quartile_table(_frame(baselines), rb)
    pd.testing.assert_frame_equal(fast.drop(columns="assumed"), traced)
    assert "is at the median" in fast.loc[0, "reason"]


@pytest.mark.parametrize("quarter", ["2011-12-Q1", "2011-12-Q4", "2012-13-Q2", "2012-13-Q3"])
def test_monitor_table_equals_monitor(demo, library: RulebookLibrary, quarter: str) -> None:  # type: ignore[no-untyped-def]
    q = Quarter.parse(quarter)
    for organism in ("mrsa", "cdiff"):
        objectives, rb = objectives_in_force(demo, library, organism, q.year)
        ytd = year_to_date_cases(demo, organism, q)
        pd.testing.assert_frame_equal(
            monitor_table(objectives, ytd, q, {organism: rb}), monitor(objectives, ytd, q, {organism: rb})
        )


@pytest.mark.parametrize("quarter", ["2011-12-Q4", "2012-13-Q2", "2013-14-Q3"])
def test_year_to_date_cases_summed_in_the_database(demo, quarter: str) -> None:  # type: ignore[no-untyped-def]
    q = Quarter.parse(quarter)
    for organism in ("mrsa", "cdiff"):
        inf = read_table(demo, "infections", organism=organism, month=[str(m) for m in q.year_to_date_months()])
        orgs = read_table(demo, "organisations")[["code", "kind"]].rename(columns={"code": "org_code"})
        inf = inf.merge(orgs, on="org_code")
        counted = inf[inf["apportionment"] == inf["kind"].map(COUNTED_APPORTIONMENT)]
        expected = counted.groupby(["org_code", "organism"], as_index=False)["cases"].sum()
        got = year_to_date_cases(demo, organism, q)
        pd.testing.assert_frame_equal(got.reset_index(drop=True), expected.reset_index(drop=True), check_dtype=False)


def test_period_rates_from_database_totals(demo, library: RulebookLibrary) -> None:  # type: ignore[no-untyped-def]
    counting = library.get("hcai-counting-2008")
    year = FinancialYear(2011)
    months = [*FinancialYear(2010).months()[5:], *year.months()]  # spans two years: weighted denominators
    orgs, den = read_table(demo, "organisations"), read_table(demo, "denominators")
    inf = read_table(demo, "infections")
    expected = period_rates(orgs, inf, den, months, counting)
    totals = infection_totals(demo, ("cdiff", "mrsa"), [str(m) for m in months])
    got = period_rates_from_totals(orgs, totals, den, months, counting)
    pd.testing.assert_frame_equal(got, expected)


@pytest.mark.parametrize("quarter", ["2011-12-Q1", "2011-12-Q4", "2012-13-Q2", "2012-13-Q4"])
def test_governance_lean_record_equals_full_record(demo, library: RulebookLibrary, quarter: str) -> None:  # type: ignore[no-untyped-def]
    """The quarters before the one asked are reduced to their published ratings; scoring
    every quarter in full gives the same rows for the quarter asked."""
    q = Quarter.parse(quarter)
    lean = gov._record(demo, library, q, None, None, None, None)
    full = gov._record(demo, library, q, None, None, None, None, all_rows=True)
    assert lean.rows[q] == full.rows[q]
    fast = gov.governance_for_quarter(demo, library, q)
    assert (
        not fast.traces and gov.governance_for_quarter(demo, library, q, org_codes=[fast.table["org_code"][0]]).traces
    )
    pd.testing.assert_frame_equal(fast.table, pd.DataFrame(full.rows[q], columns=gov.GOVERNANCE_COLUMNS))


def test_lean_score_equals_rate_quarter(library: RulebookLibrary) -> None:
    from nhs_oversight.rules.governance import TargetStatus, rate_quarter

    rb = library.get("monitor-compliance-2012-13")
    scorer = gov._LeanScore(rb, 2)
    rng = np.random.default_rng(7)
    targets = ["cdiff", "mrsa", "ae_4hr", "cancer_31d", "rtt_admitted", "unknown_target"]
    kinds = ["cqc_major_concern", "cqc_moderate_concern", "significant_breach", "plan_late"]
    for _ in range(300):
        failed = {t for t in targets if rng.random() < 0.3}
        before = [{t for t in targets if rng.random() < 0.6} for _ in range(2)]
        events = [k for k in kinds if rng.random() < 0.2]
        statuses = [TargetStatus(t, t in failed, "") for t in targets]
        history = {t: [t in b for b in before] for t in targets}
        expected = rate_quarter(statuses, history, events, rb)
        assert scorer.rating(failed, before, events) == (expected.rating, expected.significant_breach)
    assert Decimal(0) == rate_quarter([], {}, [], rb).score


@pytest.mark.parametrize("quarter", ["2011-12-Q2", "2012-13-Q2", "2012-13-Q4"])
@pytest.mark.parametrize(
    "what_if",
    [None, {"cdiff_de_minimis": 6}, {"repeat_quarters": 2, "cqc_concern_points": {"cqc_moderate_concern": 1.0}}],
)
def test_governance_untraced_equals_traced(demo, library: RulebookLibrary, quarter: str, what_if) -> None:  # type: ignore[no-untyped-def]
    q = Quarter.parse(quarter)
    traced = gov.governance_for_quarter(demo, library, q, what_if=what_if, traces=True)
    fast = gov.governance_for_quarter(demo, library, q, what_if=what_if)
    assert traced.traces and not fast.traces
    pd.testing.assert_frame_equal(fast.table, traced.table)
    if what_if:
        assert fast.table["assumed"].str.len().gt(0).any()


@pytest.mark.parametrize("year", [2008, 2011, 2013])
def test_rates_summed_in_the_database(demo, library: RulebookLibrary, year: int) -> None:  # type: ignore[no-untyped-def]
    from nhs_oversight.rules.hcai import annual_rates
    from nhs_oversight.service.counts import rates_for_year
    from nhs_oversight.service.data import organisations_of_year

    fy = FinancialYear(year)
    frame, rb = rates_for_year(demo, library, fy)
    orgs = organisations_of_year(read_table(demo, "organisations"), fy, rb)
    expected = annual_rates(
        orgs,
        read_table(demo, "infections", month=[str(m) for m in fy.months()]),
        read_table(demo, "denominators", financial_year=str(fy)),
        fy,
        rb,
    )
    pd.testing.assert_frame_equal(frame[expected.columns], expected)


def test_governance_cached_is_keyed_by_the_database_state(tmp_path: Path, library: RulebookLibrary) -> None:
    from sqlalchemy import update

    from nhs_oversight.store.engine import bump_data_version, write_transaction
    from nhs_oversight.store.tables import DATA_TABLES

    demo = _demo_engine(tmp_path, library)  # changed below: not the shared one
    q = Quarter.parse("2012-13-Q2")
    first = gov.governance_cached(demo, library, q)
    pd.testing.assert_frame_equal(first.table, gov.governance_for_quarter(demo, library, q).table)
    first.table.loc[:, "rating"] = "changed by a caller"
    again = gov.governance_cached(demo, library, q)
    assert "changed by a caller" not in set(again.table["rating"])
    what_if = gov.governance_cached(demo, library, q, what_if={"cdiff_de_minimis": 0})
    assert (
        what_if.what_if == {"cdiff_de_minimis": 0} and what_if.table["assumed"].str.contains("cdiff_de_minimis").all()
    )
    # a change to the data raises data_version: the next call computes afresh
    indicators = DATA_TABLES["indicators"]
    with write_transaction(demo) as conn:
        conn.execute(update(indicators).where(indicators.c.quarter == str(q)).values(met=False))
        bump_data_version(conn)
    after = gov.governance_cached(demo, library, q)
    assert (after.table["score"] > again.table["score"]).any()
    pd.testing.assert_frame_equal(after.table, gov.governance_for_quarter(demo, library, q).table)
