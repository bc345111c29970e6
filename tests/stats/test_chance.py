"""Chance of breach if exactly on target: exact results, boundaries, and Monte Carlo checks."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from nhs_oversight.stats import (
    breach_count,
    p_breach_with_de_minimis,
    p_consecutive_ytd_breaches,
    p_exceed,
    p_repeat,
    p_ytd_breach,
    size_bands,
)

from .simulation import assert_agrees, has_run, simulate_ytd

N_SIMS = 200_000


# --- boundaries, with R values -----------------------------------------------------------------


def test_integer_threshold_excludes_itself():
    # ppois(12, 12, lower.tail = FALSE) -> 0.424034751426935  (P(X > 12), 12 itself excluded)
    assert p_exceed(12, 12) == pytest.approx(0.424034751426935, rel=1e-9)
    assert p_exceed(12, 12) == pytest.approx(1 - sum(stats.poisson.pmf(k, 12) for k in range(13)), rel=1e-9)
    assert p_exceed(12, 11.999) - p_exceed(12, 12) == pytest.approx(stats.poisson.pmf(12, 12))


def test_fractional_threshold_is_the_next_whole_count():
    # a year-to-date trajectory of 77/4 = 19.25 cases: breach at 20 or more
    # ppois(19, 19.25, lower.tail = FALSE) -> 0.462160991856841
    assert p_exceed(19.25, 19.25) == pytest.approx(0.462160991856841, rel=1e-9)
    assert p_exceed(19.25, 19.25) == p_exceed(19.25, 19) == p_exceed(19.25, 19.999)
    assert p_exceed(19.25, 19.25) > p_exceed(19.25, 20)


def test_zero_objective_and_zero_mean():
    # 1 - exp(-3) -> 0.950212931632136
    assert p_exceed(3, 0) == pytest.approx(0.950212931632136, rel=1e-12)
    mu = np.array([0.01, 0.5, 2.0, 7.0])
    np.testing.assert_allclose(p_exceed(mu, 0), -np.expm1(-mu), rtol=1e-12)
    assert p_exceed(0, 0) == 0.0 and p_exceed(0, 5) == 0.0
    assert p_exceed(0, -1) == 1.0 and p_exceed(4, -0.5) == 1.0
    assert p_exceed(4, np.inf) == 0.0


def test_de_minimis_of_twelve_inclusive_and_not():
    # objective 5, true mean 8, de minimis 12:
    # ppois(11, 8, lower.tail = FALSE) -> 0.111924001018519   inclusive: X >= 12
    # ppois(12, 8, lower.tail = FALSE) -> 0.0637971967365619  not inclusive: X > 12
    # ppois(5, 8, lower.tail = FALSE)  -> 0.808763937920375   no de minimis: X > 5
    assert p_breach_with_de_minimis(8, 5, 12, inclusive=True) == pytest.approx(0.111924001018519, rel=1e-9)
    assert p_breach_with_de_minimis(8, 5, 12, inclusive=False) == pytest.approx(0.0637971967365619, rel=1e-9)
    assert p_breach_with_de_minimis(8, 5, None) == pytest.approx(0.808763937920375, rel=1e-9)
    assert p_breach_with_de_minimis(8, 5, 0) == p_breach_with_de_minimis(8, 5, None)
    assert p_breach_with_de_minimis(8, 5, 0, inclusive=False) == p_breach_with_de_minimis(8, 5, None)
    # at and above the de minimis the objective decides
    assert p_breach_with_de_minimis(8, 11, 12) == p_exceed(8, 11)  # X > 11 is X >= 12
    assert p_breach_with_de_minimis(8, 12, 12) == p_exceed(8, 12)  # X > 12 already reaches 12
    assert p_breach_with_de_minimis(8, 20, 12, inclusive=False) == p_exceed(8, 20)


def test_breach_count():
    np.testing.assert_array_equal(breach_count([5, 19.25, 0, 12, -1]), [6, 20, 1, 13, 0])
    np.testing.assert_array_equal(breach_count([5, 5, 5, 30], [12, 0, 11.5, 12]), [12, 6, 12, 31])
    np.testing.assert_array_equal(breach_count([5, 5], [12, 11.5], inclusive=False), [13, 12])


def test_arrays_of_de_minimis_with_zeros_for_none():
    mu = np.array([4.0, 8.0, 40.0])
    got = p_breach_with_de_minimis(mu, [3, 5, 30], [12, 0, 12])
    want = [p_exceed(4, 11), p_exceed(8, 5), p_exceed(40, 30)]
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_bad_inputs_are_refused():
    for call in (
        lambda: p_exceed(-1, 3),
        lambda: p_exceed(np.nan, 3),
        lambda: p_exceed(2, np.nan),
        lambda: p_breach_with_de_minimis(2, 3, -12),
        lambda: p_repeat([0.2, 1.2, 0.3]),
        lambda: p_repeat(0.3),
        lambda: p_repeat([0.2, 0.3, 0.4], run=0),
        lambda: size_bands([1, 2], edges=[5, 5]),
    ):
        with pytest.raises(ValueError):
            call()


def test_exceed_and_de_minimis_agree_with_simulation():
    rng = np.random.default_rng(2012)
    mu = np.array([0.4, 3.0, 8.0, 12.0, 19.25, 60.0])
    x = rng.poisson(mu, size=(N_SIMS, mu.size))
    for threshold in (0, 5, 12, 19.25):
        assert_agrees(p_exceed(mu, threshold), x > threshold, N_SIMS)
        assert_agrees(p_breach_with_de_minimis(mu, threshold, 12), (x > threshold) & (x >= 12), N_SIMS)
        assert_agrees(p_breach_with_de_minimis(mu, threshold, 12, inclusive=False), (x > threshold) & (x > 12), N_SIMS)


# --- the seeds' complaint, answered -------------------------------------------------------------


def test_a_de_minimis_of_twelve_helps_only_organisations_with_small_objectives():
    # Each organisation exactly on target (mean = annual objective): without a de minimis every
    # one has a sizeable chance of breaching by chance alone; a de minimis of 12 removes nearly
    # all of it for an objective of 4 and none of it for objectives of 12 or more.
    objectives = np.array([4.0, 8.0, 12.0, 20.0, 60.0, 120.0])
    without = p_exceed(objectives, objectives)
    with_dm = p_breach_with_de_minimis(objectives, objectives, 12)
    assert np.all(without > 0.35)  # 0.37 at 4, rising towards 0.5 for large objectives
    # ppois(11, 4, lower.tail = FALSE) -> 0.000915229147270063
    assert with_dm[0] == pytest.approx(0.000915229147270063, rel=1e-9)
    assert with_dm[0] / without[0] < 0.01
    np.testing.assert_array_equal(with_dm[2:], without[2:])


# --- repeats -------------------------------------------------------------------------------------


def test_p_repeat_closed_forms():
    p = np.array([0.3, 0.5, 0.6, 0.45])
    assert p_repeat(p[:3]) == pytest.approx(0.3 * 0.5 * 0.6)
    # two overlapping windows: P(A) + P(B) - P(A and B)
    want = p[0] * p[1] * p[2] + p[1] * p[2] * p[3] - p.prod()
    assert p_repeat(p) == pytest.approx(want)
    assert p_repeat(p, run=1) == pytest.approx(1 - np.prod(1 - p))
    assert p_repeat(p[:2]) == 0.0
    batch = p_repeat(np.tile(p, (5, 2, 1)))
    assert batch.shape == (5, 2)
    np.testing.assert_allclose(batch, want)


def test_p_repeat_agrees_with_simulated_independent_quarters():
    rng = np.random.default_rng(1303)
    p = np.array([[0.2, 0.7, 0.5, 0.9, 0.6, 0.4, 0.8, 0.3], [0.5] * 8, [0.05, 0.9, 0.9, 0.9, 0.1, 0.2, 0.3, 0.4]])
    fails = rng.random((N_SIMS,) + p.shape) < p
    assert_agrees(p_repeat(p), has_run(fails, 3), N_SIMS)


# --- year to date --------------------------------------------------------------------------------

# annual objectives of organisations exactly on target, with Monitor's default trajectory
OBJECTIVES = np.array([0.0, 2.0, 6.0, 11.0, 12.0, 20.0, 77.0, 150.0])


def _on_target(objectives):
    mu = np.repeat(objectives[:, None] / 4, 4, axis=1)
    trajectory = objectives[:, None] * np.array([0.25, 0.5, 0.75, 1.0])
    return mu, trajectory


def _zero_objective_ok(mu, objectives):
    # an objective of 0 with a true mean of 0 never breaches: give it a small true mean instead
    return np.where(objectives[:, None] == 0, 0.5, mu)


@pytest.mark.parametrize("de_minimis", [None, 12])
def test_ytd_breach_by_quarter_agrees_with_simulation(de_minimis):
    mu, trajectory = _on_target(OBJECTIVES)
    mu = _zero_objective_ok(mu, OBJECTIVES)
    exact = p_ytd_breach(mu, trajectory, de_minimis)
    assert exact.shape == mu.shape
    ytd = simulate_ytd(mu, N_SIMS, seed=201213)
    dm = 0 if de_minimis is None else de_minimis
    hits = (ytd > trajectory) & (ytd >= dm)
    assert_agrees(exact, hits, N_SIMS)


@pytest.mark.parametrize(("de_minimis", "inclusive"), [(None, True), (12, True), (12, False)])
def test_three_consecutive_ytd_breaches_agree_with_simulation(de_minimis, inclusive):
    mu, trajectory = _on_target(OBJECTIVES)
    mu = _zero_objective_ok(mu, OBJECTIVES)
    exact = p_consecutive_ytd_breaches(mu, trajectory, de_minimis, inclusive=inclusive, run=3)
    assert exact.shape == (OBJECTIVES.size,)
    ytd = simulate_ytd(mu, N_SIMS, seed=20130401)
    if de_minimis is None:
        reached = np.ones(ytd.shape, dtype=bool)
    else:
        reached = ytd >= de_minimis if inclusive else ytd > de_minimis
    hits = has_run((ytd > trajectory) & reached, 3)
    assert_agrees(exact, hits, N_SIMS)


def test_consecutive_ytd_breaches_with_an_agreed_trajectory_and_run_of_two():
    # annual 77 with an agreed Q2 trajectory of 36 (RULES.md section 2), uneven true means
    mu = np.array([[22.0, 17.0, 19.0, 21.0], [5.0, 1.0, 0.5, 6.0]])
    trajectory = np.array([[20.0, 36.0, 57.0, 77.0], [2.5, 5.0, 7.5, 10.0]])
    exact = p_consecutive_ytd_breaches(mu, trajectory, [[12], [6]], run=2)
    ytd = simulate_ytd(mu, N_SIMS, seed=7)
    hits = has_run((ytd > trajectory) & (ytd >= np.array([[12], [6]])), 2)
    assert_agrees(exact, hits, N_SIMS)


def test_consecutive_ytd_closed_forms():
    # Objective 0, no de minimis: a breach at quarter k is S_k >= 1, and the counts never
    # fall, so three in a row within Q1-Q4 happens exactly when S_2 >= 1.
    mu = np.array([0.3, 0.2, 0.4, 0.1])
    got = p_consecutive_ytd_breaches(mu, np.zeros(4), None, run=3)
    assert got == pytest.approx(1 - math.exp(-(0.3 + 0.2)), rel=1e-12)
    # run=1: any breach in the year; with a cumulative rule and a single threshold of 0
    # that is S_4 >= 1
    assert p_consecutive_ytd_breaches(mu, np.zeros(4), None, run=1) == pytest.approx(1 - math.exp(-1.0))
    # an unreachable de minimis: never
    assert p_consecutive_ytd_breaches(mu, np.zeros(4), 1000) == pytest.approx(0.0, abs=1e-300)


def test_independence_understates_repeats_under_a_ytd_rule():
    # Year-to-date counts carry each quarter into the next, so breaches cluster: treating the
    # quarters as independent (p_repeat of the marginals) gives too small a chance.
    mu, trajectory = _on_target(np.array([20.0, 77.0]))
    marginal = p_ytd_breach(mu, trajectory)
    exact = p_consecutive_ytd_breaches(mu, trajectory)
    assert np.all(exact > 1.5 * p_repeat(marginal))


# --- size bands and vectorisation ----------------------------------------------------------------


def test_size_bands_default_edges():
    bands = size_bands([0.0, 4.99, 5.0, 11.99, 12.0, 24.9, 25.0, 49.9, 50.0, 500.0])
    assert list(bands.categories) == ["<5", "5–12", "12–25", "25–50", "≥50"]
    assert bands.ordered
    assert list(bands) == ["<5", "<5", "5–12", "5–12", "12–25", "12–25", "25–50", "25–50", "≥50", "≥50"]


def test_size_bands_custom_edges():
    bands = size_bands([1.0, 12.0, 13.0], edges=(12,))
    assert list(bands) == ["<12", "≥12", "≥12"]


def test_hundred_thousand_organisations_in_one_call():
    rng = np.random.default_rng(99)
    mu = rng.uniform(0, 150, size=100_000)
    objective = np.round(mu * rng.uniform(0.7, 1.3, size=mu.size))
    de_minimis = np.where(rng.random(mu.size) < 0.5, 12.0, 0.0)
    p = p_breach_with_de_minimis(mu, objective, de_minimis)
    q = p_exceed(mu, objective)
    bands = size_bands(mu)
    assert p.shape == q.shape == (100_000,) and len(bands) == 100_000
    assert np.all((p >= 0) & (p <= q + 1e-15))
    np.testing.assert_array_equal(p[de_minimis == 0], q[de_minimis == 0])
    for i in rng.choice(mu.size, size=25, replace=False):
        k = max(objective[i] + 1, de_minimis[i])
        assert p[i] == pytest.approx(stats.poisson.sf(k - 1, mu[i]), rel=1e-12, abs=1e-300)
    # the per-quarter helpers vectorise over organisations too
    q_mu = np.repeat(mu[:, None] / 4, 4, axis=1)
    traj = objective[:, None] * np.array([0.25, 0.5, 0.75, 1.0])
    ytd = p_ytd_breach(q_mu, traj, de_minimis[:, None])
    assert ytd.shape == (100_000, 4)
    np.testing.assert_allclose(ytd[:, 3], p, rtol=1e-10, atol=1e-300)
