"""SPC charts (NHS "Making Data Count"): hand-computed series, the arithmetic in comments."""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import pytest

from nhs_oversight.rulebooks import load_library
from nhs_oversight.stats.spc import (
    SPC_COLUMNS,
    SPC_RULES,
    SpcRules,
    c_chart,
    days_between_cases,
    spc_chart,
    t_chart,
    u_chart,
    xmr_chart,
    xmr_warning,
)

RULES = SpcRules(shift=7, trend=7, rules=SPC_RULES, screen_moving_ranges=True, xmr_min_mean=10)


def only(*rules: str) -> SpcRules:
    return dataclasses.replace(RULES, rules=rules)


# ---------------------------------------------------------------- XmR limits and screening


def test_xmr_matches_nhsrplotthedots_vignette_with_and_without_screening():
    # NHSRplotthedots vignette "Deviations from Excel defaults" (deviations.Rmd):
    # data <- c(1, 2, 1, 2, 10, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1)
    # default (screened): "UPL = 4.6, Mean = 1.94, LPL = -0.72";
    # screen_outliers = FALSE (the Excel tools): "UPL = 6.95, Mean = 1.94, LPL = -3.06".
    # By hand: mean = 35/18 = 1.9444; moving ranges 1, 1, 1, 8, 9 and twelve 1s: mean 32/17 = 1.8824;
    # 3.267 x 1.8824 = 6.150 screens out 8 and 9, leaving fifteen 1s: mean 1;
    # limits 1.9444 +- 2.66 x 1 = (-0.7156, 4.6044); unscreened 1.9444 +- 2.66 x 1.8824 = (-3.0626, 6.9515).
    data = [1, 2, 1, 2, 10, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1]
    screened = xmr_chart(data, RULES)
    assert list(screened.columns) == SPC_COLUMNS
    assert screened["centre"].iloc[0] == pytest.approx(35 / 18)
    assert screened["upper"].iloc[0] == pytest.approx(35 / 18 + 2.66)
    assert screened["lower"].iloc[0] == pytest.approx(35 / 18 - 2.66)
    assert round(screened["upper"].iloc[0], 2) == 4.60 and round(screened["lower"].iloc[0], 2) == -0.72
    assert screened.attrs["moving_ranges_screened"] == 2 and screened.attrs["mean_moving_range"] == 1.0
    excel = xmr_chart(data, dataclasses.replace(RULES, screen_moving_ranges=False))
    assert excel["upper"].iloc[0] == pytest.approx(35 / 18 + 2.66 * 32 / 17)
    assert round(excel["upper"].iloc[0], 2) == 6.95 and round(excel["lower"].iloc[0], 2) == -3.06
    # the 10 is outside either way: more infections, a concern
    assert screened["special_cause"].tolist() == ["neither"] * 4 + ["concern"] + ["neither"] * 13
    assert screened["rule"].iloc[4] == "outside_limits" and set(screened["chart"]) == {"xmr"}


def test_outside_high_is_concern_and_a_long_run_below_is_improvement():
    # x = 20, 22 five times, then 50, 21: sum 5 x 42 + 50 + 21 = 281, centre 281/12 = 23.4167.
    # moving ranges: nine 2s, |50 - 22| = 28, |21 - 50| = 29: mean 75/11 = 6.818; 3.267 x 6.818 = 22.27
    # screens 28 and 29 out, mean 18/9 = 2; limits 23.4167 +- 5.32 = (18.0967, 28.7367);
    # two sigma 23.4167 +- 3.5467 = (19.87, 26.96).
    x = [20, 22] * 5 + [50, 21]
    f = xmr_chart(x, RULES)
    assert f["centre"].iloc[0] == pytest.approx(281 / 12)
    assert f["upper"].iloc[0] == pytest.approx(281 / 12 + 5.32)
    # 50 > 28.74: outside, high, a concern
    assert (f["special_cause"].iloc[10], f["rule"].iloc[10]) == ("concern", "outside_limits")
    # the ten points before it are all below 23.42: a shift of 10 >= 7, low, an improvement
    assert f["special_cause"].iloc[:10].eq("improvement").all() and f["rule"].iloc[:10].eq("shift").all()
    assert (f["special_cause"].iloc[11], f["rule"].iloc[11]) == ("neither", "")
    # with the shift rule switched off (a rulebook value), only the outside point remains
    g = xmr_chart(x, only("outside_limits"))
    assert g["special_cause"].tolist() == ["neither"] * 10 + ["concern", "neither"]


def test_outside_low_is_improvement_and_a_long_run_above_is_concern():
    # the mirror image: 30, 28 five times, then 0, 29: sum 5 x 58 + 29 = 319, centre 26.5833;
    # moving ranges nine 2s, 28, 29: screened as above, mean 2; limits (21.2633, 31.9033)
    x = [30, 28] * 5 + [0, 29]
    f = xmr_chart(x, RULES)
    assert f["lower"].iloc[0] == pytest.approx(319 / 12 - 5.32)
    assert (f["special_cause"].iloc[10], f["rule"].iloc[10]) == ("improvement", "outside_limits")
    assert f["special_cause"].iloc[:10].eq("concern").all() and f["rule"].iloc[:10].eq("shift").all()


def test_xmr_warns_below_ten_cases_a_period():
    # mean (2 + 4 + 3 + 5) / 4 = 3.5 < 10
    text = xmr_warning([2, 4, 3, 5], 10)
    assert text is not None and "c chart" in text and "t chart" in text and "3.5" in text
    assert xmr_warning([9, 11, 10, 10], 10) is None  # mean 10: not below
    assert xmr_chart([2, 4, 3, 5], RULES).attrs["warning"] == text


# ---------------------------------------------------------------- shift


def test_shift_of_seven_on_each_side_and_six_is_not_enough():
    # 1 seven times then 3 seven times: centre 2; seven below (improvement), seven above (concern)
    f = xmr_chart([1] * 7 + [3] * 7, only("shift"))
    assert f["special_cause"].tolist() == ["improvement"] * 7 + ["concern"] * 7
    assert f["rule"].eq("shift").all()
    # six and six: runs of 6 < 7, nothing
    assert xmr_chart([1] * 6 + [3] * 6, only("shift"))["special_cause"].eq("neither").all()


def test_a_point_on_the_centre_breaks_a_shift():
    # 1 1 1 2 1 1 1 1 | 3 x 7 | 2: sum 7 + 2 + 21 + 2 = 32 over 16 points, centre exactly 2;
    # below: runs of 3 and 4 (broken by the 2 on the centre): no shift; the seven 3s: a shift, concern
    x = [1, 1, 1, 2, 1, 1, 1, 1] + [3] * 7 + [2]
    f = xmr_chart(x, only("shift"))
    assert f["centre"].iloc[0] == 2.0
    assert f["special_cause"].tolist() == ["neither"] * 8 + ["concern"] * 7 + ["neither"]


# ---------------------------------------------------------------- trend


def test_trend_of_seven_rising_is_concern_and_falling_is_improvement():
    # 14, then 10 11 12 13 14 15 16 (six rises in a row: seven points), then 12
    f = xmr_chart([14, 10, 11, 12, 13, 14, 15, 16, 12], only("trend"))
    assert f["special_cause"].tolist() == ["neither"] + ["concern"] * 7 + ["neither"]
    assert f["rule"].iloc[1:8].eq("trend").all()
    # 10, then 16 15 14 13 12 11 10 (six falls), then 14: fewer infections, an improvement
    g = xmr_chart([10, 16, 15, 14, 13, 12, 11, 10, 14], only("trend"))
    assert g["special_cause"].tolist() == ["neither"] + ["improvement"] * 7 + ["neither"]


def test_six_rising_or_an_equal_neighbour_is_not_a_trend():
    # five rises: six points
    assert xmr_chart([14, 10, 11, 12, 13, 14, 15, 12], only("trend"))["special_cause"].eq("neither").all()
    # 10 11 12 12 13 14 15 16: the repeated 12 breaks it into 3 and 5 points
    assert xmr_chart([14, 10, 11, 12, 12, 13, 14, 15, 16, 12], only("trend"))["special_cause"].eq("neither").all()


# ------------------------------------------------- two of three beyond two sigma (c chart: sigma = sqrt(c))


def test_two_of_three_beyond_two_sigma_on_each_side():
    # c chart of 9 2 9 1 9 16 9 17 9: sum 81 over 9, c = 9, sigma = 3, limits 9 +- 9 = (0, 18),
    # two sigma 9 +- 6 = (3, 15). Windows: (2, 9, 1) has two below 3: improvement at 2 and 1;
    # (16, 9, 17) two above 15: concern at 16 and 17. (1, 9, 16) has one each side: nothing.
    f = c_chart([9, 2, 9, 1, 9, 16, 9, 17, 9], only("two_of_three"))
    assert f["centre"].iloc[0] == 9 and f["upper"].iloc[0] == 18 and f["lower"].iloc[0] == 0
    assert f["special_cause"].tolist() == [
        "neither", "improvement", "neither", "improvement", "neither", "concern", "neither", "concern", "neither",
    ]  # fmt: skip
    assert f["rule"].tolist()[1] == "two_of_three"
    # one beyond two sigma in three is not enough: 9 2 9 9 9 16 9 9 9 (sum 81 again)
    g = c_chart([9, 2, 9, 9, 9, 16, 9, 9, 9], only("two_of_three"))
    assert g["special_cause"].eq("neither").all()


# ---------------------------------------------------------------- several rules on one point


def test_rules_are_joined_in_priority_order_and_the_first_sets_the_direction():
    # c chart of 1 2 3 4 5 6 30: sum 51, c = 7.2857, sigma = 2.6992, upper 7.2857 + 8.0976 = 15.383,
    # lower max(7.2857 - 8.0976, 0) = 0. Seven rising points: a trend (concern) on every point,
    # even those below the centre; 30 is also outside the limits. The six points 1..6 below the centre
    # are one short of a shift.
    f = c_chart([1, 2, 3, 4, 5, 6, 30], RULES)
    assert f["upper"].iloc[0] == pytest.approx(51 / 7 + 3 * np.sqrt(51 / 7))
    assert f["lower"].iloc[0] == 0.0
    assert f["rule"].tolist() == ["trend"] * 6 + ["outside_limits;trend"]
    assert f["special_cause"].eq("concern").all()
    # a falling trend that stays above the centre: shift (high, concern) comes before trend (falling)
    # 1 x 7 then 9 8 7 6 5 4 3 then 1 x 4: sum 7 + 42 + 4 = 53 over 18, centre 2.944
    x = [1] * 7 + [9, 8, 7, 6, 5, 4, 3] + [1] * 4
    g = xmr_chart(x, only("shift", "trend"))
    assert g["rule"].iloc[7:14].eq("shift;trend").all()
    assert g["special_cause"].iloc[7:14].eq("concern").all()
    # the seven 1s before are a shift below (improvement); the fall goes on to the 1 after the 3
    # (9 8 7 6 5 4 3 1: seven falls), which is a trend only, falling: an improvement
    assert g["rule"].iloc[:7].eq("shift").all() and g["special_cause"].iloc[:7].eq("improvement").all()
    assert (g["rule"].iloc[14], g["special_cause"].iloc[14]) == ("trend", "improvement")
    assert g["rule"].iloc[15:].eq("").all()


# ---------------------------------------------------------------- c, u and t charts


def test_c_chart_limits_floored_at_zero():
    # 2 3 1 2 12 2 1 1: sum 24 over 8, c = 3, sigma = 1.7321, upper 3 + 5.1962 = 8.1962, lower 0
    f = c_chart([2, 3, 1, 2, 12, 2, 1, 1], RULES)
    assert f["upper"].iloc[0] == pytest.approx(3 + 3 * np.sqrt(3))
    assert f["lower"].eq(0.0).all()
    assert (f["special_cause"].iloc[4], f["rule"].iloc[4]) == ("concern", "outside_limits")
    assert set(f["chart"]) == {"c"}
    with pytest.raises(ValueError):
        c_chart([1.5, 2, 3], RULES)  # counts are whole


def test_u_chart_limits_vary_with_bed_days():
    # cases 2 6 1 6 over 1000 2000 500 500 bed-days: u = 15/4000 = 0.00375 = 3.75 per 1000.
    # sigma per point sqrt(0.00375 / n) x 1000: n = 1000: 1.9365; 2000: 1.3693; 500: 2.7386.
    # upper: 9.5595, 7.8580, 11.9659, 11.9659; lower: max(3.75 - 3 sigma, 0) = 0 everywhere.
    # values: 2, 3, 2, 12 per 1000 bed-days; 12 > 11.9659: outside, concern
    f = u_chart([2, 6, 1, 6], [1000, 2000, 500, 500], RULES, per=1000)
    np.testing.assert_allclose(f["value"], [2, 3, 2, 12])
    assert f["centre"].eq(3.75).all()
    np.testing.assert_allclose(f["upper"], 3.75 + 3 * np.sqrt(0.00375 / np.array([1000, 2000, 500, 500])) * 1000)
    assert f["lower"].eq(0.0).all()
    assert f["special_cause"].tolist() == ["neither", "neither", "neither", "concern"]
    assert f["rule"].iloc[3] == "outside_limits" and set(f["chart"]) == {"u"}


def test_t_chart_long_gaps_are_improvement():
    # days between cases 30 45 20 60 35 40 25 50 400. y = t^(1/3.6): XmR on y, limits back-transformed.
    t = np.array([30, 45, 20, 60, 35, 40, 25, 50, 400], dtype=float)
    y = t ** (1 / 3.6)
    centre = y.mean()
    mr = np.abs(np.diff(y))
    kept = mr[mr <= 3.267 * mr.mean()]  # the jump to 400 days is screened out
    assert kept.size == 7
    upper_y = centre + 2.66 * kept.mean()
    f = t_chart(t, RULES)
    assert f["centre"].iloc[0] == pytest.approx(centre**3.6)
    assert f["upper"].iloc[0] == pytest.approx(upper_y**3.6)
    assert f["lower"].iloc[0] == pytest.approx(max(centre - 2.66 * kept.mean(), 0) ** 3.6)
    # 400 days without a case is above the upper limit (about 173 days): an improvement
    assert 150 < f["upper"].iloc[0] < 200
    assert (f["special_cause"].iloc[8], f["rule"].iloc[8]) == ("improvement", "outside_limits")
    assert f["special_cause"].iloc[:8].eq("neither").all() and set(f["chart"]) == {"t"}


def test_days_between_cases():
    dates = [dt.date(2012, 5, 1), dt.date(2012, 4, 1), dt.date(2012, 5, 1), dt.date(2012, 7, 15)]
    # sorted: 1 Apr, 1 May, 1 May, 15 Jul: 30, 0, 75 days
    np.testing.assert_array_equal(days_between_cases(dates), [30.0, 0.0, 75.0])


def test_spc_chart_dispatches_by_name():
    x = [2, 3, 1, 2, 12, 2, 1, 1]
    assert spc_chart("c", x, RULES).equals(c_chart(x, RULES))
    assert spc_chart("xmr", x, RULES).equals(xmr_chart(x, RULES))
    assert spc_chart("t", [30, 45, 20, 60, 35], RULES)["chart"].iloc[0] == "t"
    with pytest.raises(ValueError):
        spc_chart("u", x, RULES)  # needs bed-days
    with pytest.raises(ValueError):
        spc_chart("p", x, RULES)  # type: ignore[arg-type]


# ---------------------------------------------------------------- rulebooks


def test_rules_from_the_shipped_rulebooks():
    lib = load_library()
    mdc = SpcRules.from_rulebook(lib.get("spc-making-data-count").value)
    assert mdc == RULES
    excel = SpcRules.from_rulebook(lib.get("spc-making-data-count-excel").value)
    assert excel == dataclasses.replace(RULES, screen_moving_ranges=False)
    assert lib.in_force("spc", dt.date(2012, 4, 1)).id == "spc-making-data-count"
    assert lib.get("spc-making-data-count-excel").in_force is None  # an alternative, used when named


def test_bad_rules_are_refused():
    with pytest.raises(ValueError):
        SpcRules(shift=1, trend=7, rules=SPC_RULES, screen_moving_ranges=True, xmr_min_mean=10)
    with pytest.raises(ValueError):
        SpcRules(shift=7, trend=7, rules=("outside",), screen_moving_ranges=True, xmr_min_mean=10)
    with pytest.raises(ValueError):
        xmr_chart([1.0], RULES)
