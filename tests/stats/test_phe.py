"""Against Public Health England's own test data (PHEindicatormethods 2.1.0).

The files and their provenance (repository, commit, path, sheet) are in
``tests/stats/data/phe/README.md``. Each test names the testthat file it ports.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import special

from nhs_oversight.stats import funnel_limits, poisson_ci
from nhs_oversight.stats.funnel import exact_test_limits
from nhs_oversight.stats.poisson import poisson_intervals, rate_intervals

DATA = Path(__file__).parent / "data" / "phe"


def _csv(name: str) -> pd.DataFrame:
    frame = pd.read_csv(DATA / name, encoding="utf-8-sig")
    frame.columns = [c.strip() for c in frame.columns]
    return frame


# ---------------------------------------------------------------- intervals (testByars.R, testRates.R, testISRatios.R)


def test_byar_limits_match_phe_byars_lower_and_upper():
    # testByars.R: byars_lower(c(65, 1045, 1)), byars_upper(...), and at 99.8% for c(65, 1045, 10)
    phe = _csv("testdata_Byars.csv")
    for conf, level in (("95%", 0.95), ("99.8%", 0.998)):
        rows = phe[phe["confidence"] == conf]
        lo, hi = poisson_ci(rows["x"].to_numpy(), level=level, method="byar")
        np.testing.assert_allclose(lo, rows["lowercl"], rtol=1e-14)
        np.testing.assert_allclose(hi, rows["uppercl"], rtol=1e-14)


@pytest.mark.parametrize("method", ["phe"])
def test_rates_match_phe_rate(method):
    # testRates.R: phe_rate(test_Rate, Numerator, Denominator, multiplier = 100 / 100000),
    # 95% and 99.8%; PHE's "method" column says Exact below 10 events, Byars from 10
    phe = _csv("testdata_Rate.csv")
    got = rate_intervals(phe["Numerator"], phe["Denominator"], (0.95, 0.998), method=method, per=1.0)
    scale = phe["multiplier"].to_numpy()
    np.testing.assert_allclose(got["rate"] * scale, phe["value"], rtol=1e-14)
    for ours, theirs in (("95", "95_0cl"), ("998", "99_8cl")):
        np.testing.assert_allclose(got[f"lower_{ours}"] * scale, phe[f"lower{theirs}"], rtol=1e-13)
        np.testing.assert_allclose(got[f"upper_{ours}"] * scale, phe[f"upper{theirs}"], rtol=1e-13)
    assert (np.where(phe["Numerator"] < 10, "Exact", "Byars") == phe["method"]).all()
    assert set(got["method"]) == {"phe"}


def test_indirectly_standardised_ratios_match_calculate_isratio():
    # testISRatios.R: calculate_ISRatio(..., refpoptype = "vector"), "ratio x 1" rows:
    # the interval for the observed count divided by the expected count
    phe = _csv("testresults_ISR_ratios.csv")
    o = phe["observed"].to_numpy()
    e = phe["expected"].to_numpy()
    got = poisson_intervals(o, (0.95, 0.998), method="phe")
    np.testing.assert_allclose(o / e, phe["value"], rtol=1e-14)
    for ours, theirs in (("95", "95_0cl"), ("998", "99_8cl")):
        np.testing.assert_allclose(got[f"lower_{ours}"] / e, phe[f"lower{theirs}"], rtol=1e-13)
        np.testing.assert_allclose(got[f"upper_{ours}"] / e, phe[f"upper{theirs}"], rtol=1e-13)


# ---------------------------------------------------------------- funnels (testFunnels.R)


def test_funnel_limit_table_is_the_exact_interval_and_the_exact_test_limits_invert_it():
    # testFunnels.R "confidence limits calculate correctly for ratios (count)": for each observed
    # count O, PHE gives the expected count at which O sits on each limit. On the upper limit
    # (upper_2s_exp_events) that is the E whose one-sided exact test gives P(X >= O | E) = 2.5%,
    # i.e. the Garwood lower limit of O; on the lower limit, its Garwood upper limit. PHE finds them
    # by bisection to about 1e-7 of E / (1 + O + E), hence the tolerance.
    phe = _csv("testdata_funnel_ratio_outputs.csv")
    o = phe.iloc[:, 0].to_numpy(dtype=float)
    for level, tag in ((0.95, "2s"), (0.998, "3s")):
        lo, hi = poisson_ci(o, level=level, method="exact")
        np.testing.assert_allclose(lo, phe[f"upper_{tag}_exp_events"], rtol=1e-4)
        np.testing.assert_allclose(hi, phe[f"lower_{tag}_exp_events"], rtol=1e-4)
        # and our exact-test funnel, at those expected counts, passes through O
        _, up = exact_test_limits(lo, level)
        np.testing.assert_allclose(up, o, rtol=1e-9)
        low, _ = exact_test_limits(hi, level)
        np.testing.assert_allclose(low, o, rtol=1e-9)


def _labels(position: np.ndarray) -> np.ndarray:
    names = {
        "above 99.8%": "High (0.001)",
        "above 95%": "High (0.025)",
        "below 99.8%": "Low (0.001)",
        "below 95%": "Low (0.025)",
        "within": "Not significant",
    }
    return np.array([names[p] for p in position])


def test_exact_test_funnel_reproduces_all_300_phe_significance_labels():
    # testFunnels.R "Significance for ratios calculates correctly":
    # assign_funnel_significance(obs, expected, statistic = "ratio") on 300 pairs
    phe = _csv("testdata_funnel_ratio_inputs.csv")
    o = phe["obs"].to_numpy(dtype=float)
    e = phe["expected"].to_numpy(dtype=float)
    limits = funnel_limits(e, levels=(0.95, 0.998), method="exact_test")
    frame = limits.to_wide_frame(o)
    assert (_labels(frame["position"].to_numpy()) == phe["significance"].to_numpy()).all()
    assert set(frame["method"]) == {"exact_test"}


def test_interpolated_funnel_differs_from_phe_by_one_count_at_the_upper_limits():
    # The known finding: Spiegelhalter's interpolated upper limit lies in (r - 1, r] for the
    # 97.5% quantile r, so it flags r itself; PHE (and exact_test) flag only counts whose
    # one-sided p-value is below 2.5%. On PHE's 300 pairs that changes 5 labels, all upward.
    phe = _csv("testdata_funnel_ratio_inputs.csv")
    o = phe["obs"].to_numpy(dtype=float)
    e = phe["expected"].to_numpy(dtype=float)
    interp = _labels(funnel_limits(e, levels=(0.95, 0.998), method="interpolated").position(o))
    differ = interp != phe["significance"].to_numpy()
    assert differ.sum() == 5
    rank = {"Low (0.001)": -2, "Low (0.025)": -1, "Not significant": 0, "High (0.025)": 1, "High (0.001)": 2}
    assert all(rank[a] > rank[b] for a, b in zip(interp[differ], phe["significance"].to_numpy()[differ]))
    # the example: 261 against 230.97 expected; P(X >= 261) = 0.028 > 0.025, yet above the interpolated limit
    row = np.flatnonzero((o == 261) & differ)
    assert row.size == 1
    assert e[row[0]] == pytest.approx(230.97, abs=0.01)
    p = special.gammainc(261.0, e[row[0]])  # P(X >= 261 | E) for a Poisson count
    assert 0.025 < p < 0.03
    assert interp[row[0]] == "High (0.025)" and phe["significance"].iloc[row[0]] == "Not significant"
