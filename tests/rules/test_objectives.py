"""MRSA and C. difficile objectives: the seeds' worked examples and every boundary."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from nhs_oversight.explain import Trace
from nhs_oversight.rulebooks import apply_what_if
from nhs_oversight.rules.objectives import (
    Baseline,
    median_quartile_objectives,
    national_line,
    quantile_inc,
    round_half_up,
    savings,
    uniform_objectives,
    zero_tolerance_objectives,
)


def trust(code: str, cases: int, bed_days: float = 100_000, agreed: int | None = None) -> Baseline:
    return Baseline(code, "nhs_trust", cases, bed_days, 100_000, "bed-days", agreed)


@pytest.fixture(scope="module")
def mrsa(library):
    return library.get("mrsa-objective-2010-11")


@pytest.fixture(scope="module")
def cdiff(library):
    return library.get("cdiff-objective-2012-13")


def by_code(frame):
    return frame.set_index("org_code")


# --- spreadsheet quantiles and rounding ---------------------------------------------------


def test_quantile_inc_matches_spreadsheet_examples() -> None:
    xs = [Decimal(v) for v in (1, 2, 3, 4)]
    assert quantile_inc(xs, 50) == Decimal("2.5")  # =MEDIAN(1,2,3,4)
    assert quantile_inc(xs, 25) == Decimal("1.75")  # =QUARTILE.INC({1,2,3,4},1)
    assert quantile_inc(xs, 0) == 1 and quantile_inc(xs, 100) == 4
    assert quantile_inc([Decimal(7)], 25) == 7
    with pytest.raises(ValueError):
        quantile_inc([], 50)


@given(st.lists(st.integers(min_value=0, max_value=10_000), min_size=1, max_size=60), st.sampled_from([25, 50, 75]))
def test_quantile_inc_agrees_with_numpy_linear(values: list[int], p: int) -> None:
    ours = quantile_inc([Decimal(v) / 7 for v in values], p)
    theirs = np.percentile(np.array(values) / 7, p, method="linear")
    assert float(ours) == pytest.approx(theirs, rel=1e-12, abs=1e-12)


@pytest.mark.parametrize(
    "value, expected",
    [("9.5", 10), ("10.5", 11), ("0.5", 1), ("2.5", 3), ("9.49999", 9), ("9.50001", 10), ("0", 0), ("3.2", 3)],
)
def test_round_half_up_is_decimal_safe(value: str, expected: int) -> None:
    assert round_half_up(Decimal(value)) == expected


# --- the MRSA objective -----------------------------------------------------------------


def test_seed_example_worse_than_median_reduces_to_the_median(mrsa) -> None:
    # INTERFACE.md: "rate 1.50 is above the median 1.00: reduce to the median or by 20%,
    # whichever is greater → 1.00 per 100,000 bed-days = 10 cases"
    orgs = [trust("A", 5, 1_000_000), trust("B", 10, 1_000_000), trust("C", 15, 1_000_000)]
    out = by_code(median_quartile_objectives(orgs, mrsa))
    assert out.at["C", "baseline_rate"] == pytest.approx(1.5)
    assert out.at["C", "group"] == "worse_than_median"
    assert out.at["C", "target_rate"] == pytest.approx(1.0)
    assert out.at["C", "target_cases"] == 10
    reason = out.at["C", "reason"]
    assert "rate 1.50 is above the median 1.00: reduce to the median or by 20%, whichever is greater" in reason
    assert reason.endswith("1.00 per 100,000 bed-days = 10 cases")


def test_worse_than_median_takes_the_greater_reduction(mrsa) -> None:
    # rates 1, 2, 5: median 2; the 5 becomes min(2, 4) = 2, not 4
    out = by_code(median_quartile_objectives([trust("A", 1), trust("B", 2), trust("C", 5)], mrsa))
    assert out.at["C", "target_rate"] == pytest.approx(2.0)
    # rates 1, 2, 2.2: 20% off 2.2 is 1.76, a greater reduction than the median 2
    out = by_code(
        median_quartile_objectives(
            [trust("A", 10, 1_000_000), trust("B", 20, 1_000_000), trust("C", 22, 1_000_000)], mrsa
        )
    )
    assert out.at["C", "target_rate"] == pytest.approx(1.76)
    assert out.at["C", "target_cases"] == 18  # 17.6 rounded half up


def test_rate_exactly_at_the_median_is_better_than_median(mrsa) -> None:
    out = by_code(median_quartile_objectives([trust(c, n) for c, n in zip("ABCDE", (1, 2, 3, 4, 5))], mrsa))
    assert out.at["C", "baseline_rate"] == pytest.approx(3.0)
    assert out.at["C", "group"] == "better_than_median"  # Q < r ≤ M
    assert out.at["C", "target_rate"] == pytest.approx(2.4)  # max(Q = 2, 0.8 × 3) = 2.4
    assert "at the median" in out.at["C", "reason"]


def test_rate_exactly_at_the_quartile_is_best_quartile(mrsa) -> None:
    out = by_code(median_quartile_objectives([trust(c, n) for c, n in zip("ABCDE", (1, 2, 3, 4, 5))], mrsa))
    assert out.at["B", "group"] == "best_quartile"
    assert out.at["B", "locally_set"]
    assert out.at["B", "target_cases"] == 2
    assert "at the best-quartile boundary" in out.at["B", "reason"]


def test_better_than_median_takes_the_lesser_reduction(mrsa) -> None:
    # rates 1..9: median 5, Q 3. Rate 4 → max(3, 3.2) = 3.2 (20% less); rate 3.5 → max(3, 2.8) = 3 (quartile)
    orgs = [trust(c, n) for c, n in zip("ABCDEFGHI", range(1, 10))]
    out = by_code(median_quartile_objectives(orgs, mrsa))
    assert out.at["D", "target_rate"] == pytest.approx(3.2)
    orgs2 = [trust(c, n * 2) for c, n in zip("ABCDEFGHI", range(1, 10))] + [trust("X", 7)]
    out2 = by_code(median_quartile_objectives(orgs2, mrsa))
    # rates 2, 4, …, 18 and 7: the median is 9 and the quartile 6.25
    q = float(np.percentile([2, 4, 6, 7, 8, 10, 12, 14, 16, 18], 25))
    m = float(np.percentile([2, 4, 6, 7, 8, 10, 12, 14, 16, 18], 50))
    assert out2.at["X", "group"] == "better_than_median" and q < 7 <= m
    assert out2.at["X", "target_rate"] == pytest.approx(max(q, 5.6))


def test_twenty_percent_less_equal_to_the_quartile(mrsa) -> None:
    # rates 4, 5, 6, 8, 10: Q = 5, M = 6; the 6 → max(5, 4.8) = 5; add a rate 6.25 → 0.8 × 6.25 = 5 = Q
    orgs = [
        trust("A", 16, 400_000),
        trust("B", 20, 400_000),
        trust("C", 24, 400_000),
        trust("D", 32, 400_000),
        trust("E", 40, 400_000),
    ]
    base = by_code(median_quartile_objectives(orgs, mrsa))
    assert base.at["C", "target_rate"] == pytest.approx(5.0)
    tie = [trust("A", 4), trust("B", 5), trust("X", 25, 400_000), trust("D", 8), trust("E", 10)]
    out = by_code(median_quartile_objectives(tie, mrsa))
    assert out.at["X", "baseline_rate"] == pytest.approx(6.25)
    assert out.at["X", "group"] == "better_than_median"
    assert out.at["X", "target_rate"] == pytest.approx(5.0)
    assert out.at["X", "target_cases"] == 20
    assert "which is the best quartile" in out.at["X", "reason"]


def test_zero_cases_is_best_quartile_with_a_zero_target(mrsa) -> None:
    out = by_code(median_quartile_objectives([trust("A", 0), trust("B", 3), trust("C", 6)], mrsa))
    assert out.at["A", "group"] == "best_quartile" and out.at["A", "target_cases"] == 0


def test_target_cases_round_half_up(mrsa) -> None:
    # rates 1, 1.5, 2, 3, 3.2 → M = 2, Q = 1.5; X (4 cases, 125,000 bed-days, rate 3.2) → target 2
    # → 2 × 125,000 ÷ 100,000 = 2.5 cases → 3 (half up; banker's rounding would give 2)
    orgs = [trust("A", 1), trust("B", 3, 200_000), trust("C", 2), trust("D", 3), trust("X", 4, 125_000)]
    out = by_code(median_quartile_objectives(orgs, mrsa))
    assert out.at["X", "target_rate"] == pytest.approx(2.0)
    assert out.at["X", "target_cases"] == 3


def test_agreed_local_value_replaces_the_best_quartile_default(mrsa) -> None:
    orgs = [trust("A", 1, agreed=0), trust("B", 3, agreed=9), trust("C", 6)]
    out = by_code(median_quartile_objectives(orgs, mrsa))
    assert out.at["A", "target_cases"] == 0 and out.at["A", "agreed_cases"] == 0
    assert "agreed locally" in out.at["A", "reason"]
    assert out.at["B", "target_cases"] != 9  # B is not best quartile: the rule, not the agreed value
    assert out.at["B", "agreed_cases"] == 9


def test_small_organisation_flag_at_twelve(mrsa) -> None:
    out = by_code(median_quartile_objectives([trust("A", 11), trust("B", 12), trust("C", 30)], mrsa))
    assert out.at["A", "small_organisation"] and not out.at["B", "small_organisation"]


def test_2009_10_exempts_fewer_than_twelve_cases(library) -> None:
    old = library.get("mrsa-objective-2009-10")
    orgs = [trust("A", 11, 200_000), trust("B", 12, 200_000), trust("C", 1), trust("D", 2)]
    out = by_code(median_quartile_objectives(orgs, old))
    assert out.at["A", "group"] == "exempt" and out.at["A", "target_cases"] == 11
    assert out.at["B", "group"] == "worse_than_median"  # 12 cases: at the threshold, not exempt
    new = by_code(median_quartile_objectives(orgs, library.get("mrsa-objective-2010-11")))
    assert new.at["A", "group"] == "worse_than_median"  # the 2010-11 objective removed the threshold


def test_no_denominator_gives_no_rate(mrsa) -> None:
    orgs = [trust("A", 1), trust("B", 2), Baseline("N", "nhs_trust", 3, None, 100_000, "bed-days")]
    out = by_code(median_quartile_objectives(orgs, mrsa))
    assert out.at["N", "group"] == "no_rate" and pd.isna(out.at["N", "target_cases"])


def test_trace_records_every_branch_value(mrsa) -> None:
    traces: dict[str, Trace] = {}
    median_quartile_objectives([trust("A", 1), trust("B", 2), trust("C", 5)], mrsa, traces=traces, period="2011-12")
    text = traces["C"].to_text()
    for value in ("worse_than_median_reduction", "median_percentile", "quantile_method", "target_cases_rounding"):
        assert value in text
    assert {u.name for u in traces["C"].assumptions()} >= {"quantile_method", "target_cases_rounding"}


def test_what_if_reduction_changes_the_target(mrsa) -> None:
    harsher = apply_what_if(mrsa, {"worse_than_median_reduction": 0.5})
    out = by_code(median_quartile_objectives([trust("A", 1), trust("B", 2), trust("C", 5)], harsher))
    assert out.at["C", "target_rate"] == pytest.approx(2.0)  # min(2, 2.5)
    out = by_code(median_quartile_objectives([trust("A", 10), trust("B", 20), trust("C", 22)], harsher))
    assert out.at["C", "target_rate"] == pytest.approx(11.0)


def test_zero_tolerance(library) -> None:
    zt = library.get("mrsa-zero-tolerance-2013-14")
    out = by_code(zero_tolerance_objectives([trust("A", 0), trust("B", 40)], zt))
    assert (out["target_cases"] == 0).all() and (out["group"] == "zero_tolerance").all()


# --- C. difficile ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "baseline, expected",
    [(77, 63), (25, 21), (0, 0), (5, 4), (3, 2), (1, 1), (100, 82)],  # 25 × 0.82 = 20.5 → 21 (half up)
)
def test_uniform_cut(cdiff, baseline: int, expected: int) -> None:
    out = uniform_objectives([trust("A", baseline)], cdiff, 0.18)
    assert out.iloc[0]["target_cases"] == expected


def test_national_line_2012_13_and_2011_12_examples(cdiff, library) -> None:
    orgs = [trust(f"T{i}", n) for i, n in enumerate([77, 25, 0, 5, 200, 13])]
    out = uniform_objectives(orgs, cdiff, 0.18)
    line = national_line(out, cdiff, 0.18)
    assert line["baseline_total"] == 320
    assert line["objectives_total"] == 63 + 21 + 0 + 4 + 164 + 11
    assert line["reduction_achieved"] == pytest.approx(1 - 263 / 320)
    assert line["national_baseline_cases"] == 19754 and line["national_ambition_cases"] == 16100
    old = library.get("cdiff-objective-2011-12")
    line29 = national_line(uniform_objectives(orgs, old, 0.29), old, 0.29)
    assert line29["objectives_total"] == sum(
        round_half_up(Decimal(n) * Decimal("0.71")) for n in [77, 25, 0, 5, 200, 13]
    )
    assert "national_ambition_cases" not in line29


def test_cdiff_median_quartile_method(cdiff) -> None:
    out = by_code(
        median_quartile_objectives(
            [trust("A", 10), trust("B", 20), trust("C", 50)],
            cdiff,
            reduction_name=("median_quartile_reduction", "median_quartile_reduction"),
        )
    )
    assert out.at["C", "target_cases"] == 20


def test_savings_arithmetic(mrsa) -> None:
    out = median_quartile_objectives([trust("A", 1), trust("B", 2), trust("C", 5)], mrsa)
    s = savings(out, mrsa)
    assert s["cases_avoided_per_year"] == 3  # C: 5 → 2
    factor = sum(1 / 1.035**t for t in range(10))
    assert s["saving_over_horizon"] == pytest.approx(3 * 9000 * factor)
    assert s["claimed_net_saving"] == 160_000_000
