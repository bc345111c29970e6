"""Financial risk ratings: the published FRR examples, every threshold, x.5, every cap,
normalisation, the 10-point scale's overrides and their one-point limit, the continuity
of service rating and 2*.

Expected values are worked by hand from the tables of RULES.md §4, §5 (our provisional
10-point table, monitor-licence-consultation-2012.yaml) and §7; the arithmetic is in the
comments beside them.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nhs_oversight.explain import Trace
from nhs_oversight.periods import FinancialYear, Quarter
from nhs_oversight.rulebooks import apply_what_if
from nhs_oversight.rules.finance import (
    Event,
    FormulaError,
    annualisation,
    band_of,
    compute_metrics,
    continuity_rating,
    evaluate_formula,
    events_in_window,
    frr_caps,
    frr_rating,
    round_rating,
    score_metric,
    ten_point_rating,
    weighted_average,
)

FRR_METRICS = ("ebitda_margin", "ebitda_achieved", "net_return_after_financing", "surplus_margin", "liquid_ratio")


@pytest.fixture(scope="module")
def frr(library):
    return library.get("monitor-frr-2012-13")


@pytest.fixture(scope="module")
def ten(library):
    return library.get("monitor-licence-consultation-2012")


@pytest.fixture(scope="module")
def raf(library):
    return library.get("monitor-raf-2013")


def figures(**changes: float) -> dict[str, float]:
    """A provider's year [GBP thousands]. Unchanged, its metrics are:
    EBITDA margin 6,000/100,000 = 6%; EBITDA achieved 6,000/6,000 = 100%;
    net return 1,500/60,000 = 2.5%; I&E surplus margin 1,500/100,000 = 1.5%;
    liquid ratio 360 × (15,000 − 12,000 + 2,000)/94,000 = 19.15 days;
    interest cover 6,000/500 = 12; capital service cover (6,000 + 100)/(1,000 + 500 + 1,000) = 2.44;
    PFI share 0; borrowings 10,000/100,000 = 0.1 years of income.
    """
    row = {
        "operating_income": 100_000,
        "operating_expenses": 94_000,
        "ebitda": 6_000,
        "planned_ebitda": 6_000,
        "net_surplus": 1_500,
        "exceptional_income": 0,
        "pdc_dividend": 1_000,
        "interest_payable": 500,
        "interest_receivable": 100,
        "pfi_unitary_payments": 0,
        "loan_principal_repaid": 1_000,
        "cash": 5_000,
        "current_assets": 15_000,
        "current_liabilities": 12_000,
        "committed_facilities": 2_000,
        "total_assets": 60_000,
        "borrowings": 10_000,
    }
    row.update(changes)
    return row


def strong(**changes: float) -> dict[str, float]:
    """Every FRR metric at 5: margin 12%, achieved 100%, net return 3,500/100,000 = 3.5% (> 3),
    surplus margin 3.5%, liquid ratio 360 × 15,000/88,000 = 61.4 days."""
    base = figures(
        ebitda=12_000,
        planned_ebitda=12_000,
        operating_expenses=88_000,
        net_surplus=3_500,
        total_assets=100_000,
        current_assets=20_000,
        current_liabilities=5_000,
        committed_facilities=0,
    )
    base.update(changes)
    return base


def event(kind: str, date: str = "2012-07-01", **kw: object) -> Event:
    return Event(event_id=f"E-{kind}", kind=kind, date=dt.date.fromisoformat(date), **kw)  # type: ignore[arg-type]


# --- formulas ----------------------------------------------------------------------------


def test_formulas_are_exact_and_refuse_what_is_not_arithmetic() -> None:
    assert evaluate_formula("100 * a / b", {"a": 0.1, "b": 0.3}) == Decimal(100) * Decimal("0.1") / Decimal("0.3")
    assert evaluate_formula("(a + b) / c", {"a": 1, "b": 2, "c": 0}) is None  # division by zero
    assert evaluate_formula("a / c", {"a": 1, "c": -4}) is None  # a negative denominator has no meaning
    assert evaluate_formula("a - b", {"a": 1, "b": float("nan")}) is None  # a missing figure
    assert evaluate_formula("-a + 2", {"a": 5}) == Decimal(-3)
    with pytest.raises(FormulaError, match="not a figure"):
        evaluate_formula("a / nope", {"a": 1})
    with pytest.raises(FormulaError, match="not allowed"):
        evaluate_formula("__import__('os')", {})
    with pytest.raises(FormulaError, match="cannot be read"):
        evaluate_formula("a +* b", {"a": 1, "b": 2})


def test_metric_definitions_of_rules_section_4(ten) -> None:
    m = compute_metrics(figures(pfi_unitary_payments=12_000), ten)
    assert m["ebitda_margin"].value == Decimal(6)
    assert m["ebitda_achieved"].value == Decimal(100)
    assert m["net_return_after_financing"].value == Decimal("2.5")
    assert m["surplus_margin"].value == Decimal("1.5")
    assert m["liquid_ratio"].value == Decimal(360) * Decimal(5_000) / Decimal(94_000)
    assert m["interest_cover"].value == Decimal(12)
    assert m["capital_service_cover"].value == Decimal(6_100) / Decimal(2_500)
    assert m["pfi_share"].value == Decimal("0.12")
    assert m["ebitda_margin"].inputs == {"ebitda": 6_000.0, "operating_income": 100_000.0}
    assert list(m)[:7] == list(ten.value("rated_metrics"))


def test_a_quarter_is_annualised_where_flows_meet_balances(frr) -> None:
    # Q2 year to date: 6 months → annualisation 2; liquid ratio 360 × 5,000 / (47,000 × 2) = 19.15 days
    assert annualisation(Quarter.parse("2012-13-Q2")) == 2
    assert annualisation(FinancialYear.parse("2012-13")) == 1
    q2 = figures(operating_expenses=47_000, net_surplus=750, annualisation=2)
    m = compute_metrics(q2, frr)
    assert m["liquid_ratio"].value == Decimal(360) * Decimal(5_000) / Decimal(94_000)
    assert m["net_return_after_financing"].value == Decimal("2.5")  # 100 × 750 × 2 / 60,000


# --- the FRR: published examples ---------------------------------------------------------


def test_published_example_3_4_3_2_3_gives_2_90_and_3(frr) -> None:
    scores = dict(zip(FRR_METRICS, (3, 4, 3, 2, 3)))
    weighted = weighted_average(scores, frr)
    assert weighted == Decimal("2.90")  # 0.25×3 + 0.10×4 + 0.20×3 + 0.20×2 + 0.25×3
    assert round_rating(weighted, frr) == 3
    rating, records = frr_caps(scores, 3, frr)
    assert rating == 3  # one metric at 2: at most 3, which does not lower 3
    assert [(r.name, r.applied) for r in records] == [("one_metric_at_2", False)]


def test_published_example_3_6_rounds_to_4_capped_at_3(frr) -> None:
    scores = dict(zip(FRR_METRICS, (4, 4, 4, 2, 4)))
    weighted = weighted_average(scores, frr)
    assert weighted == Decimal("3.6")  # 1.0 + 0.4 + 0.8 + 0.4 + 1.0
    assert round_rating(weighted, frr) == 4
    rating, records = frr_caps(scores, 4, frr)
    assert rating == 3
    assert records[0].name == "one_metric_at_2" and records[0].applied and records[0].movement == -1


def test_published_example_3_2_gives_3(frr) -> None:
    scores = dict(zip(FRR_METRICS, (3, 5, 3, 3, 3)))
    assert weighted_average(scores, frr) == Decimal("3.2")  # 0.75 + 0.5 + 0.6 + 0.6 + 0.75
    assert frr_caps(scores, round_rating(Decimal("3.2"), frr), frr) == (3, [])


def test_published_example_from_the_figures(frr) -> None:
    # margin 6% → 3; achieved 6,000/7,000 = 85.7% → 4; net return 500/50,000 = 1% → 3;
    # surplus margin 0.5% → 2; liquid ratio 19.15 days → 3: scores 3, 4, 3, 2, 3 → 2.90 → 3
    trace = Trace.start("RA1", "2012-13", frr.regime, frr)
    r = frr_rating(figures(planned_ebitda=7_000, net_surplus=500, total_assets=50_000), frr, trace=trace)
    assert [s.score for s in r.card.scores.values()] == [3, 4, 3, 2, 3]
    assert r.weighted_score == Decimal("2.9") and r.uncapped_rating == 3 and r.rating == 3
    assert r.band == "" and r.label == "3"
    metric_steps = [s for s in trace.steps if s.rule == "finance.reported.metric"]
    assert len(metric_steps) == 5
    assert metric_steps[0].inputs == {"ebitda": 6_000.0, "operating_income": 100_000.0}
    assert {u.name for u in metric_steps[0].uses} >= {"ebitda_margin_formula", "ebitda_margin_weight"}
    assert any(s.rule == "finance.reported.cap" and "at most 3" in s.text for s in trace.steps)


# --- the FRR: every threshold, at it and just below ------------------------------------


def _at(metric: str, value: Decimal) -> dict[str, float]:
    """Figures that put ``metric`` exactly at ``value`` (the other metrics do not matter)."""
    v = float(value * 1000)
    if metric == "ebitda_margin":
        return figures(ebitda=v)  # 100 × v / 100,000
    if metric == "ebitda_achieved":
        return figures(ebitda=v, planned_ebitda=100_000)
    if metric == "net_return_after_financing":
        return figures(net_surplus=v, total_assets=100_000)
    if metric == "surplus_margin":
        return figures(net_surplus=v)
    # liquid ratio: 360 × (current_assets − 0 + 0) / 36,000 = current_assets / 100 days
    return figures(
        current_assets=float(value * 100), current_liabilities=0, committed_facilities=0, operating_expenses=36_000
    )


# (metric, value, score) from the published table: at each threshold, and 0.001 below it
FRR_BOUNDARIES = [
    ("ebitda_margin", "11", 5), ("ebitda_margin", "10.999", 4), ("ebitda_margin", "9", 4),
    ("ebitda_margin", "8.999", 3), ("ebitda_margin", "5", 3), ("ebitda_margin", "4.999", 2),
    ("ebitda_margin", "1", 2), ("ebitda_margin", "0.999", 1),
    ("ebitda_achieved", "100", 5), ("ebitda_achieved", "99.999", 4), ("ebitda_achieved", "85", 4),
    ("ebitda_achieved", "84.999", 3), ("ebitda_achieved", "70", 3), ("ebitda_achieved", "69.999", 2),
    ("ebitda_achieved", "50", 2), ("ebitda_achieved", "49.999", 1),
    # net return: '>3' is strict — exactly 3 scores 4, just above scores 5
    ("net_return_after_financing", "3.001", 5), ("net_return_after_financing", "3", 4),
    ("net_return_after_financing", "2", 4), ("net_return_after_financing", "1.999", 3),
    ("net_return_after_financing", "-0.5", 3), ("net_return_after_financing", "-0.501", 2),
    ("net_return_after_financing", "-5", 2), ("net_return_after_financing", "-5.001", 1),
    ("surplus_margin", "3", 5), ("surplus_margin", "2.999", 4), ("surplus_margin", "2", 4),
    ("surplus_margin", "1.999", 3), ("surplus_margin", "1", 3), ("surplus_margin", "0.999", 2),
    ("surplus_margin", "-2", 2), ("surplus_margin", "-2.001", 1),
    ("liquid_ratio", "60", 5), ("liquid_ratio", "59.99", 4), ("liquid_ratio", "25", 4),
    ("liquid_ratio", "24.99", 3), ("liquid_ratio", "15", 3), ("liquid_ratio", "14.99", 2),
    ("liquid_ratio", "10", 2), ("liquid_ratio", "9.99", 1),
]  # fmt: skip


@pytest.mark.parametrize("metric, value, expected", FRR_BOUNDARIES)
def test_every_frr_threshold(frr, metric: str, value: str, expected: int) -> None:
    m = compute_metrics(_at(metric, Decimal(value)), frr)[metric]
    assert m.value == Decimal(value)
    assert score_metric(m, frr)[0] == expected


@pytest.mark.parametrize(
    "value, expected",
    [("3.5", 4), ("2.5", 3), ("1.5", 2), ("4.5", 5), ("3.4999", 3), ("3.5001", 4), ("2.9", 3), ("3.2", 3)],
)
def test_frr_rounds_halves_up(frr, value: str, expected: int) -> None:
    assert round_rating(Decimal(value), frr) == expected


def test_an_exact_half_from_float_weights_is_a_half(frr) -> None:
    # 0.25×3 + 0.10×4 + 0.20×4 + 0.20×4 + 0.25×3 = 3.5 exactly (binary floats give 3.4999…)
    scores = dict(zip(FRR_METRICS, (3, 4, 4, 4, 3)))
    assert weighted_average(scores, frr) == Decimal("3.5")
    assert round_rating(weighted_average(scores, frr), frr) == 4


# --- the FRR: every cap ------------------------------------------------------------------


def test_the_strong_provider_is_a_5(frr) -> None:
    r = frr_rating(strong(), frr)
    assert [s.score for s in r.card.scores.values()] == [5, 5, 5, 5, 5] and r.rating == 5 and r.overrides == []


@pytest.mark.parametrize(
    "kind, cap",
    [("plan_late", 3), ("plan_incomplete", 3), ("pdc_unpaid", 2), ("pbc_breach", 2), ("cqc_major_concern", 5)],
)
def test_event_caps(frr, kind: str, cap: int) -> None:
    r = frr_rating(strong(), frr, [event(kind, evidence="as recorded")])
    assert r.uncapped_rating == 5 and r.rating == cap
    if cap < 5:
        (record,) = r.overrides
        assert record.name == kind and record.applied and record.movement == cap - 5 and record.event_id == f"E-{kind}"


@pytest.mark.parametrize(
    "changes, scores, uncapped, rating",
    [
        # margin 0.5% → 1 (plan lowered with it, so achievement stays 100%): 0.25 + 3.75 = 4.0 → 4, one at 1 → 2
        ({"ebitda": 500, "planned_ebitda": 500}, [1, 5, 5, 5, 5], 4, 2),
        # and liquid ratio 360 × 1,300 / 88,000 = 5.3 days → 1: 0.25 + 0.5 + 1 + 1 + 0.25 = 3.0 → 3, two at 1 → 1
        ({"ebitda": 500, "planned_ebitda": 500, "current_assets": 6_300}, [1, 5, 5, 5, 1], 3, 1),
        # margin 2% → 2: 0.5 + 0.5 + 1 + 1 + 1.25 = 4.25 → 4, one at 2 → 3
        ({"ebitda": 2_000, "planned_ebitda": 2_000}, [2, 5, 5, 5, 5], 4, 3),
        # and liquid 360 × 3,000 / 88,000 = 12.3 days → 2: 3.5 → 4 (half up), two at 2 → 2
        ({"ebitda": 2_000, "planned_ebitda": 2_000, "current_assets": 8_000}, [2, 5, 5, 5, 2], 4, 2),
    ],
)
def test_metric_caps(frr, changes: dict, scores: list[int], uncapped: int, rating: int) -> None:
    r = frr_rating(strong(**changes), frr)
    assert [s.score for s in r.card.scores.values()] == scores
    assert (r.uncapped_rating, r.rating) == (uncapped, rating)
    assert any(o.applied and int(o.threshold) == rating for o in r.overrides)


def test_caps_combine_to_the_lowest(frr) -> None:
    # one metric at 2 (max 3) and a PDC dividend unpaid (max 2) → 2
    r = frr_rating(strong(ebitda=2_000, planned_ebitda=2_000), frr, [event("pdc_unpaid", value=300)])
    assert r.rating == 2 and sorted(int(o.threshold) for o in r.overrides) == [2, 3]


def test_events_count_in_the_year_to_date_only() -> None:
    events = [event("plan_late", "2012-06-20"), event("pdc_unpaid", "2012-10-01"), event("pbc_breach", "2013-04-01")]
    year = [e.kind for e in events_in_window(events, FinancialYear.parse("2012-13"))]
    q2 = [e.kind for e in events_in_window(events, Quarter.parse("2012-13-Q2"))]
    q3_only = [e.kind for e in events_in_window(events, Quarter.parse("2012-13-Q3"), "period")]
    assert year == ["plan_late", "pdc_unpaid"] and q2 == ["plan_late"] and q3_only == ["pdc_unpaid"]


# --- normalisation and division by zero --------------------------------------------------


def test_normalised_rating_removes_exceptional_income(frr) -> None:
    row = strong(exceptional_income=4_000)
    reported = frr_rating(row, frr)
    normalised = frr_rating(row, frr, normalised=True)
    assert reported.rating == 5
    # without the £4,000k: EBITDA 8,000 of income 96,000 = 8.33% → 3; achieved 8,000/12,000 = 66.7% → 2;
    # net return −500/100,000 = −0.5% → 3 (at the threshold); surplus margin −500/96,000 = −0.52% → 2;
    # liquid ratio unchanged → 5: 0.75 + 0.2 + 0.6 + 0.4 + 1.25 = 3.2 → 3, two at 2 → 2
    assert [s.score for s in normalised.card.scores.values()] == [3, 2, 3, 2, 5]
    assert normalised.weighted_score == Decimal("3.2") and normalised.rating == 2


def test_no_income_no_plan_no_interest_give_a_clear_result(frr, ten) -> None:
    empty = {k: 0 for k in figures()}
    r = frr_rating(empty, frr)
    # margins, return and liquid ratio undefined → 1 each; EBITDA 0 reaches a plan of 0 → 5:
    # 0.25 + 0.5 + 0.2 + 0.2 + 0.25 = 1.4 → 1
    assert [s.score for s in r.card.scores.values()] == [1, 5, 1, 1, 1] and r.rating == 1
    assert "operating_income = zero" in r.card.scores["ebitda_margin"].metric.undefined
    behind = frr_rating(figures(planned_ebitda=-1_000, ebitda=-2_000), frr)
    assert behind.card.scores["ebitda_achieved"].score == 1  # a negative plan, missed
    met = frr_rating(figures(planned_ebitda=-1_000, ebitda=-500), frr)
    assert met.card.scores["ebitda_achieved"].score == 5  # a negative plan, beaten
    no_interest = ten_point_rating(figures(interest_payable=0), ten)
    assert no_interest.card.scores["interest_cover"].score == 1  # no interest payable: the best score
    assert no_interest.card.metrics["interest_cover"].value is None


# --- the 10-point scale -------------------------------------------------------------------


def test_ten_point_table_is_monotone_and_every_threshold_assumed(ten) -> None:
    for name in ten.value("rated_metrics"):
        thresholds = ten.value(f"{name}_thresholds")
        assert len(thresholds) == 9 and thresholds == sorted(thresholds, reverse=True)
        assert ten[f"{name}_thresholds"].status == "assumed"
    assert ten.in_force is None  # a consultation: used only when named
    assert ten["pfi_share_limit"].value == 0.10 and ten["pfi_share_limit"].status == "seed"
    assert ten["bands"].status == "seed" and ten["override_net_limit"].status == "seed"
    assert sum(Decimal(str(ten.value(f"{n}_weight"))) for n in ten.value("rated_metrics")) == 1


@pytest.mark.parametrize("rating, band", [(1, "normal"), (5, "normal"), (6, "concern"), (7, "concern"),
                                          (8, "distress"), (9, "distress"), (10, "failure")])  # fmt: skip
def test_bands(ten, rating: int, band: str) -> None:
    assert band_of(rating, ten) == band


def test_ten_point_core_rating(ten) -> None:
    # margin 6 → 5; achieved 100 → 2; net return 2.5 → 3; surplus margin 1.5 → 4; liquid 19.15 → 5;
    # interest cover 12 → 1; capital service cover 2.44 → 4:
    # 0.2×5 + 0.08×2 + 0.16×3 + 0.16×4 + 0.2×5 + 0.1×1 + 0.1×4 = 3.78 → 4, normal
    r = ten_point_rating(figures(), ten)
    assert [s.score for s in r.card.scores.values()] == [5, 2, 3, 4, 5, 1, 4]
    assert r.weighted_score == Decimal("3.78") and r.rating == 4 and r.band == "normal"
    assert r.response == "routine monitoring"
    assert {o.name for o in r.overrides} == {"pfi_share", "indebtedness"} and not any(o.applied for o in r.overrides)


@pytest.mark.parametrize(
    "pfi, rating",
    [(0, 4), (10_000, 4), (10_001, 5), (15_000, 5)],  # exactly 10% does not exceed 10%
)
def test_pfi_override(ten, pfi: float, rating: int) -> None:
    r = ten_point_rating(figures(pfi_unitary_payments=pfi), ten)
    assert r.uncapped_rating == 4 and r.rating == rating
    (record,) = [o for o in r.overrides if o.name == "pfi_share"]
    assert record.applied is (rating == 5) and record.threshold == 0.10
    assert record.trigger["pfi_unitary_payments"] == pfi and record.movement == (1 if rating == 5 else 0)


def test_twins_differing_only_in_pfi_differ_by_exactly_one_point(ten) -> None:
    low, high = ten_point_rating(figures(), ten), ten_point_rating(figures(pfi_unitary_payments=12_000), ten)
    assert high.rating - low.rating == 1
    # with another downgrade already applied, the net limit leaves nothing for the PFI override
    credit = [event("credit_rating", value=12)]
    low, high = (
        ten_point_rating(figures(), ten, credit),
        ten_point_rating(figures(pfi_unitary_payments=12_000), ten, credit),
    )
    assert (low.rating, high.rating) == (5, 5)
    assert [o.capped for o in high.overrides if o.applied] == [True, True]
    # an upgrade (credit rating AA, notch 3) and the PFI downgrade cancel out
    strong_credit = [event("credit_rating", value=3)]
    assert ten_point_rating(figures(pfi_unitary_payments=12_000), ten, strong_credit).rating == 4


@pytest.mark.parametrize(
    "cost, rating, applied",
    [
        # £1,000k: EBITDA 5,000 → margin 5 (5), achieved 83.3 (4), net return 0.83 (4), surplus margin 0.5 (6),
        # liquid 360 × 4,000 / 95,000 = 15.2 (5), interest cover 10 (1), cover 5,100/2,500 = 2.04 (5):
        # 1.0 + 0.32 + 0.64 + 0.96 + 1.0 + 0.1 + 0.5 = 4.52 → 5: one point worse → applied, 4 → 5
        (1_000, 5, True),
        # £100k: achieved 98.3 (3), net return 2.33 (3), surplus margin 1.4 (5), others unchanged:
        # 1.0 + 0.24 + 0.48 + 0.8 + 1.0 + 0.1 + 0.4 = 4.02 → 4: no movement → not applied
        (100, 4, False),
    ],
)
def test_cqc_concern_is_costed_and_re_rated(ten, cost: float, rating: int, applied: bool) -> None:
    trace = Trace.start("X", "2012-13", ten.regime, ten)
    r = ten_point_rating(figures(), ten, [event("cqc_major_concern", estimated_cost=cost)], trace=trace)
    assert r.rating == rating
    (record,) = [o for o in r.overrides if o.name == "cqc_major_concern"]
    assert record.applied is applied and record.trigger["estimated_cost"] == cost
    assert record.trigger["rerated_rating"] == (5 if applied else 4)
    assert any(s.rule == "finance.reported.rerate" for s in trace.steps)


def test_twins_differing_only_in_a_costed_cqc_concern(ten) -> None:
    plain = ten_point_rating(figures(), ten)
    concern = ten_point_rating(figures(), ten, [event("cqc_major_concern", estimated_cost=1_000)])
    assert concern.rating - plain.rating == 1


def test_uncosted_concern_is_listed_not_applied(ten) -> None:
    r = ten_point_rating(figures(), ten, [event("cqc_major_concern")])
    (record,) = [o for o in r.overrides if o.name == "cqc_major_concern"]
    assert not record.applied and "no estimated cost" in record.why and r.rating == 4


# £5,000k: EBITDA 1,000 → margin 1 (7), achieved 16.7 (10), net return −3,500/60,000 = −5.83 (8),
# surplus margin −3.5 (8), liquid 0 days (10), interest cover 2 (7), cover 1,100/2,500 = 0.44 (10):
# 1.4 + 0.8 + 1.28 + 1.28 + 2.0 + 0.7 + 1.0 = 8.46 → 8, four points worse than 4
BIG = 5_000


def test_a_large_cost_moves_one_point_without_the_exceptional_mark(ten) -> None:
    r = ten_point_rating(figures(), ten, [event("cqc_major_concern", estimated_cost=BIG)])
    (record,) = [o for o in r.overrides if o.applied]
    assert record.trigger["rerated_rating"] == 8 and record.movement == 4 and record.capped
    assert r.net_movement == 1 and r.rating == 5 and r.band == "normal"


def test_an_exceptional_event_with_evidence_moves_its_whole_amount(ten) -> None:
    evidence = "board forecasts cash exhausted within two quarters"
    r = ten_point_rating(
        figures(), ten, [event("cqc_major_concern", estimated_cost=BIG, exceptional=True, evidence=evidence)]
    )
    (record,) = [o for o in r.overrides if o.applied]
    assert record.exceptional and evidence in record.why and record.evidence == evidence
    assert r.rating == 8 and r.band == "distress" and r.response == "intervention"


def test_exceptional_without_evidence_stays_within_the_limit(ten) -> None:
    r = ten_point_rating(
        figures(), ten, [event("cqc_major_concern", estimated_cost=BIG, exceptional=True, evidence=" ")]
    )
    (record,) = [o for o in r.overrides if o.applied]
    assert not record.exceptional and "without evidence" in record.why and r.rating == 5


def test_exceptional_and_ordinary_overrides_together(ten) -> None:
    # PFI +1 (ordinary, within the limit) plus the exceptional +4: 4 + 1 + 4 = 9
    events = [event("cqc_major_concern", estimated_cost=BIG, exceptional=True, evidence="drastic")]
    assert ten_point_rating(figures(pfi_unitary_payments=12_000), ten, events).rating == 9


@pytest.mark.parametrize(
    "kind, value, movement",
    [
        ("credit_rating", 11, 1), ("credit_rating", 10, 0), ("credit_rating", 4, -1), ("credit_rating", 5, 0),
        ("block_contract_share", 0.51, 1), ("block_contract_share", 0.5, 0),
        ("commissioner_count", 2, 1), ("commissioner_count", 3, 0),
        ("indebtedness", 1.2, 1), ("indebtedness", 1.0, 0),
    ],
)  # fmt: skip
def test_quantitative_event_overrides_at_their_thresholds(ten, kind: str, value: float, movement: int) -> None:
    r = ten_point_rating(figures(), ten, [event(kind, value=value)])
    (record,) = [o for o in r.overrides if o.event_id == f"E-{kind}"]
    assert record.movement == movement and record.applied is (movement != 0)
    assert r.rating == 4 + movement


def test_indebtedness_from_the_balance_sheet(ten) -> None:
    # borrowings 100,001 / 100,000 = 1.00001 years of income > 1 → +1
    assert ten_point_rating(figures(borrowings=100_000), ten).rating == 4
    assert ten_point_rating(figures(borrowings=100_001), ten).rating == 5


def test_the_rating_stays_on_the_scale(ten) -> None:
    awful = figures(ebitda=-10_000, net_surplus=-20_000, current_assets=0, planned_ebitda=10_000, total_assets=100_000)
    worst = ten_point_rating(awful, ten, [event("credit_rating", value=15)])
    assert worst.uncapped_rating == 10 and worst.rating == 10 and worst.band == "failure"
    best_row = figures(ebitda=20_000, planned_ebitda=15_000, net_surplus=5_000, total_assets=100_000,
                       current_assets=40_000, interest_payable=0, pdc_dividend=0, loan_principal_repaid=0)  # fmt: skip
    best = ten_point_rating(best_row, ten, [event("credit_rating", value=1)])
    assert best.uncapped_rating == 1 and best.rating == 1


@settings(max_examples=60, deadline=None)
@given(
    pfi=st.sampled_from([0, 15_000]),
    notch=st.sampled_from([None, 2, 8, 14]),
    share=st.sampled_from([None, 0.3, 0.9]),
    count=st.sampled_from([None, 1, 6]),
    cost=st.sampled_from([None, 100, 1_000, 5_000]),
    ebitda=st.integers(-8_000, 14_000),
)
def test_ordinary_overrides_never_move_more_than_one_point(ten, pfi, notch, share, count, cost, ebitda) -> None:
    events = [event(k, value=v) for k, v in (("credit_rating", notch), ("block_contract_share", share),
                                             ("commissioner_count", count)) if v is not None]  # fmt: skip
    if cost is not None:
        events.append(event("cqc_major_concern", estimated_cost=cost, exceptional=True, evidence=""))
    r = ten_point_rating(figures(pfi_unitary_payments=pfi, ebitda=ebitda), ten, events)
    assert 1 <= r.rating <= 10 and abs(r.rating - r.uncapped_rating) <= 1
    assert r.net_movement == max(-1, min(1, sum(o.movement for o in r.overrides if o.applied)))


def test_what_if_changes_the_results(frr, ten) -> None:
    at_11 = strong(ebitda=11_000, planned_ebitda=11_000)
    assert frr_rating(at_11, frr).card.scores["ebitda_margin"].score == 5
    stricter = apply_what_if(frr, {"ebitda_margin_thresholds": [12, 9, 5, 1]})
    assert frr_rating(at_11, stricter).card.scores["ebitda_margin"].score == 4
    looser = apply_what_if(ten, {"pfi_share_limit": 0.15})
    assert ten_point_rating(figures(pfi_unitary_payments=12_000), looser).rating == 4
    trace = Trace.start("X", "2012-13", looser.regime, looser)
    ten_point_rating(figures(pfi_unitary_payments=12_000), looser, trace=trace)
    assert "pfi_share_limit" in {u.name for u in trace.assumptions()} and trace.what_if == {"pfi_share_limit": 0.15}


USER_BOOK = """id: my-finance
extends: {parent}
values:
  {name}:
    value: {value}
    unit: {unit}
    source: {{title: Our board's own table, address: https://example.org/board-paper}}
    status: assumed
    note: A user's replacement.
"""


def test_a_users_rulebook_replaces_or_adds_values(library, tmp_path) -> None:
    path = tmp_path / "frr.yaml"
    path.write_text(
        USER_BOOK.format(parent="monitor-frr-2012-13", name="cap_significant_breach", value=1, unit="maximum rating")
    )
    mine = library.get(path)
    breach = [event("significant_breach", evidence="terms of authorisation breached")]
    assert frr_rating(strong(), library.get("monitor-frr-2012-13"), breach).rating == 5  # not a cap in Monitor's table
    assert frr_rating(strong(), mine, breach).rating == 1
    path.write_text(
        USER_BOOK.format(
            parent="monitor-licence-consultation-2012",
            name="ebitda_margin_thresholds",
            value=[14, 12, 10, 8, 6, 4, 2, 0, -2],
            unit="per cent",
        )
    )
    # margin 6% now scores 5 on the user's table, as before, and 5.9% scores 6:
    # 0.2×6 + 0.08×2 + 0.16×3 + 0.16×4 + 0.2×5 + 0.1×1 + 0.1×4 = 3.98 → 4 (was 3.78 with a 5)
    ten_user = library.get(path)
    r = ten_point_rating(figures(ebitda=5_900, planned_ebitda=5_900), ten_user)
    assert r.card.scores["ebitda_margin"].score == 6 and r.rating == 4
    assert "ebitda_margin_thresholds" in {v.name for v in ten_user.assumed}


def test_a_broken_table_is_refused_with_its_name(frr) -> None:
    rising = apply_what_if(frr, {"liquid_ratio_thresholds": [10, 15, 25, 60]})
    with pytest.raises(FormulaError, match="liquid_ratio_thresholds must not increase"):
        frr_rating(figures(), rising)
    short = apply_what_if(frr, {"liquid_ratio_thresholds": [60, 25, 15]})
    with pytest.raises(FormulaError, match="liquid_ratio_thresholds has 3 values"):
        frr_rating(figures(), short)
    bad = apply_what_if(frr, {"ebitda_margin_formula": "100 * ebitda / turnover"})
    with pytest.raises(FormulaError, match="turnover"):
        frr_rating(figures(), bad)


# --- the continuity of service rating ---------------------------------------------------


def _raf(csc: str, liquidity: str) -> dict[str, float]:
    """Capital service cover = EBITDA / 1,000 (no interest, principal or interest receivable);
    liquidity = 360 × (current assets − current liabilities) / 36,000 = (CA − CL) / 100 days."""
    liq = float(Decimal(liquidity) * 100)
    return figures(ebitda=float(Decimal(csc) * 1000), interest_receivable=0, pdc_dividend=1_000, interest_payable=0,
                   loan_principal_repaid=0, operating_expenses=36_000, committed_facilities=0,
                   current_assets=max(liq, 0.0), current_liabilities=max(-liq, 0.0))  # fmt: skip


@pytest.mark.parametrize(
    "csc, score",
    [("2.5", 4), ("2.499", 3), ("1.75", 3), ("1.749", 2), ("1.25", 2), ("1.249", 1), ("-1", 1)],
)
def test_capital_service_cover_thresholds(raf, csc: str, score: int) -> None:
    r = continuity_rating(_raf(csc, "0"), raf)
    assert r.card.metrics["capital_service_cover"].value == Decimal(csc)
    assert r.card.scores["capital_service_cover"].score == score


@pytest.mark.parametrize(
    "days, score", [("0", 4), ("-0.01", 3), ("-7", 3), ("-7.01", 2), ("-14", 2), ("-14.01", 1), ("30", 4)]
)
def test_liquidity_thresholds(raf, days: str, score: int) -> None:
    r = continuity_rating(_raf("3", days), raf)
    assert r.card.metrics["liquidity"].value == Decimal(days)
    assert r.card.scores["liquidity"].score == score


@pytest.mark.parametrize(
    "csc, days, rating",
    [("3", "0", 4), ("3", "-1", 4), ("2", "-1", 3), ("1.5", "-8", 2), ("1", "-8", 2), ("1", "-20", 1)],
    # (4+4)/2 = 4; (4+3)/2 = 3.5 → 4; 3; 2; (1+2)/2 = 1.5 → 2; 1
)
def test_continuity_rating_averages_and_rounds_halves_up(raf, csc: str, days: str, rating: int) -> None:
    r = continuity_rating(_raf(csc, days), raf)
    assert r.rating == rating and r.label == str(rating) and r.band == ""


def test_no_debt_service_scores_best(raf) -> None:
    r = continuity_rating(figures(pdc_dividend=0, interest_payable=0, loan_principal_repaid=0), raf)
    assert r.card.scores["capital_service_cover"].score == 4


def test_two_star(raf) -> None:
    now = _raf("1.5", "-10")  # 2 and 2 → 2
    worse_before = _raf("1.4", "-12")
    better_before = _raf("1.6", "-12")
    assert continuity_rating(now, raf).label == "2"  # not asked
    assert continuity_rating(now, raf, two_star=True, previous=worse_before).label == "2*"
    assert continuity_rating(now, raf, two_star=True, previous=better_before).label == "2"  # cover fell
    assert continuity_rating(now, raf, two_star=True).label == "2"  # nothing to compare with
    assert continuity_rating(now, raf, two_star=True, unlikely_to_worsen=True).label == "2*"  # an analyst's word
    three = continuity_rating(_raf("2", "-1"), raf, two_star=True, unlikely_to_worsen=True)
    assert three.label == "3"  # only a 2 is starred
    assert continuity_rating(now, raf, two_star=True, previous=worse_before).response.startswith("material risk;")
