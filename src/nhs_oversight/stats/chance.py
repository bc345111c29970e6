"""Chance, not performance: how likely is a breach if an organisation is exactly on target?

The seeds' complaint is that with few cases "it might not take more than two to three
cases to pull the rate", and that Monitor's de minimis of 12 C. difficile cases is "a get out
of jail free card" for small trusts but no help to large ones. These functions answer it with
numbers: for an organisation whose true mean equals its objective (or trajectory), the
probability that random (Poisson) variation alone breaches the objective, reaches the de
minimis, and repeats in consecutive quarters.

Counts are modelled as Poisson with the given mean; every function is vectorised over
organisations and exact (no simulation).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from ._checks import nonneg, out
from ._distributions import poisson_pmf, poisson_sf

__all__ = [
    "DEFAULT_SIZE_EDGES",
    "breach_count",
    "p_breach_with_de_minimis",
    "p_consecutive_ytd_breaches",
    "p_exceed",
    "p_repeat",
    "p_ytd_breach",
    "size_bands",
]

#: Edges of the default size bands [expected cases]: <5, 5–12, 12–25, 25–50, ≥50. The edge at
#: 12 is the C. difficile de minimis: below it the de minimis decides, above it the objective.
DEFAULT_SIZE_EDGES = (5.0, 12.0, 25.0, 50.0)


def _threshold(threshold: ArrayLike) -> NDArray[np.float64]:
    t = np.asarray(threshold, dtype=float)
    if np.any(np.isnan(t)):
        raise ValueError("threshold must not be NaN")
    return t


def breach_count(
    threshold: ArrayLike,
    de_minimis: ArrayLike | None = None,
    inclusive: bool = True,
) -> NDArray[np.float64]:
    """The smallest whole number of cases that breaches.

    Parameters
    ----------
    threshold : array_like of float
        Objective or year-to-date trajectory [cases]; a breach needs cases above it. May be
        fractional (a trajectory of 19.25) or infinite.
    de_minimis : array_like of float, optional
        Minimum cases before a breach counts [cases]. ``None`` or 0: no de minimis.
    inclusive : bool
        ``True``: reaching the de minimis is enough (12 cases reach a de minimis of 12).
        ``False``: cases must exceed it.

    Returns
    -------
    k : ndarray of float
        [cases]; a breach is :math:`X \\ge k`.

    Notes
    -----
    :math:`X > t \\iff X \\ge \\lfloor t \\rfloor + 1`; :math:`X \\ge d \\iff X \\ge \\lceil d \\rceil`;
    :math:`X > d \\iff X \\ge \\lfloor d \\rfloor + 1`. So
    :math:`k = \\max(\\lfloor t \\rfloor + 1,\\ \\lceil d \\rceil)` (inclusive) or
    :math:`\\max(\\lfloor t \\rfloor + 1,\\ \\lfloor d \\rfloor + 1)`, and :math:`k = \\lfloor t \\rfloor + 1`
    where :math:`d` is 0 or absent.
    """
    k = np.floor(_threshold(threshold)) + 1
    if de_minimis is None:
        return k
    d = nonneg(de_minimis, "de_minimis")
    kd = np.ceil(d) if inclusive else np.floor(d) + 1
    return np.where(d > 0, np.maximum(k, kd), k)


def p_exceed(mu: ArrayLike, threshold: ArrayLike) -> NDArray[np.float64]:
    """P(X > threshold) for X ~ Poisson(mu).

    Parameters
    ----------
    mu : array_like of float
        True mean [cases], non-negative; e.g. the objective itself ("exactly on target").
    threshold : array_like of float
        [cases]; fractional thresholds allowed: P(X > 19.25) = P(X ≥ 20).

    Returns
    -------
    p : ndarray of float
        [probability].

    Notes
    -----
    :math:`P(X > t) = 1 - F(\\lfloor t \\rfloor;\\ \\mu)`, computed as the survival function
    (``scipy.special.pdtrc``) for accuracy in the far tail. With an objective of 0,
    :math:`P(X > 0) = 1 - e^{-\\mu}`; with :math:`\\mu = 0` every probability is 0.
    """
    m = nonneg(mu, "mu")
    return out(np.asarray(poisson_sf(np.floor(_threshold(threshold)), m), dtype=float))


def p_breach_with_de_minimis(
    mu: ArrayLike,
    threshold: ArrayLike,
    de_minimis: ArrayLike | None,
    inclusive: bool = True,
) -> NDArray[np.float64]:
    """P(X > threshold and X reaches the de minimis) for X ~ Poisson(mu).

    Parameters
    ----------
    mu : array_like of float
        True mean [cases].
    threshold : array_like of float
        Objective or year-to-date trajectory [cases].
    de_minimis : array_like of float or None
        [cases]; ``None`` or 0 means no de minimis (Monitor 2012-13: 12 for C. difficile).
    inclusive : bool
        ``True`` (the product's reading of Monitor's "a minimum of 12 cases"):
        :math:`X \\ge d`. ``False``: :math:`X > d`.

    Returns
    -------
    p : ndarray of float
        [probability].

    Notes
    -----
    :math:`P(X \\ge k) = 1 - F(k - 1;\\ \\mu)` with :math:`k` from :func:`breach_count`.
    """
    m = nonneg(mu, "mu")
    k = breach_count(threshold, de_minimis, inclusive)
    return out(np.asarray(poisson_sf(k - 1, m), dtype=float))


def p_repeat(p_quarters: ArrayLike, run: int = 3) -> NDArray[np.float64]:
    """Probability of at least ``run`` consecutive failures, assuming independent quarters.

    Parameters
    ----------
    p_quarters : array_like of float
        Per-quarter failure probabilities, quarters along the last axis, in time order
        [probability].
    run : int
        Consecutive failures that count as a repeat (3: Monitor's third consecutive quarter).

    Returns
    -------
    p : ndarray of float
        [probability], shape of ``p_quarters`` without its last axis.

    Notes
    -----
    **Assumption: the quarters fail independently.** That holds for counts of separate
    quarters compared with separate quarterly objectives. It does **not** hold for
    year-to-date rules, where each quarter's count includes the earlier ones: use
    :func:`p_consecutive_ytd_breaches` there.

    A Markov chain on the current run length :math:`r \\in \\{0, \\dots, \\text{run}-1\\}`:
    a failure (probability :math:`p_q`) moves :math:`r \\to r + 1` and, at :math:`r + 1 =`
    ``run``, into an absorbing "repeated" state; a pass resets :math:`r` to 0. For three
    quarters this is :math:`p_1 p_2 p_3`.
    """
    p = np.asarray(p_quarters, dtype=float)
    if p.ndim == 0 or np.any((p < 0) | (p > 1)) or np.any(np.isnan(p)):
        raise ValueError("p_quarters must be probabilities with quarters along the last axis")
    run = _run(run)
    state = np.zeros(p.shape[:-1] + (run,))
    state[..., 0] = 1.0
    done = np.zeros(p.shape[:-1])
    for q in range(p.shape[-1]):
        pq = p[..., q, None]
        fail = state * pq
        done = done + fail[..., -1]
        new = np.zeros_like(state)
        new[..., 0] = (state * (1 - pq)).sum(axis=-1)
        new[..., 1:] = fail[..., :-1]
        state = new
    return out(done)


def _run(run: int) -> int:
    if int(run) != run or run < 1:
        raise ValueError("run must be a whole number of quarters, at least 1")
    return int(run)


def p_ytd_breach(
    mu_quarters: ArrayLike,
    trajectory: ArrayLike,
    de_minimis: ArrayLike | None = None,
    inclusive: bool = True,
) -> NDArray[np.float64]:
    """Probability of a year-to-date breach in each quarter.

    Parameters
    ----------
    mu_quarters : array_like of float
        True mean cases in each quarter of the year, quarters along the last axis
        (e.g. the annual objective / 4 each) [cases].
    trajectory : array_like of float
        Year-to-date objective at the end of each quarter, cumulative, same last axis
        (default trajectory of an annual objective A: 0.25A, 0.5A, 0.75A, A) [cases].
    de_minimis : array_like of float, optional
        Year-to-date cases needed before a breach counts [cases]; ``None`` or 0 for none.
        Broadcast against the organisations (add a trailing axis for one value per org).
    inclusive : bool
        See :func:`p_breach_with_de_minimis`.

    Returns
    -------
    p : ndarray of float
        [probability], one per quarter.

    Notes
    -----
    The year-to-date count at quarter :math:`k` is Poisson with mean
    :math:`\\sum_{q \\le k} \\mu_q`; a breach is that count exceeding the trajectory and
    reaching the de minimis (Monitor Compliance Framework 2012-13).
    """
    mu = nonneg(mu_quarters, "mu_quarters")
    if mu.ndim == 0:
        raise ValueError("mu_quarters needs quarters along its last axis")
    return p_breach_with_de_minimis(np.cumsum(mu, axis=-1), trajectory, de_minimis, inclusive)


def p_consecutive_ytd_breaches(
    mu_quarters: ArrayLike,
    trajectory: ArrayLike,
    de_minimis: ArrayLike | None = None,
    inclusive: bool = True,
    run: int = 3,
) -> NDArray[np.float64]:
    """Exact probability of ``run`` consecutive year-to-date breaches within one year.

    Parameters
    ----------
    mu_quarters, trajectory, de_minimis, inclusive
        As for :func:`p_ytd_breach`.
    run : int
        Consecutive breaching quarters that count (3).

    Returns
    -------
    p : ndarray of float
        [probability], one per organisation.

    Notes
    -----
    Year-to-date counts :math:`S_k = S_{k-1} + N_k`, :math:`N_k \\sim \\text{Poisson}(\\mu_k)`
    independent, form a Markov chain, and a breach at quarter :math:`k` is
    :math:`S_k \\ge c_k` (:func:`breach_count`). The chain on (count, current run length)
    is propagated exactly. Counts are capped at :math:`C = \\max_k c_k`: a count that has
    reached :math:`C` breaches in every later quarter of the year and never falls, so the
    cap is exact, not a truncation. Breaches in the same year are positively associated
    (each is an increasing event in the quarterly counts), so for three quarters this is at
    least the product of the marginal probabilities (Harris inequality), and in practice well
    above :func:`p_repeat` of the marginals.

    Work grows as organisations × :math:`(C + 1)^2` per quarter and memory as organisations ×
    :math:`(C + 1)` × ``run``. The year-to-date count restarts each April, so runs across a
    year end are not covered.
    """
    mu = nonneg(mu_quarters, "mu_quarters")
    if mu.ndim == 0:
        raise ValueError("mu_quarters needs quarters along its last axis")
    run = _run(run)
    c = breach_count(trajectory, de_minimis, inclusive)
    mu, c = np.broadcast_arrays(mu, c)
    shape = mu.shape[:-1]
    n_q = mu.shape[-1]
    mu = mu.reshape(-1, n_q)
    c = np.maximum(c.reshape(-1, n_q), 0.0)
    finite = np.isfinite(c)
    cap = int(c[finite].max()) if finite.any() else 0
    c = np.where(finite, c, cap + 1)  # an infinite threshold is never breached
    counts = np.arange(cap + 1, dtype=float)
    state = np.zeros((mu.shape[0], cap + 1, run))  # P(count, current run length)
    state[:, 0, 0] = 1.0
    done = np.zeros(mu.shape[0])
    for q in range(n_q):
        m = mu[:, q, None]
        pmf = np.asarray(poisson_pmf(counts[None, :], m), dtype=float)  # P(N_q = d), d = 0..cap
        moved = np.zeros_like(state)
        for d in range(cap + 1):  # add d cases this quarter (a loop over counts, not organisations)
            moved[:, d:, :] += state[:, : cap + 1 - d, :] * pmf[:, d, None, None]
        # from count i, more than cap - i new cases also lands in "cap or more"
        tail = poisson_sf(cap - counts[None, :], m)
        moved[:, cap, :] += np.einsum("bir,bi->br", state, tail)
        breach = (counts[None, :] >= c[:, q, None])[..., None]
        fail = moved * breach
        done = done + fail[:, :, -1].sum(axis=1)
        new = np.zeros_like(state)
        new[:, :, 0] = (moved * ~breach).sum(axis=2)
        new[:, :, 1:] = fail[:, :, :-1]
        state = new
    return out(done.reshape(shape))


def size_bands(expected: ArrayLike, edges: Sequence[float] = DEFAULT_SIZE_EDGES) -> pd.Categorical:
    """Group organisations by expected cases.

    Parameters
    ----------
    expected : array_like of float
        Expected (or objective) cases per organisation [cases].
    edges : sequence of float
        Increasing band edges [cases]; each band includes its lower edge. The default gives
        ``<5``, ``5–12``, ``12–25``, ``25–50``, ``≥50``.

    Returns
    -------
    pandas.Categorical
        Ordered band labels, one per organisation (NaN for a NaN input).
    """
    e = np.asarray(expected, dtype=float).ravel()
    edges = [float(v) for v in edges]
    if not edges or any(b <= a for a, b in zip(edges, edges[1:])):
        raise ValueError("edges must be a non-empty increasing sequence")
    labels = [f"<{_fmt(edges[0])}"]
    labels += [f"{_fmt(a)}–{_fmt(b)}" for a, b in zip(edges, edges[1:])]
    labels += [f"≥{_fmt(edges[-1])}"]
    bins = [-np.inf, *edges, np.inf]
    return pd.cut(e, bins=bins, labels=labels, right=False, ordered=True)


def _fmt(v: float) -> str:
    return f"{v:g}"
