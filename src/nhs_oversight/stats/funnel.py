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

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from scipy import stats

from ._checks import choice, nonneg

__all__ = [
    "CORRECTIONS",
    "DEFAULT_LEVELS",
    "EFFECTS",
    "FUNNEL_METHODS",
    "OVERDISPERSION_METHODS",
    "OVERDISPERSION_TESTS",
    "SCALES",
    "FunnelLimits",
    "Overdispersion",
    "funnel_limits",
    "interpolated_poisson_quantile",
    "overdispersion",
    "zscores",
]

DEFAULT_LEVELS = (0.95, 0.998)
FUNNEL_METHODS = ("exact", "normal", "sqrt")
SCALES = ("ratio", "sqrt")
OVERDISPERSION_METHODS = ("winsorised", "truncated")
OVERDISPERSION_TESTS = ("chi2", "2se")
CORRECTIONS = ("none", "normal")
EFFECTS = ("multiplicative", "additive")

#: The z-score scale that each normal-approximation funnel method shares.
_SCALE_OF_METHOD = {"normal": "ratio", "sqrt": "sqrt"}


def _expected(expected: ArrayLike) -> NDArray[np.float64]:
    e = np.asarray(expected, dtype=float)
    if not np.all(np.isfinite(e)) or np.any(e <= 0):
        raise ValueError("expected counts must be finite and strictly positive")
    return e


def _levels(levels: float | Sequence[float]) -> tuple[float, ...]:
    out = tuple(float(v) for v in np.atleast_1d(levels))
    if not out or any(not 0 < v < 1 for v in out):
        raise ValueError(f"levels={levels!r}: each must lie strictly between 0 and 1 (0.95, 0.998)")
    return out


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
        clips control limits at 0).

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
    p = np.asarray(p, dtype=float)
    if np.any((p <= 0) | (p >= 1)):
        raise ValueError("p must lie strictly between 0 and 1")
    mu = nonneg(mu, "mu")
    r = stats.poisson.ppf(p, mu)
    alpha = (stats.poisson.cdf(r, mu) - p) / stats.poisson.pmf(r, mu)
    return np.asarray(r - alpha, dtype=float)


def zscores(
    observed: ArrayLike,
    expected: ArrayLike,
    scale: Literal["ratio", "sqrt"] = "ratio",
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Z-scores of observed against expected counts, and their standard errors.

    Parameters
    ----------
    observed : array_like of float
        Observed cases [cases], non-negative.
    expected : array_like of float
        Expected cases [cases], strictly positive.
    scale : {"ratio", "sqrt"}
        ``"ratio"``: the ratio :math:`Y = O/E` with Poisson variance :math:`1/E`
        (Spiegelhalter 2005, Table I, indirectly standardised ratio). ``"sqrt"``: the
        variance-stabilised :math:`\\sqrt{O/E}` with variance :math:`1/(4E)` (Spiegelhalter
        et al. 2012; the CQC method).

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
    """
    choice("scale", scale, SCALES)
    o = nonneg(observed, "observed")
    e = _expected(expected)
    if scale == "ratio":
        s = 1 / np.sqrt(e)
        return (o - e) / np.sqrt(e), np.broadcast_to(s, np.broadcast_shapes(o.shape, e.shape)).copy()
    s = 1 / (2 * np.sqrt(e))
    return 2 * (np.sqrt(o) - np.sqrt(e)), np.broadcast_to(s, np.broadcast_shapes(o.shape, e.shape)).copy()


@dataclass(frozen=True, eq=False)
class Overdispersion:
    """An overdispersion estimate (see :func:`overdispersion`).

    Attributes
    ----------
    method : str
        ``"winsorised"`` or ``"truncated"``.
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
    phi_lo, phi_hi = stats.norm.pdf([lo, hi])
    cdf_lo, cdf_hi = stats.norm.cdf([lo, hi])
    lo_term = lo * phi_lo if np.isfinite(lo) else 0.0
    hi_term = hi * phi_hi if np.isfinite(hi) else 0.0
    inside = (cdf_hi - hi_term) - (cdf_lo - lo_term)  # integral of z² φ(z) over [lo, hi]
    if method == "truncated":
        return float(inside / (cdf_hi - cdf_lo))
    tails = (lo**2 * cdf_lo if np.isfinite(lo) else 0.0) + (hi**2 * stats.norm.sf(hi) if np.isfinite(hi) else 0.0)
    return float(inside + tails)


def overdispersion(
    observed: ArrayLike,
    expected: ArrayLike,
    method: Literal["winsorised", "truncated"] = "winsorised",
    limit: float | tuple[float, float] = 0.1,
    scale: Literal["ratio", "sqrt"] = "ratio",
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
    method : {"winsorised", "truncated"}
        ``"winsorised"``: z-scores beyond the limits are set to the limits (Spiegelhalter
        2005; Spiegelhalter et al. 2012; the CQC practice). ``"truncated"``:
        organisations beyond the limits are left out (the SHMI practice).
    limit : float or (float, float)
        A fraction ``q`` in (0, 0.5): the limits are the ``q`` and ``1 - q`` quantiles of
        the z-scores (0.1: Winsorise at the 10% and 90% points). Or a pair of fixed
        z-limits ``(lower, upper)``, e.g. ``(-3, 3)``; ``(-inf, inf)`` gives the plain,
        unadjusted estimate.
    scale : {"ratio", "sqrt"}
        Z-score scale, see :func:`zscores`. Funnel limits widened with this estimate must
        use the same scale (``method="normal"`` for ``"ratio"``, ``"sqrt"`` for ``"sqrt"``).
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
        lo, hi = (float(v) for v in np.quantile(z, [q, 1 - q]))
        limit_used = q
        null_lo, null_hi = (float(v) for v in stats.norm.ppf([q, 1 - q]))

    if method == "winsorised":
        used = np.ones(z.shape, dtype=bool)
        zz = np.clip(z, lo, hi)
    else:
        used = (z >= lo) & (z <= hi)
        zz = z[used]
    n = int(zz.size)
    if n < 2:
        raise ValueError("fewer than two organisations left after truncation")
    kappa = 1.0 if correction == "none" else _null_mean_square(method, null_lo, null_hi)
    phi = float(np.mean(zz**2)) / kappa
    w = 1 / s[used] ** 2
    tau2 = max(0.0, (n * phi - (n - 1)) / (w.sum() - (w**2).sum() / w.sum()))
    statistic = n * phi
    p_value = float(stats.chi2.sf(statistic, n))
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
        ``"exact"``, ``"normal"`` or ``"sqrt"``.
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
        exactly on a limit is inside.
        """
        lo, hi = self.at(level)
        o = np.asarray(observed, dtype=float)
        return (np.where(o > hi, 1, 0) - np.where(o < lo, 1, 0)).astype(np.int8)

    def to_frame(self) -> pd.DataFrame:
        """Long table: expected, level, lower, upper, ratio_lower, ratio_upper."""
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
        return pd.concat(rows, ignore_index=True)

    def _index(self, level: float) -> int:
        for i, v in enumerate(self.levels):
            if np.isclose(v, level, rtol=0, atol=1e-12):
                return i
        raise KeyError(f"level {level!r} not among {self.levels}")


def funnel_limits(
    expected: ArrayLike,
    levels: float | Sequence[float] = DEFAULT_LEVELS,
    method: Literal["exact", "normal", "sqrt"] = "exact",
    overdispersion: Overdispersion | None = None,
    effect: Literal["multiplicative", "additive"] | None = None,
) -> FunnelLimits:
    """Funnel plot control limits for an observed count whose mean is its expected count.

    Parameters
    ----------
    expected : array_like of float
        Expected cases [cases], strictly positive: the x-axis of the funnel.
    levels : float or sequence of float
        Two-sided levels: 0.95 (about 2 standard deviations) and 0.998 (about 3).
    method : {"exact", "normal", "sqrt"}
        ``"exact"``: Poisson quantiles interpolated as Spiegelhalter (2005) does (see
        :func:`interpolated_poisson_quantile`). ``"normal"``: normal approximation on the
        ratio scale. ``"sqrt"``: normal approximation on the square-root scale.
    overdispersion : Overdispersion, optional
        Widen the limits by this estimate. Its scale must match ``method`` (``"ratio"`` with
        ``"normal"``, ``"sqrt"`` with ``"sqrt"``): overdispersed limits are normal
        approximations, so ``method="exact"`` is refused with an estimate.
    effect : {"multiplicative", "additive"}
        Required with ``overdispersion``: widen by :math:`\\varphi` or by :math:`\\tau^2`.

    Returns
    -------
    FunnelLimits
        Count limits (and, through properties, ratio limits) at each level.

    Notes
    -----
    For a level :math:`1-\\alpha`: :math:`p_- = \\alpha/2`, :math:`p_+ = 1-\\alpha/2`,
    :math:`z = \\Phi^{-1}(p_+)`, and :math:`s^2 = 1/E` (ratio) or :math:`1/(4E)` (sqrt).

    - exact: count limits :math:`y_{p_-}` and :math:`y_{p_+}` of Poisson(:math:`E`),
      interpolated; the lower limit is clipped at 0.
    - normal: ratio limits :math:`1 \\pm z\\sqrt{v}`; sqrt: :math:`(1 \\pm z\\sqrt{v})^2`
      (lower taken as 0 where :math:`1 - z\\sqrt{v} < 0`); count limits are ratio limits
      times :math:`E`. :math:`v = s^2` without overdispersion, :math:`\\max(\\varphi, 1)\\, s^2`
      multiplicative (limits are never narrowed), :math:`s^2 + \\tau^2` additive
      (Spiegelhalter 2005; Spiegelhalter et al. 2012).

    Widening is applied whenever an estimate is passed; pass one only when its
    :attr:`Overdispersion.significant` is true if that is the policy.

    The exact limits' false-alarm rate is not exactly :math:`\\alpha/2` on each side, since
    counts are whole: for the upper limit :math:`y_{p_+} \\in (r-1, r]`, a count is above it
    with probability :math:`1 - F(r-1)` (at least :math:`\\alpha/2`, more by at most
    :math:`P(X = r)`), and below the lower limit with probability :math:`F(r-1) \\le \\alpha/2`
    for the lower quantile's :math:`r` (Manktelow & Seaton 2012 compare such schemes).

    References
    ----------
    .. [1] Spiegelhalter DJ. Funnel plots for comparing institutional performance.
       Statistics in Medicine 2005;24:1185-1202.
    .. [2] Spiegelhalter DJ et al. Statistical methods for healthcare regulation: rating,
       screening and surveillance. JRSS A 2012;175:1-47.
    .. [3] Manktelow BN, Seaton SE. Specifying the probability characteristics of funnel
       plot control limits: an investigation of three approaches. PLoS ONE 2012;7:e45723.
    """
    choice("method", method, FUNNEL_METHODS)
    e = _expected(expected)
    levs = _levels(levels)
    if overdispersion is not None:
        choice("effect", effect if effect is not None else "<missing>", EFFECTS)
        if method == "exact" or _SCALE_OF_METHOD[method] != overdispersion.scale:
            want = "normal" if overdispersion.scale == "ratio" else "sqrt"
            raise ValueError(
                f"overdispersion was estimated on the {overdispersion.scale!r} scale: "
                f"widened limits use the normal approximation there, method={want!r}"
            )
    elif effect is not None:
        raise ValueError("effect is only meaningful with an overdispersion estimate")

    lowers, uppers = [], []
    for level in levs:
        a = 1 - level
        if method == "exact":
            lo = np.maximum(interpolated_poisson_quantile(a / 2, e), 0.0)
            hi = interpolated_poisson_quantile(1 - a / 2, e)
        else:
            z = stats.norm.ppf(1 - a / 2)
            s2 = 1 / e if method == "normal" else 1 / (4 * e)
            if overdispersion is None:
                v = s2
            elif effect == "multiplicative":
                v = max(overdispersion.phi, 1.0) * s2
            else:
                v = s2 + overdispersion.tau2
            half = z * np.sqrt(v)
            if method == "normal":
                rlo, rhi = np.maximum(1 - half, 0.0), 1 + half
            else:
                rlo, rhi = np.maximum(1 - half, 0.0) ** 2, (1 + half) ** 2
            lo, hi = rlo * e, rhi * e
        lowers.append(np.asarray(lo, dtype=float))
        uppers.append(np.asarray(hi, dtype=float))
    return FunnelLimits(
        expected=e,
        levels=levs,
        method=method,
        lower=np.stack(lowers),
        upper=np.stack(uppers),
        overdispersion=overdispersion,
        effect=effect,
    )
