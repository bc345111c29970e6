"""The scipy.stats stand-ins in ``nhs_oversight.stats._distributions`` are bit-for-bit scipy.stats.

Each helper is compared with the scipy.stats function it replaces on a dense grid that takes
in every edge case: negative, fractional, huge and infinite counts, a mean of 0, tiny and
huge means, invalid shape parameters (negative or NaN) and NaN arguments. Equal means the
same 64 bits (signs of zero and NaN positions included), not merely close. And importing
``nhs_oversight.stats``, or computing with it, does not import scipy.stats (issue 11).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable

import numpy as np
import pytest
from numpy.typing import ArrayLike, NDArray
from scipy import stats

from nhs_oversight.stats import _distributions as dist

EDGE_K = np.array(
    [-np.inf, -1e300, -5.0, -1.0, -0.5, -1e-300, -0.0, 0.0, 1e-300, 0.3, 0.5, 0.999999, 1.0, 1.5, 2.0, 2.5]
    + [19.25, 1e3, 1e4 + 0.5, 1e5, 1e6, 1e7 + 0.5, 1e9, 1e12, 2.0**53, 2.0**53 + 2, 1e300, np.inf, np.nan]
)
#: counts: whole, halves and quarters from -3 to 200 (R's minlike test and the funnel search walk these)
K = np.concatenate([EDGE_K, np.arange(-3.0, 200.25, 0.25)])

EDGE_MU = np.array(
    [np.nan, -np.inf, -1.0, -1e-300, -0.0, 0.0, 5e-324, 1e-300, 1e-100, 1e-10, 1e-3, 0.1, 0.5, 1.0, 2.5]
    + [11.999999, 12.0, 19.25, 1e3, 1e5, 1e6, 1e9, 1e12, 1e15, 1e300, np.finfo(float).max, np.inf]
)
#: means: the edge cases, tiny to huge on a log scale, and the range of real trusts densely
MU = np.concatenate([EDGE_MU, np.logspace(-300, 300, 61), np.linspace(0.01, 150.0, 301)])

EDGE_X = np.array([-np.inf, -1e300, -40.0, -38.5, -8.0, -1.0, -1e-300, -0.0, 0.0, 5e-324, 1e-300, 1.0, 8.0])
EDGE_X = np.concatenate([EDGE_X, -EDGE_X, [38.5, 40.0, 1e300, np.inf, np.nan]])
#: standard normal deviates and chi-square statistics
X = np.concatenate([EDGE_X, np.linspace(-40.0, 40.0, 3201), np.logspace(-300, 300, 61), -np.logspace(-300, 300, 61)])
CHI2_X = np.concatenate([EDGE_X, np.linspace(0.0, 400.0, 1601), np.logspace(-300, 300, 61)])
DF = np.concatenate(
    [[np.nan, -np.inf, -1.0, -0.0, 0.0, 5e-324, 1e-3, 0.5, 1.5], np.arange(1.0, 151.0), [1e3, 1e6, 1e300, np.inf]]
)

Fn = Callable[..., ArrayLike]


def assert_bits_equal(got: ArrayLike, want: ArrayLike) -> None:
    """Same shape, float64 and the same 64 bits in every element (NaNs where scipy has NaNs)."""
    g = np.asarray(got)
    w = np.asarray(want, dtype=np.float64)
    assert g.dtype == np.float64
    assert g.shape == w.shape
    np.testing.assert_array_equal(g, w)  # readable report of the values that differ
    np.testing.assert_array_equal(g.view(np.uint64), w.view(np.uint64))


def both(ours: Fn, theirs: Fn, *args: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    with np.errstate(all="ignore"):  # inf - inf at k = inf and the like: scipy warns, so do we
        return np.asarray(ours(*args)), np.asarray(theirs(*args))


POISSON = [
    pytest.param(dist.poisson_pmf, stats.poisson.pmf, id="pmf"),
    pytest.param(dist.poisson_cdf, stats.poisson.cdf, id="cdf"),
    pytest.param(dist.poisson_sf, stats.poisson.sf, id="sf"),
]
NORM = [
    pytest.param(dist.norm_pdf, stats.norm.pdf, id="pdf"),
    pytest.param(dist.norm_cdf, stats.norm.cdf, id="cdf"),
    pytest.param(dist.norm_sf, stats.norm.sf, id="sf"),
]


@pytest.mark.parametrize(("ours", "theirs"), POISSON)
def test_poisson_grid_is_scipy_bit_for_bit(ours: Fn, theirs: Fn) -> None:
    got, want = both(ours, theirs, K[None, :], MU[:, None])
    assert got.shape == (MU.size, K.size)
    assert_bits_equal(got, want)


@pytest.mark.parametrize(("ours", "theirs"), POISSON)
def test_poisson_edge_cases_are_what_scipy_documents(ours: Fn, theirs: Fn) -> None:
    # NaN for an invalid mean or a NaN count, whatever the other argument
    for k, mu in [(3.0, -1.0), (3.0, np.nan), (np.nan, 2.0), (np.inf, np.nan), (-1.0, -1.0)]:
        assert np.isnan(ours(k, mu)), (k, mu)
    assert dist.poisson_pmf(2.5, 3.0) == 0.0  # a fractional count has no mass
    assert dist.poisson_cdf(2.5, 3.0) == dist.poisson_cdf(2.0, 3.0)  # ... and is floored
    assert dist.poisson_sf(2.5, 3.0) == dist.poisson_sf(2.0, 3.0)
    assert dist.poisson_pmf(0.0, 0.0) == 1.0 and dist.poisson_pmf(1.0, 0.0) == 0.0
    assert dist.poisson_cdf(-1.0, 5.0) == 0.0 and dist.poisson_sf(-1.0, 5.0) == 1.0
    assert dist.poisson_cdf(np.inf, 5.0) == 1.0 and dist.poisson_sf(np.inf, 5.0) == 0.0
    assert_bits_equal(*both(ours, theirs, EDGE_K[:, None], EDGE_MU[None, :]))


@pytest.mark.parametrize(("ours", "theirs"), POISSON)
@pytest.mark.parametrize(
    ("k", "mu"),
    [
        pytest.param(3.0, 2.5, id="python-floats"),
        pytest.param(np.float64(0.0), 0.0, id="numpy-scalar"),
        pytest.param(np.nan, 1.0, id="nan-scalar"),
        pytest.param(np.arange(-3, 300), 17.5, id="int-counts"),
        pytest.param([0, 1, 2, 3], [0.5, 1.0, 2.0, 4.0], id="lists"),
        pytest.param(np.arange(40.0).reshape(2, 4, 5), np.array([[[0.0]], [[7.3]]]), id="3-d-broadcast"),
        pytest.param(np.zeros((0,)), 2.0, id="empty"),
        pytest.param(np.array([1.0, np.nan]), np.array([[np.nan], [-2.0], [3.0]]), id="all-invalid-row"),
    ],
)
def test_poisson_shapes_and_types(ours: Fn, theirs: Fn, k: ArrayLike, mu: ArrayLike) -> None:
    assert_bits_equal(*both(ours, theirs, k, mu))


def test_poisson_pmf_on_what_the_package_passes() -> None:
    """The package's calls: counts, counts - 1 and bisection midpoints, against means of real trusts."""
    rng = np.random.default_rng(20120401)
    mu = rng.gamma(2.0, 20.0, 20_000) + 0.01
    x = rng.poisson(mu).astype(float)
    for k in (x, x - 1, np.floor((x + np.ceil(2 * mu)) / 2), np.maximum(np.ceil(2 * mu - x), np.ceil(mu))):
        for ours, theirs in ((dist.poisson_pmf, stats.poisson.pmf), (dist.poisson_cdf, stats.poisson.cdf)):
            assert_bits_equal(*both(ours, theirs, k, mu))
        assert_bits_equal(*both(dist.poisson_sf, stats.poisson.sf, k, mu))


@pytest.mark.parametrize(("ours", "theirs"), NORM)
def test_norm_is_scipy_bit_for_bit(ours: Fn, theirs: Fn) -> None:
    assert_bits_equal(*both(ours, theirs, X))
    assert_bits_equal(*both(ours, theirs, X.reshape(1, -1)))
    for x in (*EDGE_X, 1.96, -3.09):  # scalars: a 0-d result with scipy's value
        assert_bits_equal(*both(ours, theirs, float(x)))
    assert_bits_equal(*both(ours, theirs, [-np.inf, 1.0]))  # a list, as funnel.py passes it


def test_norm_edge_cases() -> None:
    assert dist.norm_pdf(np.inf) == 0.0 and dist.norm_pdf(-np.inf) == 0.0
    assert dist.norm_cdf(-np.inf) == 0.0 and dist.norm_cdf(np.inf) == 1.0
    assert dist.norm_sf(-np.inf) == 1.0 and dist.norm_sf(np.inf) == 0.0
    for f in (dist.norm_pdf, dist.norm_cdf, dist.norm_sf):
        assert np.isnan(f(np.nan))


def test_chi2_sf_is_scipy_bit_for_bit() -> None:
    got, want = both(dist.chi2_sf, stats.chi2.sf, CHI2_X[None, :], DF[:, None])
    assert got.shape == (DF.size, CHI2_X.size)
    assert_bits_equal(got, want)
    for statistic, n in [(12.3, 10), (0.0, 2), (-1.0, 3), (np.inf, 4), (np.nan, 5), (3.0, 0), (3.0, -2), (1e3, 40)]:
        assert_bits_equal(*both(dist.chi2_sf, stats.chi2.sf, statistic, n))  # as overdispersion() calls it
    assert_bits_equal(*both(dist.chi2_sf, stats.chi2.sf, np.arange(0, 50), np.arange(1, 51)))  # integers


def test_chi2_sf_edge_cases() -> None:
    assert dist.chi2_sf(0.0, 3.0) == 1.0 and dist.chi2_sf(-2.0, 3.0) == 1.0
    assert dist.chi2_sf(np.inf, 3.0) == 0.0
    for x, df in [(1.0, 0.0), (1.0, -1.0), (1.0, np.nan), (np.nan, 3.0)]:
        assert np.isnan(dist.chi2_sf(x, df)), (x, df)


PROBE = """
import sys
import nhs_oversight.stats as s
before = "scipy.stats" in sys.modules
s.poisson_intervals([0, 3, 12], (0.95, 0.998), method="exact")
s.poisson_test_p([0, 3, 30], [2.5, 3.0, 12.0])
s.p_exceed([2.0, 12.0], [3.0, 12.5])
s.p_consecutive_ytd_breaches([[1.0, 2.0, 3.0]], [[1.0, 2.0, 3.0]])
s.funnel_limits([0.5, 5.0, 50.0], (0.95, 0.998))
s.overdispersion([3, 8, 20, 41, 2, 9, 15], [4.0, 7.0, 22.0, 35.0, 3.0, 10.0, 15.0], method="winsorised")
print(before, "scipy.stats" in sys.modules)
"""


def test_importing_stats_does_not_import_scipy_stats() -> None:
    done = subprocess.run(
        [sys.executable, "-c", "import nhs_oversight.stats, sys; print('scipy.stats' in sys.modules)"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["False"]


def test_computing_intervals_tests_and_funnels_does_not_import_scipy_stats() -> None:
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["False", "False"]


@pytest.mark.parametrize("seed", range(5))
def test_average_ranks_equal_scipy_rankdata(seed: int) -> None:
    from scipy import stats

    from nhs_oversight.stats.funnel import average_ranks

    rng = np.random.default_rng(seed)
    cases = [
        rng.normal(size=1000),
        rng.integers(0, 7, size=1000).astype(float),  # many ties
        np.array([3.0, 1.0, 3.0, -np.inf, np.inf, 1.0, 0.0, -0.0]),
        np.array([1.0, np.nan, 2.0]),
        np.array([]),
        np.array([5.0]),
    ]
    for x in cases:
        np.testing.assert_array_equal(average_ranks(x), stats.rankdata(x, method="average"))
