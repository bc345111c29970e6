"""Funnel limits and overdispersion."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import special, stats

from nhs_oversight.stats import funnel_limits, interpolated_poisson_quantile, overdispersion, zscores

EXPECTED = np.array([0.2, 0.5, 1.0, 2.3, 5.0, 11.9, 12.0, 19.25, 50.0, 137.2, 1000.0])
PROBS = (0.001, 0.025, 0.975, 0.999)


def _direct(p: float, mu: float) -> float:
    """Spiegelhalter's interpolated quantile, written out with a plain search for r_p."""
    r = 0
    while stats.poisson.cdf(r, mu) < p:
        r += 1
    f_r = stats.poisson.cdf(r, mu)
    f_r1 = stats.poisson.cdf(r - 1, mu) if r > 0 else 0.0
    return r - (f_r - p) / (f_r - f_r1)


@pytest.mark.parametrize("p", PROBS)
def test_interpolated_quantile_matches_direct_computation(p):
    got = interpolated_poisson_quantile(p, EXPECTED)
    want = np.array([_direct(p, mu) for mu in EXPECTED])
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-9)
    # and r_p is the Poisson quantile function's value: y_p lies in (r_p - 1, r_p]
    r = stats.poisson.ppf(p, EXPECTED)
    assert np.all((got > r - 1) & (got <= r))


def test_exact_funnel_limits_are_the_interpolated_quantiles_clipped_at_zero():
    f = funnel_limits(EXPECTED, levels=(0.95, 0.998), method="exact")
    assert f.lower.shape == (2, EXPECTED.size)
    for i, (lo_p, hi_p) in enumerate([(0.025, 0.975), (0.001, 0.999)]):
        want_lo = np.maximum([_direct(lo_p, mu) for mu in EXPECTED], 0.0)
        want_hi = [_direct(hi_p, mu) for mu in EXPECTED]
        np.testing.assert_allclose(f.lower[i], want_lo, rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose(f.upper[i], want_hi, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(f.ratio_upper, f.upper / EXPECTED)
    lo, hi = f.at(0.998)
    np.testing.assert_array_equal(hi, f.upper[1])


def test_interpolation_is_linear_between_whole_counts():
    # F(r - 1) + (y - (r - 1)) * P(X = r) = p: the cdf joined by straight lines hits p at y
    for p in PROBS:
        y = interpolated_poisson_quantile(p, EXPECTED)
        r = np.ceil(y)
        hit = stats.poisson.cdf(r - 1, EXPECTED) + (y - (r - 1)) * stats.poisson.pmf(r, EXPECTED)
        np.testing.assert_allclose(hit, p, rtol=1e-9)


def test_false_alarm_rates_are_as_documented():
    # above the upper limit: at least alpha/2, exceeding it by at most P(X = r);
    # below the lower limit: at most alpha/2
    mu = np.linspace(0.3, 300, 997)
    f = funnel_limits(mu, levels=(0.95, 0.998), method="exact")
    for i, level in enumerate(f.levels):
        a2 = (1 - level) / 2
        hi = f.upper[i]
        r = np.ceil(hi)
        above = stats.poisson.sf(np.floor(hi), mu)  # P(X > hi)
        assert np.all(above >= a2 * (1 - 1e-9))
        assert np.all(above <= a2 + stats.poisson.pmf(r, mu) + 1e-12)
        below = stats.poisson.cdf(np.ceil(f.lower[i]) - 1, mu)  # P(X < lo)
        assert np.all(below <= a2 * (1 + 1e-9))


def test_limits_grow_with_expected_and_ratio_limits_narrow():
    e = np.linspace(0.5, 500, 5000)
    f = funnel_limits(e, method="exact")
    assert np.all(np.diff(f.upper, axis=1) > 0)
    assert np.all(np.diff(f.lower, axis=1) >= 0)
    ratio_hi = f.ratio_upper
    idx = [np.searchsorted(e, v) for v in (5, 50, 500)]
    assert np.all(np.diff(ratio_hi[:, idx], axis=1) < 0)  # narrower at 5, 50, 500 expected
    assert np.all(f.upper[1] > f.upper[0]) and np.all(f.lower[1] <= f.lower[0])  # 99.8% wider than 95%


def test_exact_approaches_normal_for_large_expected():
    # Cornish-Fisher: the Poisson p-quantile is E + z sqrt(E) + (z^2 - 1)/6 + O(1/sqrt(E)), and
    # interpolating the cdf linearly between whole counts takes off half a count. So exact and
    # normal count limits differ by about (z^2 - 1)/6 - 1/2 (-0.03 at 95%, +0.92 at 99.8%), and
    # ratio limits by that over E.
    e = np.array([1e4, 1e5, 1e6])
    ex = funnel_limits(e, method="exact")
    nm = funnel_limits(e, method="normal")
    for i, level in enumerate(ex.levels):
        z = stats.norm.ppf(1 - (1 - level) / 2)
        shift = (z**2 - 1) / 6 - 0.5
        np.testing.assert_allclose(ex.upper[i] - nm.upper[i], shift, atol=0.02)
        np.testing.assert_allclose(ex.lower[i] - nm.lower[i], shift, atol=0.02)


def test_normal_and_sqrt_limits_formulas():
    e = np.array([4.0, 25.0, 400.0])
    z = stats.norm.ppf([0.975, 0.999])
    nm = funnel_limits(e, method="normal")
    sq = funnel_limits(e, method="sqrt")
    for i in range(2):
        np.testing.assert_allclose(nm.ratio_upper[i], 1 + z[i] / np.sqrt(e))
        np.testing.assert_allclose(nm.ratio_lower[i], np.maximum(1 - z[i] / np.sqrt(e), 0))
        np.testing.assert_allclose(sq.ratio_upper[i], (1 + z[i] / (2 * np.sqrt(e))) ** 2)
        np.testing.assert_allclose(sq.ratio_lower[i], np.maximum(1 - z[i] / (2 * np.sqrt(e)), 0) ** 2)


def test_outside_and_frame():
    f = funnel_limits([10.0, 10.0, 10.0], levels=(0.998,), method="exact")
    lo, hi = f.at(0.998)
    assert 1 < lo[0] < 2 and 20 < hi[0] < 21  # 1.22 and 20.x at 10 expected
    assert list(f.outside([1, 10, 21], 0.998)) == [-1, 0, 1]
    assert list(f.outside([2, 20, 20], 0.998)) == [0, 0, 0]
    assert f.outside([hi[0]], 0.998)[0] == 0  # a value exactly on a limit is inside
    frame = f.to_frame()
    assert list(frame.columns) == ["expected", "level", "lower", "upper", "ratio_lower", "ratio_upper", "method"]
    assert set(frame["method"]) == {"interpolated"}  # "exact" is recorded by its canonical name
    assert len(frame) == 3
    with pytest.raises(KeyError):
        f.at(0.95)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"method": "poisson"},
        {"levels": (95,)},
        {"levels": ()},
        {"effect": "additive"},
    ],
)
def test_funnel_refuses_unknown_or_inconsistent_arguments(kwargs):
    with pytest.raises(ValueError):
        funnel_limits([5.0, 10.0], **kwargs)


def test_funnel_refuses_non_positive_expected():
    with pytest.raises(ValueError):
        funnel_limits([0.0, 3.0])


def test_hundred_thousand_expected_values():
    e = np.random.default_rng(7).uniform(0.1, 2000, size=100_000)
    f = funnel_limits(e, method="exact")
    assert f.upper.shape == (2, 100_000)
    assert np.all(f.lower <= e) and np.all(f.upper >= e)
    i = 12345
    assert f.upper[1, i] == pytest.approx(_direct(0.999, e[i]), rel=1e-9)


# --- overdispersion ---------------------------------------------------------------------------


def _poisson_set(seed: int, n: int = 2000):
    rng = np.random.default_rng(seed)
    e = rng.uniform(10, 200, n)
    return rng.poisson(e).astype(float), e


def _negative_binomial_set(seed: int, n: int = 300, size: float = 5.0):
    # mean E, variance E + E^2/size: extra-Poisson variation between organisations
    rng = np.random.default_rng(seed)
    e = rng.uniform(5, 100, n)
    return rng.negative_binomial(size, size / (size + e)).astype(float), e


def test_zscores():
    z, s = zscores([16.0, 4.0], [9.0, 9.0], scale="ratio")
    np.testing.assert_allclose(z, [7 / 3, -5 / 3])
    np.testing.assert_allclose(s, [1 / 3, 1 / 3])
    z, s = zscores([16.0, 4.0], [9.0, 9.0], scale="sqrt")
    np.testing.assert_allclose(z, [2.0, -2.0])
    np.testing.assert_allclose(s, [1 / 6, 1 / 6])


def test_plain_estimate_and_tau2_by_hand():
    o = np.array([3.0, 9.0, 20.0, 41.0, 12.0])
    e = np.array([5.0, 8.0, 12.0, 30.0, 15.0])
    od = overdispersion(o, e, method="winsorised", limit=(-np.inf, np.inf), scale="ratio")
    z = (o - e) / np.sqrt(e)
    n = 5
    phi = np.sum(z**2) / n
    w = e  # 1 / s^2 with s^2 = 1/E
    tau2 = max(0.0, (n * phi - (n - 1)) / (w.sum() - (w**2).sum() / w.sum()))
    assert od.phi == pytest.approx(phi)
    assert od.tau2 == pytest.approx(tau2)
    assert od.n == 5 and od.statistic == pytest.approx(n * phi)
    assert od.p_value == pytest.approx(stats.chi2.sf(n * phi, n))


def test_winsorising_and_truncating_by_hand():
    rng = np.random.default_rng(3)
    e = np.full(50, 40.0)
    o = rng.poisson(e).astype(float)
    z = (o - e) / np.sqrt(e)
    lo, hi = np.quantile(z, [0.1, 0.9])
    wins = overdispersion(o, e, method="winsorised", limit=0.1)
    trunc = overdispersion(o, e, method="truncated", limit=0.1)
    assert wins.phi == pytest.approx(np.mean(np.clip(z, lo, hi) ** 2))
    kept = z[(z >= lo) & (z <= hi)]
    assert trunc.phi == pytest.approx(np.mean(kept**2))
    assert trunc.n == kept.size < 50 and wins.n == 50
    fixed = overdispersion(o, e, method="truncated", limit=(-1.0, 1.0))
    assert fixed.n == np.sum(np.abs(z) <= 1.0)


@pytest.mark.parametrize("phi_true", [1.0, 3.0])
@pytest.mark.parametrize("method", ["winsorised", "truncated"])
def test_normal_correction_recovers_phi_for_normal_z_scores(phi_true, method):
    # O = E + z sqrt(E) gives ratio-scale z-scores that are exactly the simulated ones
    rng = np.random.default_rng(11)
    z = rng.normal(0, np.sqrt(phi_true), 20_000)
    e = np.full(z.size, 1e6)
    od = overdispersion(e + z * np.sqrt(e), e, method=method, correction="normal")
    assert od.phi == pytest.approx(phi_true, rel=0.05)
    raw = overdispersion(e + z * np.sqrt(e), e, method=method, correction="none")
    kappa = {"winsorised": 0.6787, "truncated": 0.4377}[method]  # documented values at 10%
    assert od.kappa == pytest.approx(kappa, abs=1e-4)
    assert raw.phi == pytest.approx(kappa * phi_true, rel=0.05)


@pytest.mark.parametrize("scale", ["ratio", "sqrt"])
@pytest.mark.parametrize("method", ["winsorised", "truncated"])
def test_poisson_data_show_no_overdispersion(method, scale):
    o, e = _poisson_set(seed=20120401)
    od = overdispersion(o, e, method=method, scale=scale, correction="normal")
    assert od.phi == pytest.approx(1.0, abs=0.15)
    assert not od.significant
    assert od.tau2 < 1e-3
    plain = overdispersion(o, e, limit=(-np.inf, np.inf), scale=scale)
    assert plain.phi == pytest.approx(1.0, abs=4 * np.sqrt(2 / o.size))


@pytest.mark.parametrize("scale", ["ratio", "sqrt"])
@pytest.mark.parametrize("method", ["winsorised", "truncated"])
@pytest.mark.parametrize("correction", ["none", "normal"])
@pytest.mark.parametrize("test", ["chi2", "2se"])
def test_negative_binomial_data_are_overdispersed(method, scale, correction, test):
    o, e = _negative_binomial_set(seed=2013)
    od = overdispersion(o, e, method=method, scale=scale, correction=correction, test=test)
    assert od.phi > 1 + 2 * np.sqrt(2 / od.n)
    assert od.significant
    assert od.tau2 > 0


def test_overdispersion_refuses_bad_arguments():
    o, e = _poisson_set(seed=1, n=20)
    for kwargs in (
        {"method": "trimmed"},
        {"limit": 0.5},
        {"limit": 0.0},
        {"limit": (2.0, -2.0)},
        {"scale": "logit"},
        {"method": "shmi", "limit": (-2.0, 2.0)},
        {"test": "f"},
        {"correction": "yes"},
    ):
        with pytest.raises(ValueError):
            overdispersion(o, e, **kwargs)
    with pytest.raises(ValueError):
        overdispersion([3.0], [2.0])


def test_overdispersion_widens_the_limits():
    o, e = _negative_binomial_set(seed=2013)
    grid = np.array([2.0, 10.0, 50.0, 200.0])
    for scale, method in (("ratio", "normal"), ("sqrt", "sqrt")):
        od = overdispersion(o, e, scale=scale)
        base = funnel_limits(grid, method=method)
        for effect in ("multiplicative", "additive"):
            wide = funnel_limits(grid, method=method, overdispersion=od, effect=effect)
            assert np.all(wide.upper > base.upper)
            assert np.all(wide.lower <= base.lower)
            assert np.all((wide.lower < base.lower)[base.lower > 0])
        mult = funnel_limits(grid, method=method, overdispersion=od, effect="multiplicative")
        add = funnel_limits(grid, method=method, overdispersion=od, effect="additive")
        # multiplicative widens in proportion to the Poisson spread; additive adds a fixed
        # between-organisation spread, which dominates for large organisations
        assert (add.ratio_upper[0, -1] - 1) / (mult.ratio_upper[0, -1] - 1) > (add.ratio_upper[0, 0] - 1) / (
            mult.ratio_upper[0, 0] - 1
        )


def test_widened_limits_by_formula():
    o, e = _negative_binomial_set(seed=2013)
    od = overdispersion(o, e, scale="ratio")
    grid = np.array([4.0, 40.0])
    z = stats.norm.ppf(0.999)
    mult = funnel_limits(grid, levels=0.998, method="normal", overdispersion=od, effect="multiplicative")
    add = funnel_limits(grid, levels=0.998, method="normal", overdispersion=od, effect="additive")
    np.testing.assert_allclose(mult.ratio_upper[0], 1 + z * np.sqrt(od.phi / grid))
    np.testing.assert_allclose(add.ratio_upper[0], 1 + z * np.sqrt(1 / grid + od.tau2))


def test_overdispersed_limits_must_share_the_scale_and_name_the_effect():
    o, e = _negative_binomial_set(seed=2013)
    od = overdispersion(o, e, scale="sqrt")
    with pytest.raises(ValueError, match="sqrt"):
        funnel_limits([5.0], method="normal", overdispersion=od, effect="additive")
    with pytest.raises(ValueError):
        funnel_limits([5.0], method="exact", overdispersion=od, effect="additive")
    with pytest.raises(ValueError):
        funnel_limits([5.0], method="sqrt", overdispersion=od)


# ---------------------------------------------------------------- tiny expected counts (issue 12, item 3.1)


@pytest.mark.parametrize("method", ["interpolated", "exact_test", "normal", "sqrt", "log", "exact"])
@pytest.mark.parametrize("e", [0.001, 0.02, 0.5])
def test_a_count_of_zero_is_never_above_a_limit(method, e):
    # Below about 0.025 expected the interpolated 97.5% point is negative (at 0.001:
    # r = 0, F(0) = exp(-0.001) = 0.9990, y = 0 - (0.9990 - 0.975) / 0.9990 = -0.024), which used to
    # put a trust with no cases above its upper limit.
    f = funnel_limits([e], levels=(0.95, 0.998), method=method)
    assert np.all(f.upper >= 0) and np.all(f.lower >= 0)
    for level in f.levels:
        assert f.outside([0], level)[0] != 1
    if method not in ("log",):  # the log-scale normal approximation has a lower limit above 0
        assert f.position([0])[0] == "within"


def test_tiny_expected_counts_with_the_exact_test():
    # P(X >= 1 | 0.001) = 1 - exp(-0.001) = 0.0009995 < 0.001 (99.8%) and < 0.025 (95%)
    f = funnel_limits([0.001], levels=(0.95, 0.998), method="exact_test")
    assert f.position([1])[0] == "above 99.8%"
    # at 0.02 expected, P(X >= 1) = 1 - exp(-0.02) = 0.0198: above the 95% limit only
    g = funnel_limits([0.02], levels=(0.95, 0.998), method="exact_test")
    assert g.position([1])[0] == "above 95%"
    # at 0.5, P(X >= 2) = 1 - 1.5 exp(-0.5) = 0.0902: within; P(X >= 3) = 0.0144: above 95%
    h = funnel_limits([0.5], levels=(0.95, 0.998), method="exact_test")
    assert list(h.position([2, 3])) == ["within", "above 95%"]


def test_tiny_expected_counts_with_interpolated_limits_flag_the_quantile_itself():
    # 0.001 expected: upper limits clipped at 0, so one case is above both (as with the exact test)
    f = funnel_limits([0.001], levels=(0.95, 0.998), method="interpolated")
    assert f.upper.tolist() == [[0.0], [0.0]]
    assert f.position([1])[0] == "above 99.8%"
    # 0.02 expected, 99.8%: F(0) = exp(-0.02) = 0.98020 < 0.999, F(1) = 0.98020 + 0.01960 = 0.99980,
    # so r = 1 and y = 1 - (0.99980 - 0.999) / 0.01960 = 0.959: one case is "above 99.8%" though
    # P(X >= 1) = 0.0198 is twenty times 0.001
    g = funnel_limits([0.02], levels=(0.998,), method="interpolated")
    assert g.upper[0, 0] == pytest.approx(1 - (stats.poisson.cdf(1, 0.02) - 0.999) / stats.poisson.pmf(1, 0.02))
    assert g.position([1])[0] == "above 99.8%"
    # 0.5 expected, 95%: F(1) = 0.9098, F(2) = 0.9856, r = 2, y = 2 - (0.9856 - 0.975) / 0.0758 = 1.86:
    # two cases (P(X >= 2) = 0.090) are above it
    h = funnel_limits([0.5], levels=(0.95,), method="interpolated")
    assert h.upper[0, 0] == pytest.approx(1.860, abs=1e-3)
    assert h.position([2])[0] == "above 95%"


# ---------------------------------------------------------------- the exact-test funnel


def test_exact_test_limits_solve_their_equations():
    e = np.array([0.001, 0.02, 0.3, 1.0, 4.7, 12.0, 230.97, 5000.0, 2.5e5])
    for level in (0.95, 0.998):
        a2 = (1 - level) / 2
        f = funnel_limits(e, levels=level, method="exact_test")
        lo, hi = f.at(level)
        # P(u, E) = a2: the upper limit u is the count whose Garwood lower limit is E
        np.testing.assert_allclose(special.gammainc(hi, e), a2, rtol=1e-8)
        np.testing.assert_allclose(special.gdtrib(1.0, a2, e), hi, rtol=1e-9)
        # 1 - P(l + 1, E) = a2 where exp(-E) < a2, else l = 0
        pos = np.exp(-e) < a2
        np.testing.assert_allclose(special.gammaincc(lo[pos] + 1, e[pos]), a2, rtol=1e-8)
        assert np.all(lo[~pos] == 0)


def test_exact_test_flags_exactly_what_the_one_sided_tests_reject():
    mu = np.linspace(0.05, 400, 1501)
    f = funnel_limits(mu, levels=(0.95, 0.998), method="exact_test")
    for level in f.levels:
        a2 = (1 - level) / 2
        lo, hi = f.at(level)
        for o in (0, 1, 2, 5, 20, 100, 300, 450):
            obs = np.full(mu.shape, float(o))
            side = f.outside(obs, level)
            above = stats.poisson.sf(o - 1, mu) < a2  # P(X >= o)
            below = stats.poisson.cdf(o, mu) < a2  # P(X <= o)
            np.testing.assert_array_equal(side == 1, above)
            np.testing.assert_array_equal(side == -1, below)
            # the limits agree with the tests away from exact ties
            np.testing.assert_array_equal((obs > hi)[np.abs(obs - hi) > 1e-6], above[np.abs(obs - hi) > 1e-6])


def test_exact_test_false_alarms_never_exceed_alpha_over_two_but_interpolated_do():
    mu = np.linspace(0.3, 300, 997)
    for level in (0.95, 0.998):
        a2 = (1 - level) / 2
        ex = funnel_limits(mu, levels=level, method="exact_test")
        it = funnel_limits(mu, levels=level, method="interpolated")
        ex_hi = ex.at(level)[1]
        p_above = stats.poisson.sf(np.floor(ex_hi), mu)  # P(X > u)
        assert np.all(p_above <= a2 * (1 + 1e-9))
        p_above_interp = stats.poisson.sf(np.floor(it.at(level)[1]), mu)
        assert np.mean(p_above_interp > a2) > 0.9
        # and the exact-test upper limit is one whole count above the interpolated one
        assert np.all(np.floor(ex_hi) - np.floor(it.at(level)[1]) == 1)


def test_exact_is_the_former_name_of_interpolated():
    e = np.array([0.5, 5.0, 50.0])
    a = funnel_limits(e, method="exact")
    b = funnel_limits(e, method="interpolated")
    np.testing.assert_array_equal(a.upper, b.upper)
    assert a.method == b.method == "interpolated"


def test_wide_frame_gives_both_levels_side_by_side():
    e = np.array([2.0, 20.0, 200.0])
    f = funnel_limits(e, levels=(0.95, 0.998), method="exact_test")
    frame = f.to_wide_frame([9, 20, 150])
    assert list(frame.columns) == [
        "expected", "observed", "ratio", "lower_95", "upper_95", "lower_998", "upper_998", "position", "method",
    ]  # fmt: skip
    np.testing.assert_array_equal(frame["upper_998"], f.upper[1])
    np.testing.assert_array_equal(frame["lower_95"], f.lower[0])
    # 9 against 2: P(X >= 9 | 2) = 0.00024 < 0.001; 150 against 200: P(X <= 150 | 200) = 0.00015
    assert list(frame["position"]) == ["above 99.8%", "within", "below 99.8%"]
    assert frame.attrs["method"] == "exact_test" and set(frame["method"]) == {"exact_test"}
    assert list(f.to_wide_frame().columns) == ["expected", "lower_95", "upper_95", "lower_998", "upper_998", "method"]


def test_log_scale_limits_by_formula():
    # the SHMI's scale: ratio limits exp(+-z sqrt(1/E)), widened by tau^2 additively
    e = np.array([4.0, 100.0])
    z = stats.norm.ppf(0.975)
    f = funnel_limits(e, levels=0.95, method="log")
    np.testing.assert_allclose(f.ratio_upper[0], np.exp(z / np.sqrt(e)))
    np.testing.assert_allclose(f.ratio_lower[0], np.exp(-z / np.sqrt(e)))
    o, ex = _negative_binomial_set(seed=2013)
    od = overdispersion(o + 1, ex, method="shmi", scale="log")
    w = funnel_limits(e, levels=0.95, method="log", overdispersion=od, effect="additive")
    np.testing.assert_allclose(w.ratio_upper[0], np.exp(z * np.sqrt(1 / e + od.tau2)))


# ---------------------------------------------------------------- SHMI truncation against the quantile cut


# Twelve organisations, each with 100 expected cases, so on the ratio scale z = (O - 100) / 10 and
# every weight w = 1/s^2 = E = 100:
#   O = 70  80  85   90  95  100 100 105 110 115  120 140
#   z = -3  -2 -1.5  -1 -0.5  0   0  0.5  1  1.5   2   4
SHMI_O = np.array([70, 80, 85, 90, 95, 100, 100, 105, 110, 115, 120, 140], dtype=float)
SHMI_E = np.full(12, 100.0)


def test_shmi_rule_drops_the_top_and_bottom_tenth_by_rank():
    # SHMI rule (FunnelPlotR truncation, trim_by = 0.1): k = 10, group g = floor(rank * 10 / 13).
    # ranks 1..12 (the two z = 0 tie at ranks 6 and 7: average 6.5):
    #   rank 1  -> floor(10/13)  = 0  dropped
    #   rank 2  -> floor(20/13)  = 1  kept  ...  rank 11 -> floor(110/13) = 8  kept
    #   rank 12 -> floor(120/13) = 9  dropped
    # kept z^2: 4 + 2.25 + 1 + 0.25 + 0 + 0 + 0.25 + 1 + 2.25 + 4 = 15, n = 10, phi = 15/10 = 1.5
    # tau^2 = (n phi - (n - 1)) / (sum w - sum w^2 / sum w) = (15 - 9) / (1000 - 100) = 6/900
    od = overdispersion(SHMI_O, SHMI_E, method="shmi", limit=0.1, scale="ratio")
    assert list(np.flatnonzero(~od.used)) == [0, 11]
    assert od.n == 10
    assert od.phi == pytest.approx(1.5, rel=1e-12)
    assert od.tau2 == pytest.approx(6 / 900, rel=1e-12)


def test_quantile_truncation_drops_two_at_each_end_of_twelve():
    # "truncated" (kept as it was): limits are the 10% and 90% quantiles (linear, R type 7):
    #   h = (12 - 1) * 0.1 = 1.1: lo = z(2) + 0.1 (z(3) - z(2)) = -2 + 0.1 * 0.5 = -1.95
    #   h = (12 - 1) * 0.9 = 9.9: hi = z(10) + 0.9 (z(11) - z(10)) = 1.5 + 0.9 * 0.5 = 1.95
    # so z = -3, -2, 2, 4 are dropped; kept z^2: 2.25 + 1 + 0.25 + 0 + 0 + 0.25 + 1 + 2.25 = 7,
    # n = 8, phi = 7/8 = 0.875; tau^2 = max(0, (7 - 7) / (800 - 100)) = 0
    od = overdispersion(SHMI_O, SHMI_E, method="truncated", limit=0.1, scale="ratio")
    assert list(np.flatnonzero(~od.used)) == [0, 1, 10, 11]
    assert od.n == 8
    assert od.phi == pytest.approx(0.875, rel=1e-12)
    assert od.tau2 == 0.0


def test_shmi_rule_on_the_log_scale_and_with_few_organisations():
    # The SHMI's own scale: z = sqrt(E) ln(O/E) = 10 ln(O/100); the same ranks, so the same two
    # dropped; phi = mean of the ten kept z^2.
    od = overdispersion(SHMI_O, SHMI_E, method="shmi", scale="log")
    z = 10 * np.log(SHMI_O / 100)
    assert od.phi == pytest.approx(np.mean(z[1:11] ** 2), rel=1e-12)
    # with five organisations the groups are floor(rank * 10 / 6) = 1, 3, 5, 6, 8: none dropped,
    # where the quantile cut drops the lowest and the highest
    five_o, five_e = SHMI_O[[0, 3, 5, 8, 11]], SHMI_E[:5]
    assert overdispersion(five_o, five_e, method="shmi").used.all()
    assert list(overdispersion(five_o, five_e, method="truncated").used) == [False, True, True, True, False]


def test_shmi_rule_drops_a_zero_count_on_the_log_scale_or_refuses_it():
    o = SHMI_O.copy()
    o[0] = 0  # z = -inf, lowest rank, dropped
    assert np.isfinite(overdispersion(o, SHMI_E, method="shmi", scale="log").phi)
    o[5] = 0  # two zeros tie at ranks 1.5: groups floor(1.5 * 10 / 13) = 1 kept -> refused
    with pytest.raises(ValueError, match="log scale"):
        overdispersion(o, SHMI_E, method="shmi", scale="log")
