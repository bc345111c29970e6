"""Funnel plot control limits and overdispersion for observed against expected counts.

A funnel plot shows each organisation's ratio of observed to expected cases (or its rate)
against the number of cases expected, with control limits that narrow as the expected count
grows: a small trust's two or three extra cases stay inside its wide limits, a large trust's
persistent excess does not. The limits here are for the *count* :math:`O` of an organisation
whose true mean is exactly its expected count :math:`E` (target ratio 1), and, divided by
:math:`E`, for the ratio :math:`O/E`; multiply the ratio by a national rate to plot rates.

References
----------
.. [1] Spiegelhalter DJ. Funnel plots for comparing institutional performance.
   Statistics in Medicine 2005;24:1185-1202.
.. [2] Spiegelhalter DJ, Sherlaw-Johnson C, Bardsley M, Blunt I, Wood C, Grigg O.
   Statistical methods for healthcare regulation: rating, screening and surveillance.
   Journal of the Royal Statistical Society A 2012;175:1-47.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from scipy import special

from ._checks import choice, level_label, levels_of, nonneg
from ._distributions import chi2_sf, norm_cdf, norm_pdf, norm_sf, poisson_pmf

__all__ = [
    "CORRECTIONS",
    "DEFAULT_LEVELS",
    "EFFECTS",
    "FUNNEL_ALIASES",
    "FUNNEL_METHODS",
    "FunnelMethod",
    "OVERDISPERSION_METHODS",
    "OVERDISPERSION_TESTS",
    "SCALES",
    "FunnelLimits",
    "Overdispersion",
    "WITHIN",
    "exact_test_limits",
    "funnel_limits",
    "interpolated_poisson_quantile",
    "overdispersion",
    "shmi_kept",
    "zscores",
]

DEFAULT_LEVELS = (0.95, 0.998)
#: Funnel limit methods. ``"exact"`` is the former name of ``"interpolated"``, kept so that
#: existing callers and saved options work; results record the canonical name.
FUNNEL_METHODS = ("interpolated", "exact_test", "normal", "sqrt", "log", "exact")
FUNNEL_ALIASES = {"exact": "interpolated"}
SCALES = ("ratio", "sqrt", "log")
OVERDISPERSION_METHODS = ("winsorised", "truncated", "shmi")
OVERDISPERSION_TESTS = ("chi2", "2se")
CORRECTIONS = ("none", "normal")
EFFECTS = ("multiplicative", "additive")
#: Where an organisation falls, as :meth:`FunnelLimits.position` writes it.
WITHIN = "within"

#: The z-score scale that each normal-approximation funnel method shares.
_SCALE_OF_METHOD = {"normal": "ratio", "sqrt": "sqrt", "log": "log"}

FunnelMethod = Literal["interpolated", "exact_test", "normal", "sqrt", "log", "exact"]


def _expected(expected: ArrayLike) -> NDArray[np.float64]:
    e = np.asarray(expected, dtype=float)
    if not np.all(np.isfinite(e)) or np.any(e <= 0):
        raise ValueError("expected counts must be finite and strictly positive")
    return e


def _levels(levels: float | Sequence[float]) -> tuple[float, ...]:
    return levels_of(levels)


def _quantile_parts(
    p: float, mu: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Poisson quantile r_p = min{r : F(r) >= p}, with F(r) and P(X = r), vectorised.

    Starts from the Cornish-Fisher approximation :math:`\\mu + z\\sqrt\\mu + (z^2 - 1)/6`, rounded,
    and steps each value up or down until :math:`F(r) \\ge p > F(r - 1)`; the steps touch only
    the values still wrong (a few per cent after the start), so a million means cost little
    more than two special-function calls each.
    """
    z = float(special.ndtri(p))
    r = np.maximum(np.round(mu + z * np.sqrt(mu) + (z * z - 1) / 6), 0.0)
    f_r = np.asarray(special.gammaincc(r + 1.0, mu), dtype=float)  # F(r) = P(X <= r)
    pmf = np.asarray(poisson_pmf(r, mu), dtype=float)
    # each value moves one way only (so that rounding at a tie F(r - 1) = p cannot make it swing)
    step = np.where(f_r < p, 1.0, np.where((r > 0) & (f_r - pmf >= p), -1.0, 0.0))
    move = np.flatnonzero(step)
    while move.size:
        r[move] += step[move]
        f_r[move] = special.gammaincc(r[move] + 1.0, mu[move])
        pmf[move] = poisson_pmf(r[move], mu[move])
        up = step[move] > 0
        still = np.where(up, f_r[move] < p, (r[move] > 0) & (f_r[move] - pmf[move] >= p))
        move = move[still]
    return r, f_r, pmf


def interpolated_poisson_quantile(p: ArrayLike, mu: ArrayLike) -> NDArray[np.float64]:
    """The p-th quantile of Poisson(mu), interpolated as Spiegelhalter (2005) does.

    Parameters
    ----------
    p : array_like of float
        Probability, strictly between 0 and 1.
    mu : array_like of float
        Poisson mean [cases], non-negative.

    Returns
    -------
    y : ndarray of float
        The interpolated quantile [cases]; may be negative below a count of 0 (the caller
        clips control limits at 0: below :math:`\\mu \\approx 0.025` the 97.5% point is
        negative).

    Notes
    -----
    With :math:`F` the Poisson cdf, :math:`r_p = \\min\\{r : F(r) \\ge p\\}` the ordinary
    quantile and

    .. math::

        \\alpha = \\frac{F(r_p) - p}{F(r_p) - F(r_p - 1)}, \\qquad y_p = r_p - \\alpha ,

    (Spiegelhalter 2005, appendix, for discrete data). Equivalently, :math:`y_p` is where the straight
    line joining :math:`(r_p - 1, F(r_p - 1))` and :math:`(r_p, F(r_p))` reaches :math:`p`:
    the inverse of the cdf made continuous by linear interpolation between whole counts.
    :math:`y_p` is continuous and increasing in :math:`\\mu`, which gives smooth funnels.
    """
    pa = np.asarray(p, dtype=float)
    if np.any((pa <= 0) | (pa >= 1)):
        raise ValueError("p must lie strictly between 0 and 1")
    m = nonneg(mu, "mu")
    pb, mb = np.broadcast_arrays(pa, m)
    if pa.ndim == 0:
        r, f_r, pmf = _quantile_parts(float(pa), np.array(mb, dtype=float, copy=True).ravel())
        y = (r - (f_r - float(pa)) / pmf).reshape(mb.shape)
    else:
        y = np.empty(pb.shape)
        flat_p, flat_m, flat_y = pb.ravel(), mb.ravel(), y.reshape(-1)
        for value in np.unique(flat_p):
            sel = flat_p == value
            r, f_r, pmf = _quantile_parts(float(value), flat_m[sel].astype(float))
            flat_y[sel] = r - (f_r - value) / pmf
    return np.asarray(y, dtype=float)


def exact_test_limits(expected: ArrayLike, level: float) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Count limits outside which the one-sided exact Poisson test rejects at (1 - level)/2.

    Parameters
    ----------
    expected : array_like of float
        Expected cases [cases], strictly positive.
    level : float
        Two-sided level, 0.95 or 0.998 [unitless].

    Returns
    -------
    lower, upper : ndarray of float
        [cases]. A whole count :math:`O` is above ``upper`` exactly when
        :math:`P(X \\ge O \\mid E) < \\alpha/2` and below ``lower`` exactly when
        :math:`P(X \\le O \\mid E) < \\alpha/2`, :math:`X \\sim` Poisson(:math:`E`).

    Notes
    -----
    With :math:`P(a, E)` the regularised lower incomplete gamma function,
    :math:`P(X \\ge O) = P(O, E)` and :math:`P(X \\le O) = 1 - P(O + 1, E)`; both extend
    continuously and monotonically to non-whole :math:`O`. The limits are where they equal
    :math:`\\alpha/2`:

    .. math::

        P(u, E) = \\alpha/2, \\qquad 1 - P(l + 1, E) = \\alpha/2 \\ (l = 0 \\text{ when } e^{-E} \\ge \\alpha/2).

    Equivalently :math:`u` is the count whose Garwood lower limit is :math:`E` and :math:`l`
    the count whose Garwood upper limit is :math:`E`: a count is outside the funnel exactly
    when its exact interval excludes :math:`E`. This is the convention of Public Health
    England's PHEindicatormethods (its ``poisson_funnel`` finds the same lines by bisection,
    and ``assign_funnel_significance`` compares intervals with the expected count).

    Computation: the whole-count quantile :math:`r` of :func:`interpolated_poisson_quantile`
    brackets each root in a unit interval (:math:`u \\in (r, r + 1]` for the upper
    :math:`1 - \\alpha/2` quantile, :math:`l + 1 \\in (r, r + 1]` for the lower :math:`\\alpha/2`
    one) with both end values already known; a Wilson-Hilferty model of the probit of the
    incomplete gamma function, fitted to those ends, starts Newton's method close enough that
    one or two evaluations of ``scipy.special.gammainc`` reach a relative error of
    :math:`10^{-10}`. Where :math:`u < 1`
    (:math:`E` below about 0.025 at 95%) ``scipy.special.gdtrib`` solves it directly.
    """
    e = np.ravel(_expected(expected))
    a2 = (1.0 - float(level)) / 2
    upper = np.empty(e.shape)
    lower = np.zeros(e.shape)
    # upper: u in (r, r + 1] with P(u, E) = a2, r the 1 - a2 quantile
    r, f_r, pmf = _quantile_parts(1.0 - a2, e.copy())
    tiny = r == 0
    if np.any(tiny):
        upper[tiny] = special.gdtrib(1.0, a2, e[tiny])
    big = ~tiny
    if np.any(big):
        # P(r, E) = P(X >= r) = 1 - F(r) + P(X = r); P(r + 1, E) = 1 - F(r)
        upper[big] = _solve_shape(special.gammainc, e[big], a2, r[big], 1.0 - f_r[big] + pmf[big], 1.0 - f_r[big])
    # lower: l + 1 in (r, r + 1] with Q(l + 1, E) = a2, r the a2 quantile; l = 0 when r = 0
    r, f_r, pmf = _quantile_parts(a2, e.copy())
    pos = r > 0
    if np.any(pos):
        # Q(r, E) = P(X <= r - 1) = F(r) - P(X = r); Q(r + 1, E) = F(r)
        lower[pos] = _solve_shape(special.gammaincc, e[pos], a2, r[pos], f_r[pos] - pmf[pos], f_r[pos]) - 1.0
    shape = np.shape(np.asarray(expected, dtype=float))
    return np.maximum(lower, 0.0).reshape(shape), upper.reshape(shape)


def _solve_shape(
    prob: Callable[[NDArray[np.float64], NDArray[np.float64]], NDArray[np.float64]],
    x: NDArray[np.float64],
    target: float,
    left: NDArray[np.float64],
    p_left: NDArray[np.float64],
    p_right: NDArray[np.float64],
) -> NDArray[np.float64]:
    """The shape a in [left, left + 1] (left >= 1) where ``prob(a, x) = target``, given both end values.

    ``prob`` is ``gammainc`` (P, decreasing in a) or ``gammaincc`` (Q = 1 - P, increasing).
    On the probit scale, :math:`\\Phi^{-1}(P(a, x))` is the Wilson-Hilferty function
    :math:`w(a) = 3\\sqrt a\\,((x/a)^{1/3} - 1 + 1/(9a))` plus a correction that hardly varies
    over a unit interval; taking the correction as linear between the two known ends gives a
    start good to about :math:`10^{-6}`, and Newton steps with that slope finish the job, each
    evaluating ``prob`` only where the root is not yet found to a relative :math:`10^{-10}`.
    """
    sign = 1.0 if prob is special.gammainc else -1.0  # probit(P) = -probit(Q)
    z_target = sign * float(special.ndtri(target))
    cx = np.cbrt(x)

    def wh(a: NDArray[np.float64], c: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.asarray(3 * c * a ** (1 / 6) - 3 * np.sqrt(a) + 1 / (3 * np.sqrt(a)), dtype=float)

    def wh_slope(a: NDArray[np.float64], c: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.asarray(0.5 * c * a ** (-5 / 6) - 1.5 / np.sqrt(a) - a**-1.5 / 6, dtype=float)

    lo, hi = left.astype(float), left + 1.0
    z_lo, z_hi = sign * special.ndtri(p_left), sign * special.ndtri(p_right)
    c_lo = z_lo - wh(lo, cx)
    c_slope = (z_hi - wh(hi, cx)) - c_lo
    with np.errstate(invalid="ignore", divide="ignore"):
        a = lo + (z_lo - z_target) / (z_lo - z_hi)  # straight line between the ends
    a = np.clip(np.where(np.isfinite(a), a, lo + 0.5), lo, hi)
    for _ in range(3):  # Newton on the cheap model w(a) + c_lo + c_slope (a - lo)
        a = np.clip(a - (wh(a, cx) + c_lo + c_slope * (a - lo) - z_target) / (wh_slope(a, cx) + c_slope), lo, hi)
    todo = np.arange(x.size)
    for _ in range(50):  # Newton on the true function, with the model's slope
        if todo.size == 0:
            break
        at, ct = a[todo], cx[todo]
        z = sign * special.ndtri(prob(at, x[todo]))
        new = np.clip(at - (z - z_target) / (wh_slope(at, ct) + c_slope[todo]), lo[todo], hi[todo])
        a[todo] = new
        # the model slope is within a few per cent of the true one, so after a step of 1e-8 the
        # error left is below 1e-9 relative: stop without evaluating again
        todo = todo[np.abs(new - at) > 1e-8 * (1.0 + at)]
    return a


def zscores(
    observed: ArrayLike,
    expected: ArrayLike,
    scale: Literal["ratio", "sqrt", "log"] = "ratio",
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Z-scores of observed against expected counts, and their standard errors.

    Parameters
    ----------
    observed : array_like of float
        Observed cases [cases], non-negative.
    expected : array_like of float
        Expected cases [cases], strictly positive.
    scale : {"ratio", "sqrt", "log"}
        ``"ratio"``: the ratio :math:`Y = O/E` with Poisson variance :math:`1/E`
        (Spiegelhalter 2005, Table I, indirectly standardised ratio). ``"sqrt"``: the
        variance-stabilised :math:`\\sqrt{O/E}` with variance :math:`1/(4E)` (Spiegelhalter
        et al. 2012; the CQC method). ``"log"``: :math:`\\ln(O/E)` with variance
        :math:`1/E` (the SHMI method, NHS Digital; FunnelPlotR ``sr_method = "SHMI"``); a
        count of 0 has a z-score of :math:`-\\infty`.

    Returns
    -------
    z : ndarray of float
        [standard deviations].
    s : ndarray of float
        Standard error of the estimate on the chosen scale under the target ratio 1
        [ratio or square-root-ratio units].

    Notes
    -----
    ratio: :math:`z = (O/E - 1)\\sqrt{E} = (O - E)/\\sqrt{E}`, :math:`s = 1/\\sqrt{E}`.
    sqrt: :math:`z = 2(\\sqrt{O} - \\sqrt{E})`, :math:`s = 1/(2\\sqrt{E})`.
    log: :math:`z = \\sqrt{E}\\,\\ln(O/E)`, :math:`s = 1/\\sqrt{E}`.
    """
    choice("scale", scale, SCALES)
    o = nonneg(observed, "observed")
    e = _expected(expected)
    shape = np.broadcast_shapes(o.shape, e.shape)
    if scale == "ratio":
        s = 1 / np.sqrt(e)
        return (o - e) / np.sqrt(e), np.broadcast_to(s, shape).copy()
    if scale == "log":
        s = 1 / np.sqrt(e)
        with np.errstate(divide="ignore"):
            return np.sqrt(e) * np.log(o / e), np.broadcast_to(s, shape).copy()
    s = 1 / (2 * np.sqrt(e))
    return 2 * (np.sqrt(o) - np.sqrt(e)), np.broadcast_to(s, shape).copy()


def shmi_kept(z: ArrayLike, fraction: float) -> NDArray[np.bool_]:
    """Which z-scores the SHMI rule keeps: it drops the top and bottom ``fraction`` by rank.

    Parameters
    ----------
    z : array_like of float
        Z-scores, one per organisation [standard deviations]; :math:`-\\infty` allowed.
    fraction : float
        Tail fraction dropped at each end, strictly between 0 and 0.5 (0.1) [unitless].

    Returns
    -------
    ndarray of bool

    Notes
    -----
    As FunnelPlotR's ``truncation`` implements it for the SHMI: with :math:`k = 1/q`,
    :math:`\\rho_i` the rank of :math:`z_i` among the :math:`n` (ties take the average rank)
    and :math:`g_i = \\lfloor \\rho_i k/(n + 1) \\rfloor` its group (deciles for
    :math:`q = 0.1`, groups 0 to 9), organisation :math:`i` is kept when
    :math:`0 < g_i < k - 1`: the lowest and highest groups are dropped. Unlike cutting at
    the quantiles, this depends only on the order of the z-scores: with :math:`n = 12` it
    drops one at each end (quantile cut: two), with :math:`n \\le 8` none.
    """
    q = float(fraction)
    if not 0 < q < 0.5:
        raise ValueError(f"fraction={fraction!r} must lie strictly between 0 and 0.5")
    zz = np.ravel(np.asarray(z, dtype=float))
    k = 1 / q
    group = np.floor(average_ranks(zz) * k / (zz.size + 1))
    return np.asarray((group > 0) & (group < k - 1), dtype=bool)


def average_ranks(values: ArrayLike) -> NDArray[np.float64]:
    """Ranks 1..n, ties sharing the average of their ranks: ``scipy.stats.rankdata(values,
    method="average")`` (all NaN when any value is NaN, as its default ``nan_policy``), without
    importing scipy.stats (~0.5 s of CPU).

    Parameters
    ----------
    values : array_like
        One-dimensional (flattened otherwise).

    Returns
    -------
    numpy.ndarray
        float64 ranks, in the order of ``values``.
    """
    x = np.ravel(np.asarray(values, dtype=float))
    n = x.size
    if np.isnan(x).any():
        return np.full(n, np.nan)
    order = np.argsort(x, kind="mergesort")
    ordered = x[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]]) if n else np.zeros(0, dtype=np.intp)
    ends = np.r_[starts[1:], n]
    ranks = np.empty(n, dtype=float)
    ranks[order] = np.repeat((starts + 1 + ends) / 2.0, ends - starts)  # the mean of ranks start+1..end
    return ranks


@dataclass(frozen=True, eq=False)
class Overdispersion:
    """An overdispersion estimate (see :func:`overdispersion`).

    Attributes
    ----------
    method : str
        ``"winsorised"``, ``"truncated"`` or ``"shmi"``.
    limit : float or tuple of float
        Tail fraction, or the (lower, upper) z-limits, that ``method`` applied.
    scale : str
        Z-score scale, ``"ratio"`` or ``"sqrt"``.
    correction : str
        ``"none"`` or ``"normal"``.
    kappa : float
        Divisor applied to the mean squared z-score (1 without correction) [unitless].
    test : str
        How :attr:`significant` was decided: ``"chi2"`` or ``"2se"``.
    n : int
        Organisations entering the estimate (all for winsorised, those kept for truncated).
    z : ndarray
        Raw z-scores of every organisation [standard deviations].
    used : ndarray of bool
        Which organisations entered the estimate.
    phi : float
        Multiplicative overdispersion factor :math:`\\varphi` [unitless].
    tau2 : float
        Additive between-organisation variance :math:`\\tau^2` on the z-score scale
        [ratio² or square-root-ratio² units].
    statistic : float
        :math:`n\\varphi` [unitless].
    p_value : float
        :math:`P(\\chi^2_n \\ge n\\varphi)`.
    significant : bool
        Whether overdispersion is significant by :attr:`test`.
    alpha : float
        Significance level of the chi-square test.
    """

    method: str
    limit: float | tuple[float, float]
    scale: str
    correction: str
    kappa: float
    test: str
    n: int
    z: NDArray[np.float64]
    used: NDArray[np.bool_]
    phi: float
    tau2: float
    statistic: float
    p_value: float
    significant: bool
    alpha: float


def _null_mean_square(method: str, lo: float, hi: float) -> float:
    """E of the Winsorised z², or of z² given it is kept, for z ~ N(0, 1) limited to [lo, hi]."""
    phi_lo, phi_hi = norm_pdf([lo, hi])
    cdf_lo, cdf_hi = np.asarray(norm_cdf([lo, hi]), dtype=float)
    lo_term = lo * phi_lo if np.isfinite(lo) else 0.0
    hi_term = hi * phi_hi if np.isfinite(hi) else 0.0
    inside = (cdf_hi - hi_term) - (cdf_lo - lo_term)  # integral of z² φ(z) over [lo, hi]
    if method in ("truncated", "shmi"):
        return float(inside / (cdf_hi - cdf_lo))
    tails = (lo**2 * cdf_lo if np.isfinite(lo) else 0.0) + (hi**2 * norm_sf(hi) if np.isfinite(hi) else 0.0)
    return float(inside + tails)


def overdispersion(
    observed: ArrayLike,
    expected: ArrayLike,
    method: Literal["winsorised", "truncated", "shmi"] = "winsorised",
    limit: float | tuple[float, float] = 0.1,
    scale: Literal["ratio", "sqrt", "log"] = "ratio",
    correction: Literal["none", "normal"] = "none",
    test: Literal["chi2", "2se"] = "chi2",
    alpha: float = 0.05,
) -> Overdispersion:
    """Estimate overdispersion among organisations' observed against expected counts.

    Parameters
    ----------
    observed : array_like of float
        Observed cases per organisation [cases].
    expected : array_like of float
        Expected cases per organisation [cases], strictly positive; same length.
    method : {"winsorised", "truncated", "shmi"}
        ``"winsorised"``: z-scores beyond the limits are set to the limits (Spiegelhalter
        2005; Spiegelhalter et al. 2012; the CQC practice). ``"truncated"``:
        organisations whose z-score lies outside the limits (the ``q`` and ``1 - q``
        quantiles, or fixed z-limits) are left out. ``"shmi"``: the SHMI rule, which leaves
        out the top and bottom ``q`` of organisations **by rank** (:func:`shmi_kept`); the
        SHMI itself uses it with ``scale="log"``. (Before ``"shmi"`` existed,
        ``"truncated"`` was described as the SHMI practice; it is kept, unchanged, under
        its own name, since its quantile cut drops different organisations: with 12 it
        drops two at each end where the SHMI rule drops one.)
    limit : float or (float, float)
        A fraction ``q`` in (0, 0.5): the limits are the ``q`` and ``1 - q`` quantiles of
        the z-scores (0.1: Winsorise at the 10% and 90% points), or for ``"shmi"`` the
        fraction dropped by rank at each end. Or, not for ``"shmi"``, a pair of fixed
        z-limits ``(lower, upper)``, e.g. ``(-3, 3)``; ``(-inf, inf)`` gives the plain,
        unadjusted estimate.
    scale : {"ratio", "sqrt", "log"}
        Z-score scale, see :func:`zscores`. Funnel limits widened with this estimate must
        use the same scale (``method="normal"`` for ``"ratio"``, ``"sqrt"`` for ``"sqrt"``,
        ``"log"`` for ``"log"``).
    correction : {"none", "normal"}
        ``"none"``: the published estimator. ``"normal"``: divide by :math:`\\kappa`, the
        value the estimator takes for standard normal z-scores, so that it is about 1
        without overdispersion (see Notes).
    test : {"chi2", "2se"}
        ``"chi2"``: significant when :math:`P(\\chi^2_n \\ge n\\varphi) < \\alpha`.
        ``"2se"``: significant when :math:`\\varphi > 1 + 2\\sqrt{2/n}`, two standard errors
        of :math:`\\varphi` above 1.
    alpha : float
        Significance level of the chi-square test.

    Returns
    -------
    Overdispersion

    Notes
    -----
    With z-scores :math:`z_i` after Winsorising (all :math:`n` organisations) or truncating
    (the :math:`n` kept), and :math:`s_i` their standard errors (:func:`zscores`):

    .. math::

        \\hat\\varphi = \\frac{1}{\\kappa n} \\sum_i z_i^2, \\qquad
        \\hat\\tau^2 = \\max\\left(0,\\ \\frac{n\\hat\\varphi - (n - 1)}
            {\\sum_i w_i - \\sum_i w_i^2 / \\sum_i w_i}\\right),\\ w_i = 1/s_i^2 .

    :math:`\\varphi` is the *multiplicative* model (variance :math:`\\varphi s_i^2`);
    :math:`\\tau^2` the *additive* random-effects model (variance :math:`s_i^2 + \\tau^2`), the
    DerSimonian & Laird (1986) moment estimator as Spiegelhalter (2005) and
    Spiegelhalter et al. (2012) use it. Quantiles are NumPy's default (linear, R type 7).

    Bias of the published estimators (:math:`\\kappa = 1`): for z-scores that really are
    N(0, 1), Winsorising at the 10%/90% points gives :math:`E\\hat\\varphi \\approx 0.679`
    and truncating there :math:`\\approx 0.438`, so without overdispersion they sit well
    below 1, and with it they understate it. ``correction="normal"`` divides by

    .. math::

        \\kappa_W = \\int_a^b z^2\\phi(z)\\,dz + a^2\\Phi(a) + b^2(1-\\Phi(b)), \\qquad
        \\kappa_T = \\frac{\\int_a^b z^2\\phi(z)\\,dz}{\\Phi(b) - \\Phi(a)},

    with :math:`\\int_a^b z^2\\phi = [\\Phi(z) - z\\phi(z)]_a^b` and
    :math:`(a, b) = (\\Phi^{-1}(q), \\Phi^{-1}(1-q))` for a tail fraction, or the fixed
    z-limits. With quantile limits the corrected estimate is consistent for
    :math:`\\varphi` whenever :math:`z_i \\sim N(0, \\varphi)`; with fixed limits only at
    :math:`\\varphi = 1`. Poisson z-scores are only roughly normal for small expected counts.

    Tests: without overdispersion, the plain :math:`n\\hat\\varphi` is approximately
    :math:`\\chi^2_n` (the expected counts taken as known), mean :math:`n`, so
    :math:`\\hat\\varphi` has standard error :math:`\\sqrt{2/n}`. Winsorised or truncated
    estimates vary less than that, and uncorrected ones are biased low, so both tests are
    conservative for them.

    References
    ----------
    .. [1] Spiegelhalter DJ. Funnel plots for comparing institutional performance.
       Statistics in Medicine 2005;24:1185-1202.
    .. [2] Spiegelhalter DJ et al. Statistical methods for healthcare regulation: rating,
       screening and surveillance. JRSS A 2012;175:1-47.
    .. [3] DerSimonian R, Laird N. Meta-analysis in clinical trials. Controlled Clinical
       Trials 1986;7:177-188.
    """
    choice("method", method, OVERDISPERSION_METHODS)
    choice("correction", correction, CORRECTIONS)
    choice("test", test, OVERDISPERSION_TESTS)
    z, s = zscores(observed, expected, scale=scale)
    z = np.ravel(z)
    s = np.ravel(s)
    if z.size < 2:
        raise ValueError("overdispersion needs at least two organisations")
    if not 0 < alpha < 1:
        raise ValueError("alpha must lie strictly between 0 and 1")
    if method == "shmi" and isinstance(limit, tuple | list | np.ndarray):
        raise ValueError("method='shmi' drops a fraction of organisations by rank: give limit as a fraction (0.1)")
    if isinstance(limit, tuple | list | np.ndarray):
        lo, hi = (float(v) for v in limit)
        if not lo < hi:
            raise ValueError(f"limit={limit!r}: z-limits must be (lower, upper) with lower < upper")
        limit_used: float | tuple[float, float] = (lo, hi)
        null_lo, null_hi = lo, hi
    else:
        q = float(limit)
        if not 0 < q < 0.5:
            raise ValueError(f"limit={limit!r}: a tail fraction must lie strictly between 0 and 0.5")
        if method != "shmi":
            lo, hi = (float(v) for v in np.quantile(z, [q, 1 - q]))
        limit_used = q
        null_lo, null_hi = (float(v) for v in special.ndtri([q, 1 - q]))

    if method == "winsorised":
        used = np.ones(z.shape, dtype=bool)
        zz = np.clip(z, lo, hi)
    elif method == "shmi":
        used = shmi_kept(z, q)
        zz = z[used]
    else:
        used = (z >= lo) & (z <= hi)
        zz = z[used]
    n = int(zz.size)
    if n < 2:
        raise ValueError("fewer than two organisations left after truncation")
    if not np.all(np.isfinite(zz)):
        raise ValueError(
            "a count of 0 has no z-score on the log scale: with scale='log' it must be truncated away "
            "(method='shmi'), or use scale='ratio' or 'sqrt'"
        )
    kappa = 1.0 if correction == "none" else _null_mean_square(method, null_lo, null_hi)
    phi = float(np.mean(zz**2)) / kappa
    w = 1 / s[used] ** 2
    tau2 = max(0.0, (n * phi - (n - 1)) / (w.sum() - (w**2).sum() / w.sum()))
    statistic = n * phi
    p_value = float(chi2_sf(statistic, n))
    significant = p_value < alpha if test == "chi2" else phi > 1 + 2 * np.sqrt(2 / n)
    return Overdispersion(
        method=method,
        limit=limit_used,
        scale=scale,
        correction=correction,
        kappa=float(kappa),
        test=test,
        n=n,
        z=z,
        used=used,
        phi=phi,
        tau2=float(tau2),
        statistic=float(statistic),
        p_value=p_value,
        significant=bool(significant),
        alpha=float(alpha),
    )


@dataclass(frozen=True, eq=False)
class FunnelLimits:
    """Control limits at each expected count (see :func:`funnel_limits`).

    Attributes
    ----------
    expected : ndarray
        Expected cases [cases].
    levels : tuple of float
        Two-sided levels, in the order of the first axis of :attr:`lower` and :attr:`upper`.
    method : str
        ``"interpolated"``, ``"exact_test"``, ``"normal"``, ``"sqrt"`` or ``"log"`` (the
        canonical name: ``"exact"`` is recorded as ``"interpolated"``).
    lower, upper : ndarray
        Limits for the observed count, shape ``(len(levels),) + expected.shape`` [cases].
    overdispersion : Overdispersion or None
        The estimate the limits were widened by, if any.
    effect : str or None
        ``"multiplicative"`` or ``"additive"`` when widened.
    """

    expected: NDArray[np.float64]
    levels: tuple[float, ...]
    method: str
    lower: NDArray[np.float64]
    upper: NDArray[np.float64]
    overdispersion: Overdispersion | None = None
    effect: str | None = None

    @property
    def ratio_lower(self) -> NDArray[np.float64]:
        """Lower limits as a ratio to the expected count [unitless]."""
        return self.lower / self.expected

    @property
    def ratio_upper(self) -> NDArray[np.float64]:
        """Upper limits as a ratio to the expected count [unitless]."""
        return self.upper / self.expected

    def at(self, level: float) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """(lower, upper) count limits at one of :attr:`levels` [cases]."""
        i = self._index(level)
        return self.lower[i], self.upper[i]

    def outside(self, observed: ArrayLike, level: float) -> NDArray[np.int8]:
        """+1 where an observed count is above the upper limit, -1 below the lower, else 0.

        "Above" is :math:`O > \\text{upper}` and "below" :math:`O < \\text{lower}`: a count
        exactly on a limit is inside, and a count of 0 is never above. For
        ``"exact_test"`` the one-sided exact tests decide directly (above when
        :math:`P(X \\ge O \\mid E) < \\alpha/2`, below when :math:`P(X \\le O \\mid E) < \\alpha/2`),
        which is the same thing without the limits' rounding.
        """
        lo, hi = self.at(level)
        o = np.asarray(observed, dtype=float)
        if self.method == "exact_test":
            a2 = (1.0 - self.levels[self._index(level)]) / 2
            e = np.broadcast_to(self.expected, np.broadcast_shapes(o.shape, self.expected.shape))
            above = (o > 0) & (special.gammainc(np.maximum(o, 1e-300), e) < a2)
            below = special.gammaincc(o + 1.0, e) < a2
        else:
            above = (o > hi) & (o > 0)
            below = o < lo
        return (np.where(above, 1, 0) - np.where(below, 1, 0)).astype(np.int8)

    def position(self, observed: ArrayLike) -> NDArray[np.object_]:
        """Where each observed count falls: ``above 99.8%``, ``above 95%``, ``within``, ``below 95%``, ...

        The widest limit a count is outside names it.
        """
        o = np.asarray(observed, dtype=float)
        result = np.full(np.broadcast_shapes(o.shape, self.expected.shape), WITHIN, dtype=object)
        for level in sorted(self.levels):  # the wider limit, checked last, wins
            side = self.outside(o, level)
            name = f"{level:.1%}".replace(".0%", "%")
            result[side > 0] = f"above {name}"
            result[side < 0] = f"below {name}"
        return result

    def to_frame(self) -> pd.DataFrame:
        """Long table: expected, level, lower, upper, ratio_lower, ratio_upper, method."""
        e = np.ravel(self.expected)
        rows = []
        for i, level in enumerate(self.levels):
            lo = np.ravel(self.lower[i])
            hi = np.ravel(self.upper[i])
            rows.append(
                pd.DataFrame(
                    {
                        "expected": e,
                        "level": level,
                        "lower": lo,
                        "upper": hi,
                        "ratio_lower": lo / e,
                        "ratio_upper": hi / e,
                    }
                )
            )
        frame = pd.concat(rows, ignore_index=True)
        frame["method"] = self.method
        frame.attrs.update(self._attrs())
        return frame

    def to_wide_frame(self, observed: ArrayLike | None = None) -> pd.DataFrame:
        """One row per expected count with every level side by side.

        Parameters
        ----------
        observed : array_like of float, optional
            Observed cases [cases], one per expected count: adds ``observed``, ``ratio`` and
            ``position`` (:meth:`position`).

        Returns
        -------
        pandas.DataFrame
            ``expected``, [``observed``, ``ratio``], ``lower_<L>``, ``upper_<L>`` per level
            (``lower_95``, ``upper_95``, ``lower_998``, ``upper_998``) [cases], [``position``],
            ``method``. ``frame.attrs`` records ``method``, ``levels`` and any overdispersion.
        """
        e = np.ravel(self.expected)
        frame = pd.DataFrame({"expected": e})
        o: NDArray[np.float64] | None = None
        if observed is not None:
            o = np.ravel(np.asarray(observed, dtype=float))
            if o.shape != e.shape:
                raise ValueError(f"observed has {o.size} values for {e.size} expected counts")
            frame["observed"] = o
            frame["ratio"] = o / e
        for i, level in enumerate(self.levels):
            frame[f"lower_{level_label(level)}"] = np.ravel(self.lower[i])
            frame[f"upper_{level_label(level)}"] = np.ravel(self.upper[i])
        if o is not None:
            frame["position"] = np.ravel(self.position(o.reshape(self.expected.shape)))
        frame["method"] = self.method
        frame.attrs.update(self._attrs())
        return frame

    def _attrs(self) -> dict[str, object]:
        od = self.overdispersion
        return {
            "method": self.method,
            "levels": self.levels,
            "overdispersion": None if od is None else od.method,
            "effect": self.effect,
        }

    def _index(self, level: float) -> int:
        for i, v in enumerate(self.levels):
            if np.isclose(v, level, rtol=0, atol=1e-12):
                return i
        raise KeyError(f"level {level!r} not among {self.levels}")


def funnel_limits(
    expected: ArrayLike,
    levels: float | Sequence[float] = DEFAULT_LEVELS,
    method: FunnelMethod = "exact",
    overdispersion: Overdispersion | None = None,
    effect: Literal["multiplicative", "additive"] | None = None,
) -> FunnelLimits:
    """Funnel plot control limits for an observed count whose mean is its expected count.

    Parameters
    ----------
    expected : array_like of float
        Expected cases [cases], strictly positive: the x-axis of the funnel.
    levels : float or sequence of float
        Two-sided levels: 0.95 (about 2 standard deviations) and 0.998 (about 3); all are
        computed in the one call.
    method : {"interpolated", "exact_test", "normal", "sqrt", "log", "exact"}
        ``"interpolated"``: Poisson quantiles interpolated as Spiegelhalter (2005) does (see
        :func:`interpolated_poisson_quantile`); ``"exact"`` is its former name.
        ``"exact_test"``: a count is outside exactly when the one-sided exact Poisson test
        rejects at :math:`\\alpha/2` (:func:`exact_test_limits`; Public Health England's
        convention). ``"normal"``: normal approximation on the ratio scale. ``"sqrt"``: on
        the square-root scale. ``"log"``: on the log scale (the SHMI's). The rulebook's
        ``funnel_method`` names the one to use.
    overdispersion : Overdispersion, optional
        Widen the limits by this estimate. Its scale must match ``method`` (``"ratio"`` with
        ``"normal"``, ``"sqrt"`` with ``"sqrt"``, ``"log"`` with ``"log"``): overdispersed
        limits are normal approximations, so the exact methods are refused with an estimate.
    effect : {"multiplicative", "additive"}
        Required with ``overdispersion``: widen by :math:`\\varphi` or by :math:`\\tau^2`.

    Returns
    -------
    FunnelLimits
        Count limits (and, through properties, ratio limits) at each level; its
        :attr:`~FunnelLimits.method` says which method made them.

    Notes
    -----
    For a level :math:`1-\\alpha`: :math:`p_- = \\alpha/2`, :math:`p_+ = 1-\\alpha/2`,
    :math:`z = \\Phi^{-1}(p_+)`, and :math:`s^2 = 1/E` (ratio, log) or :math:`1/(4E)` (sqrt).

    - interpolated: count limits :math:`y_{p_-}` and :math:`y_{p_+}` of Poisson(:math:`E`),
      interpolated, both clipped at 0 (below :math:`E \\approx 0.025` the 97.5% point is
      negative; clipped, a count of 0 is on the limit, so inside, and any case is above).
    - exact_test: see :func:`exact_test_limits`.
    - normal: ratio limits :math:`1 \\pm z\\sqrt{v}`; sqrt: :math:`(1 \\pm z\\sqrt{v})^2`
      (lower taken as 0 where :math:`1 - z\\sqrt{v} < 0`); log: :math:`\\exp(\\pm z\\sqrt{v})`;
      count limits are ratio limits times :math:`E`. :math:`v = s^2` without
      overdispersion, :math:`\\max(\\varphi, 1)\\, s^2` multiplicative (limits are never
      narrowed), :math:`s^2 + \\tau^2` additive (Spiegelhalter 2005; Spiegelhalter et al.
      2012).

    Widening is applied whenever an estimate is passed; pass one only when its
    :attr:`Overdispersion.significant` is true if that is the policy.

    Which exact method. Counts are whole, so no limit has a false-alarm rate of exactly
    :math:`\\alpha/2`. The interpolated upper limit :math:`y_{p_+} \\in (r-1, r]` flags the
    count :math:`r` too, so a count is above it with probability :math:`1 - F(r-1)`: at least
    :math:`\\alpha/2`, more by up to :math:`P(X = r)` (at :math:`E = 230.97`, 261 cases are
    flagged at 95% though :math:`P(X \\ge 261) = 0.028`). The exact-test limits flag a count
    only when its one-sided p-value is below :math:`\\alpha/2`, so a false alarm has
    probability at most :math:`\\alpha/2` for every :math:`E`; their upper limit lies a count
    above the interpolated one. Below the lower limit, the interpolated limit flags with
    probability :math:`F(r-1) \\le \\alpha/2` for the lower quantile's :math:`r`; the exact-test
    limit likewise at most :math:`\\alpha/2` (Manktelow & Seaton 2012 compare such schemes).

    References
    ----------
    .. [1] Spiegelhalter DJ. Funnel plots for comparing institutional performance.
       Statistics in Medicine 2005;24:1185-1202.
    .. [2] Spiegelhalter DJ et al. Statistical methods for healthcare regulation: rating,
       screening and surveillance. JRSS A 2012;175:1-47.
    .. [3] Manktelow BN, Seaton SE. Specifying the probability characteristics of funnel
       plot control limits: an investigation of three approaches. PLoS ONE 2012;7:e45723.
    .. [4] Public Health England. PHEindicatormethods (R package), ``calculate_funnel_limits``
       and ``assign_funnel_significance``.
    """
    choice("method", method, FUNNEL_METHODS)
    name = FUNNEL_ALIASES.get(method, method)
    e = _expected(expected)
    levs = _levels(levels)
    if overdispersion is not None:
        choice("effect", effect if effect is not None else "<missing>", EFFECTS)
        if name not in _SCALE_OF_METHOD or _SCALE_OF_METHOD[name] != overdispersion.scale:
            want = {"ratio": "normal", "sqrt": "sqrt", "log": "log"}[overdispersion.scale]
            raise ValueError(
                f"overdispersion was estimated on the {overdispersion.scale!r} scale: "
                f"widened limits use the normal approximation there, method={want!r}"
            )
    elif effect is not None:
        raise ValueError("effect is only meaningful with an overdispersion estimate")

    lowers, uppers = [], []
    for level in levs:
        a = 1 - level
        if name == "interpolated":
            lo = np.maximum(interpolated_poisson_quantile(a / 2, e), 0.0)
            hi = np.maximum(interpolated_poisson_quantile(1 - a / 2, e), 0.0)
        elif name == "exact_test":
            lo, hi = exact_test_limits(e, level)
        else:
            z = float(special.ndtri(1 - a / 2))
            s2 = 1 / (4 * e) if name == "sqrt" else 1 / e
            if overdispersion is None:
                v = s2
            elif effect == "multiplicative":
                v = max(overdispersion.phi, 1.0) * s2
            else:
                v = s2 + overdispersion.tau2
            half = z * np.sqrt(v)
            if name == "normal":
                rlo, rhi = np.maximum(1 - half, 0.0), 1 + half
            elif name == "sqrt":
                rlo, rhi = np.maximum(1 - half, 0.0) ** 2, (1 + half) ** 2
            else:
                rlo, rhi = np.exp(-half), np.exp(half)
            lo, hi = rlo * e, rhi * e
        lowers.append(np.asarray(lo, dtype=float))
        uppers.append(np.asarray(hi, dtype=float))
    return FunnelLimits(
        expected=e,
        levels=levs,
        method=name,
        lower=np.stack(lowers),
        upper=np.stack(uppers),
        overdispersion=overdispersion,
        effect=effect,
    )
