"""Funnel limits and overdispersion."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

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
    assert list(frame.columns) == ["expected", "level", "lower", "upper", "ratio_lower", "ratio_upper"]
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
        {"scale": "log"},
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
