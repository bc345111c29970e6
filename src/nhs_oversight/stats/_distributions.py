"""The few ``scipy.stats`` distribution functions the package uses, without importing scipy.stats.

Importing :mod:`scipy.stats` costs about half a second of CPU and 60 MiB, most of it for
distributions the package never touches (issue 11: start-up). The functions here compute the
Poisson pmf, cdf and sf, the standard normal pdf, cdf and sf and the chi-square sf with the
same :mod:`scipy.special` calls and the same argument checks as ``scipy.stats`` 1.17
(``rv_discrete.pmf``/``cdf``/``sf``, ``rv_continuous.pdf``/``cdf``/``sf``, ``poisson_gen``,
``norm_gen``, ``chi2_gen``), so the results are bit-for-bit those of scipy.stats
(``tests/stats/test_distributions.py`` checks that on a dense grid with every edge case):

- an invalid shape parameter (:math:`\\mu < 0` or NaN for the Poisson, :math:`\\nu \\le 0` or
  NaN for the chi-square) or a NaN argument gives NaN;
- the Poisson cdf and sf floor a non-integer :math:`k`; the pmf of a non-integer :math:`k`,
  or of :math:`k < 0`, is 0;
- outside the support the cdf is 0 or 1 and the sf 1 or 0 (:math:`k = +\\infty`:
  cdf 1, sf 0).

Unlike scipy.stats, a 0-d input gives a 0-d array rather than a NumPy scalar (same value).
Arguments are converted to float64 first; scipy converts integers inside the special
functions instead, which is the same for integers below :math:`2^{53}`.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special

__all__ = ["chi2_sf", "norm_cdf", "norm_pdf", "norm_sf", "poisson_cdf", "poisson_pmf", "poisson_sf"]

#: :math:`\sqrt{2\pi}`, computed as scipy.stats computes it (``_norm_pdf_C``).
_NORM_PDF_C = np.sqrt(2 * np.pi)


def _place(shape: tuple[int, ...], bad: NDArray[np.bool_], one: NDArray[np.bool_] | None) -> NDArray[np.float64]:
    """An output of zeros with NaN where ``bad`` and 1 where ``one`` (NaN placed first, as scipy)."""
    output = np.zeros(shape, dtype=np.float64)
    output[np.broadcast_to(bad, shape)] = np.nan
    if one is not None:
        output[np.broadcast_to(one, shape)] = 1.0
    return output


def _poisson_args(k: ArrayLike, mu: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.bool_]]:
    """``k`` and ``mu`` as float arrays, and scipy's shape check :math:`\\mu \\ge 0` (False for NaN)."""
    kk = np.asarray(k, dtype=np.float64)
    mm = np.asarray(mu, dtype=np.float64)
    return kk, mm, np.asarray(mm >= 0)


def poisson_pmf(k: ArrayLike, mu: ArrayLike) -> NDArray[np.float64]:
    """Poisson probability mass function, as ``scipy.stats.poisson.pmf(k, mu)``.

    Parameters
    ----------
    k : array_like of float
        Number of cases [cases]; a non-integer or negative ``k`` has probability 0.
    mu : array_like of float
        Mean [cases], non-negative (:math:`\\mu = 0` puts all the mass on 0); broadcast with ``k``.

    Returns
    -------
    ndarray of float
        :math:`P(X = k)` [probability]: :math:`\\exp(k \\log\\mu - \\log\\Gamma(k + 1) - \\mu)`,
        clipped to [0, 1]; NaN where ``k`` is NaN or ``mu`` is negative or NaN.
    """
    kk, mm, ok = _poisson_args(k, mu)
    cond = ok & (kk >= 0) & (kk <= np.inf) & (np.floor(kk) == kk)
    output = _place(cond.shape, ~ok | np.isnan(kk), None)
    if np.any(cond):
        kc, mc = np.broadcast_to(kk, cond.shape)[cond], np.broadcast_to(mm, cond.shape)[cond]
        output[cond] = np.clip(np.exp(special.xlogy(kc, mc) - special.gammaln(kc + 1) - mc), 0, 1)
    return output


def poisson_cdf(k: ArrayLike, mu: ArrayLike) -> NDArray[np.float64]:
    """Poisson cumulative distribution function, as ``scipy.stats.poisson.cdf(k, mu)``.

    Parameters
    ----------
    k : array_like of float
        Number of cases [cases]; floored (:math:`P(X \\le 2.5) = P(X \\le 2)`).
    mu : array_like of float
        Mean [cases], non-negative; broadcast with ``k``.

    Returns
    -------
    ndarray of float
        :math:`P(X \\le \\lfloor k \\rfloor)` [probability] (``scipy.special.pdtr``, clipped to
        [0, 1]): 0 for :math:`k < 0`, 1 for :math:`k = +\\infty`; NaN where ``k`` is NaN or ``mu``
        is negative or NaN.
    """
    kk, mm, ok = _poisson_args(k, mu)
    cond = ok & (kk >= 0) & (kk < np.inf) & np.isfinite(kk)
    shape = cond.shape
    output = np.zeros(shape, dtype=np.float64)
    output[np.broadcast_to(kk >= np.inf, shape)] = 1.0
    output[np.broadcast_to(~ok | np.isnan(kk), shape)] = np.nan
    if np.any(cond):
        kc, mc = np.broadcast_to(kk, shape)[cond], np.broadcast_to(mm, shape)[cond]
        output[cond] = np.clip(special.pdtr(np.floor(kc), mc), 0, 1)
    return output


def poisson_sf(k: ArrayLike, mu: ArrayLike) -> NDArray[np.float64]:
    """Poisson survival function, as ``scipy.stats.poisson.sf(k, mu)``.

    Parameters
    ----------
    k : array_like of float
        Number of cases [cases]; floored (:math:`P(X > 2.5) = P(X > 2)`).
    mu : array_like of float
        Mean [cases], non-negative; broadcast with ``k``.

    Returns
    -------
    ndarray of float
        :math:`P(X > \\lfloor k \\rfloor)` [probability] (``scipy.special.pdtrc``, clipped to
        [0, 1]): 1 for :math:`k < 0`, 0 for :math:`k = +\\infty`; NaN where ``k`` is NaN or ``mu``
        is negative or NaN.
    """
    kk, mm, ok = _poisson_args(k, mu)
    cond = ok & (kk >= 0) & (kk < np.inf) & np.isfinite(kk)
    output = _place(cond.shape, ~ok | np.isnan(kk), ok & ((kk < 0) | np.isneginf(kk)))
    if np.any(cond):
        kc, mc = np.broadcast_to(kk, cond.shape)[cond], np.broadcast_to(mm, cond.shape)[cond]
        output[cond] = np.clip(special.pdtrc(np.floor(kc), mc), 0, 1)
    return output


def norm_pdf(x: ArrayLike) -> NDArray[np.float64]:
    """Standard normal density, as ``scipy.stats.norm.pdf(x)``.

    Parameters
    ----------
    x : array_like of float
        [standard deviations].

    Returns
    -------
    ndarray of float
        :math:`\\exp(-x^2/2)/\\sqrt{2\\pi}` [per standard deviation]; 0 at :math:`\\pm\\infty`, NaN
        at NaN.
    """
    xx = np.asarray(x, dtype=np.float64)
    cond = (-np.inf <= xx) & (xx <= np.inf)
    output = _place(xx.shape, np.isnan(xx), None)
    if np.any(cond):
        output[cond] = np.exp(-(xx[cond] ** 2) / 2.0) / _NORM_PDF_C
    return output


def norm_cdf(x: ArrayLike) -> NDArray[np.float64]:
    """Standard normal distribution function, as ``scipy.stats.norm.cdf(x)``.

    Parameters
    ----------
    x : array_like of float
        [standard deviations].

    Returns
    -------
    ndarray of float
        :math:`\\Phi(x)` [probability] (``scipy.special.ndtr``); NaN at NaN.
    """
    xx = np.asarray(x, dtype=np.float64)
    cond = (-np.inf < xx) & (xx < np.inf)
    output = _place(xx.shape, np.isnan(xx), xx >= np.inf)
    if np.any(cond):
        output[cond] = special.ndtr(xx[cond])
    return output


def norm_sf(x: ArrayLike) -> NDArray[np.float64]:
    """Standard normal survival function, as ``scipy.stats.norm.sf(x)``.

    Parameters
    ----------
    x : array_like of float
        [standard deviations].

    Returns
    -------
    ndarray of float
        :math:`1 - \\Phi(x) = \\Phi(-x)` [probability] (``scipy.special.ndtr(-x)``); NaN at NaN.
    """
    xx = np.asarray(x, dtype=np.float64)
    cond = (-np.inf < xx) & (xx < np.inf)
    output = _place(xx.shape, np.isnan(xx), xx <= -np.inf)
    if np.any(cond):
        output[cond] = special.ndtr(-xx[cond])
    return output


def chi2_sf(x: ArrayLike, df: ArrayLike) -> NDArray[np.float64]:
    """Chi-square survival function, as ``scipy.stats.chi2.sf(x, df)``.

    Parameters
    ----------
    x : array_like of float
        Statistic [unitless].
    df : array_like of float
        Degrees of freedom, strictly positive; broadcast with ``x``.

    Returns
    -------
    ndarray of float
        :math:`P(\\chi^2_\\nu > x)` [probability] (``scipy.special.chdtrc``): 1 for
        :math:`x \\le 0`, 0 for :math:`x = +\\infty`; NaN where ``x`` is NaN or ``df`` is not
        positive or NaN.
    """
    xx = np.asarray(x, dtype=np.float64)
    nu = np.asarray(df, dtype=np.float64)
    ok = np.asarray(nu > 0)
    cond = ok & (0 < xx) & (xx < np.inf)
    output = _place(cond.shape, ~ok | np.isnan(xx), ok & (xx <= 0))
    if np.any(cond):
        xc, nc = np.broadcast_to(xx, cond.shape)[cond], np.broadcast_to(nu, cond.shape)[cond]
        output[cond] = special.chdtrc(nc, xc)
    return output
