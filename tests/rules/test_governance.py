"""Governance risk rating: the seed's and the sources' examples, and every boundary."""

from __future__ import annotations

from decimal import Decimal

import pytest

from nhs_oversight.explain import Trace
from nhs_oversight.rulebooks import apply_what_if
from nhs_oversight.rules.governance import (
    TargetStatus,
    band,
    de_minimis_headroom,
    infection_target,
    is_downgrade,
    rate_quarter,
)


@pytest.fixture(scope="module")
def rb(library):
    return library.get("monitor-compliance-2012-13")


@pytest.fixture(scope="module")
def rb2010(library):
    return library.get("monitor-compliance-2010-11")


def failed(*targets: str) -> list[TargetStatus]:
    return [TargetStatus(t, True, f"{t}: not met") for t in targets]


@pytest.mark.parametrize(
    "score, rating",
    [
        ("0", "green"),
        ("0.5", "green"),
        ("0.99", "green"),
        ("1.0", "amber_green"),
        ("1.5", "amber_green"),
        ("1.99", "amber_green"),
        ("2.0", "amber_red"),
        ("3.5", "amber_red"),
        ("3.99", "amber_red"),
        ("4.0", "red"),
        ("9", "red"),
    ],
)
def test_bands_at_and_around_every_edge(rb, score: str, rating: str) -> None:
    assert band(Decimal(score), rb) == rating


def test_score_one_and_a_half_is_amber_green(rb) -> None:
    r = rate_quarter(failed("ae_4hr", "cancer_31d"), {}, [], rb)
    assert r.score == Decimal("1.5") and r.rating == "amber_green"
    assert r.failed == ("ae_4hr", "cancer_31d") and not r.escalation


def test_score_four_is_red(rb) -> None:
    r = rate_quarter(failed("ae_4hr", "rtt_admitted", "cancer_62d", "cancer_31d", "cancer_2ww"), {}, [], rb)
    assert r.score == Decimal("4.0") and r.rating == "red"


def test_third_consecutive_failure_is_tripled_and_escalated(rb) -> None:
    second = rate_quarter(failed("ae_4hr"), {"ae_4hr": [True, False]}, [], rb)
    assert second.score == 1 and not second.escalation
    trace = Trace.start("RTH", "2012-13-Q3", "governance", rb)
    third = rate_quarter(failed("ae_4hr"), {"ae_4hr": [True, True]}, [], rb, trace)
    assert third.score == 3 and third.rating == "amber_red" and third.escalation
    assert "tripled" in trace.to_text() and "repeat_factor" in trace.to_text()
    broken = rate_quarter(failed("ae_4hr"), {"ae_4hr": [False, True]}, [], rb)
    assert broken.score == 1  # not consecutive
    half = rate_quarter(failed("cancer_31d"), {"cancer_31d": [True, True]}, [], rb)
    assert half.score == Decimal("1.5")


def test_significant_breach_overrides_to_red(rb) -> None:
    r = rate_quarter([], {}, ["significant_breach"], rb)
    assert r.score == 0 and r.rating == "red" and r.significant_breach
    assert "significant breach" in r.reason


def test_cqc_concerns_add_points_dudley_2011(rb2010) -> None:
    # Dudley 2011-12 Q2: C. difficile above its trajectory (75 cases against 36) and outstanding
    # CQC compliance actions: amber/red (HSJ). Under the 2010-11 framework: 1.0 + 1.0 = 2.0.
    cdiff = infection_target("cdiff", 75, Decimal(36), 77, rb2010)
    r = rate_quarter([cdiff], {}, ["cqc_moderate_concern"], rb2010)
    assert cdiff.failed and r.score == 2 and r.rating == "amber_red"
    assert rate_quarter([], {}, ["cqc_major_concern"], rb2010).score == 2


@pytest.mark.parametrize(
    "ytd, trajectory, expected",
    [
        (12, "11", True),  # exactly at the de minimis and above trajectory: failed
        (11, "10", False),  # above trajectory, below the de minimis: protected
        (12, "12", False),  # exactly on trajectory: met
        (13, "12", True),
        (20, "19.25", True),  # 20 > 19.25
        (19, "19.25", False),
        (0, "0", False),  # a zero objective with no cases
        (5, "0", False),  # a zero objective, five cases: under the de minimis
    ],
)
def test_cdiff_de_minimis_and_trajectory_boundaries(rb, ytd: int, trajectory: str, expected: bool) -> None:
    assert infection_target("cdiff", ytd, Decimal(trajectory), 0, rb).failed is expected


def test_exclusive_reading_of_the_de_minimis(rb) -> None:
    strict = apply_what_if(rb, {"de_minimis_inclusive": False})
    assert not infection_target("cdiff", 12, Decimal(5), 20, strict).failed
    assert infection_target("cdiff", 13, Decimal(5), 20, strict).failed


def test_2010_11_has_no_cdiff_de_minimis(rb2010) -> None:
    assert infection_target("cdiff", 3, Decimal(2), 8, rb2010).failed
    assert not infection_target("cdiff", 2, Decimal(2), 8, rb2010).failed


def test_mrsa_de_minimis_of_six(rb) -> None:
    assert not infection_target("mrsa", 5, Decimal(0), 0, rb).failed
    assert infection_target("mrsa", 6, Decimal(0), 0, rb).failed


def test_dudley_agreed_trajectory_36_at_q2(library) -> None:
    from nhs_oversight.rules.trajectories import year_to_date_trajectory

    cd = library.get("cdiff-objective-2012-13")
    t = year_to_date_trajectory(77, 2, cd["trajectory_shares"], cd["trajectory_rounding"], (17, 36, 56, 77))
    assert t == 36
    rb = library.get("monitor-compliance-2012-13")
    assert infection_target("cdiff", 37, t, 77, rb).failed
    assert not infection_target("cdiff", 36, t, 77, rb).failed


@pytest.mark.parametrize(
    "trajectory, headroom", [("0", 11), ("5", 6), ("5.75", 6), ("10.5", 1), ("11", 0), ("11.5", 0), ("40", 0)]
)
def test_de_minimis_headroom(rb, trajectory: str, headroom: int) -> None:
    """How many cases above its trajectory the de minimis lets a trust have."""
    assert de_minimis_headroom(Decimal(trajectory), rb) == headroom
    # the headroom is exactly the room before failing
    t = Decimal(trajectory)
    worst_safe = int(t) + headroom
    assert not infection_target("cdiff", worst_safe, t, 0, rb).failed
    assert infection_target("cdiff", worst_safe + 1, t, 0, rb).failed


def test_no_headroom_without_a_de_minimis(rb2010) -> None:
    assert de_minimis_headroom(Decimal(3), rb2010) == 0


def test_weights_and_band_edges_are_what_if_settable(rb) -> None:
    heavier = apply_what_if(rb, {"weights": {"ae_4hr": 2.0}, "band_edges": [1.0, 2.0, 3.0]})
    r = rate_quarter(failed("ae_4hr"), {}, [], heavier)
    assert r.score == 2 and r.rating == "amber_red"
    assert rate_quarter(failed("cancer_31d"), {}, [], heavier).score == 0  # no weight: not scored


def test_downgrades() -> None:
    assert is_downgrade("amber_red", "green") and not is_downgrade("green", "red")
    assert not is_downgrade("red", None)


def test_poisson_limit_scales_with_size(library) -> None:
    from scipy.stats import poisson

    alt = library.get("monitor-compliance-2012-13-poisson")
    assert alt.in_force is None  # an alternative: used only when named
    for trajectory in ("2", "11", "36", "150"):
        t = Decimal(trajectory)
        limit = int(poisson.ppf(0.95, float(t)))
        assert not infection_target("cdiff", limit, t, 0, alt).failed
        assert infection_target("cdiff", limit + 1, t, 0, alt).failed
        # on target, a trust fails by chance at most 5% of the time, whatever its size
        assert poisson.sf(limit, float(t)) <= 0.05
    assert de_minimis_headroom(Decimal(36), alt) == int(poisson.ppf(0.95, 36)) - 36 > 0


def test_poisson_quantile_equals_scipy() -> None:
    import numpy as np
    from scipy import stats

    from nhs_oversight.rules.governance import poisson_quantile

    means = np.concatenate([np.geomspace(1e-6, 1e4, 2000), np.arange(0.25, 60, 0.25), [1e-300, 5e-324]])
    for level in (0.5, 0.9, 0.95, 0.975, 0.99, 0.998, 0.999, 1e-9, 1 - 1e-9):
        np.testing.assert_array_equal(poisson_quantile(level, means), stats.poisson.ppf(level, means).astype("int64"))
    with pytest.raises(ValueError, match="strictly between"):
        poisson_quantile(1.0, means)
