"""Monte Carlo cross-checks for the exact chance functions (tests only).

The exact functions in ``nhs_oversight.stats.chance`` are checked against simulation with a
seeded :class:`numpy.random.Generator`. An estimate p̂ from ``n`` independent draws has
binomial standard error sqrt(p(1-p)/n); :func:`assert_agrees` accepts a difference of up to
``K_SE = 4`` standard errors. For one comparison the chance that a correct exact value falls
outside that band is about 6e-5 (normal approximation), so across the few dozen comparisons
in the suite a false failure has probability well under 1%, and with fixed seeds the outcome
is reproducible. A wrong formula (an off-by-one at a boundary moves a probability by a whole
P(X = k), typically 0.05-0.15 here) is many standard errors away.
"""

from __future__ import annotations

import numpy as np

K_SE = 4.0


def simulate_ytd(mu_quarters, n_sims: int, seed: int) -> np.ndarray:
    """Year-to-date Poisson counts, shape (n_sims,) + mu_quarters.shape."""
    rng = np.random.default_rng(seed)
    mu = np.asarray(mu_quarters, dtype=float)
    return np.cumsum(rng.poisson(mu, size=(n_sims,) + mu.shape), axis=-1)


def has_run(fails: np.ndarray, run: int) -> np.ndarray:
    """Whether each row (quarters on the last axis) has ``run`` consecutive True values."""
    length = np.zeros(fails.shape[:-1], dtype=int)
    seen = np.zeros(fails.shape[:-1], dtype=bool)
    for q in range(fails.shape[-1]):
        length = np.where(fails[..., q], length + 1, 0)
        seen |= length >= run
    return seen


def assert_agrees(exact, hits: np.ndarray, n_sims: int) -> None:
    """Exact probabilities agree with simulated frequencies within K_SE standard errors."""
    exact = np.asarray(exact, dtype=float)
    freq = np.asarray(hits, dtype=float).mean(axis=0)
    se = np.sqrt(exact * (1 - exact) / n_sims)
    # where exact is 0 or 1 the simulation must match it exactly
    ok = np.abs(freq - exact) <= K_SE * se + 1e-12
    assert np.all(ok), f"exact {exact[~ok]} vs simulated {freq[~ok]} (se {se[~ok]})"
