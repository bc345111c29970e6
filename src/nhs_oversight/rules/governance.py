"""Monitor's governance risk rating of foundation trusts (RULES.md §3, seed 000).

"Monitor uses red, amber and green governance ratings to track how well a foundation
trust is run, assessing organisations' C difficile performance against a quarterly
target … Monitor has set a minimum of 12 cases of C difficile before it will consider
downgrading any organisation … downgrading trusts above the C difficile target would not
be automatic." (seed 000)

Each quarter, each target a trust fails adds its weight to the service performance
score; a target failed for a third consecutive quarter scores triple and puts the trust
up for escalation; CQC concerns add points; the score's band is the calculated rating; a
declared significant breach makes it red. The published rating is an analyst's decision.

Pure functions: per-quarter target statuses and rulebooks in, ratings and traces out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..explain import NO_TRACE, Trace
from ..rulebooks import Rulebook, RuleValue

__all__ = [
    "RATINGS",
    "INFECTION_TARGETS",
    "TargetStatus",
    "QuarterRating",
    "infection_target",
    "band",
    "rate_quarter",
    "de_minimis_headroom",
    "is_downgrade",
    "SafeCount",
    "highest_safe_count",
    "safe_counts",
    "poisson_quantile",
]

#: Ratings from best to worst.
RATINGS = ("green", "amber_green", "amber_red", "red")
INFECTION_TARGETS = ("cdiff", "mrsa")


def is_downgrade(new: str, old: str | None) -> bool:
    """Whether ``new`` is a worse rating than ``old``."""
    return old is not None and RATINGS.index(new) > RATINGS.index(old)


@dataclass(frozen=True)
class TargetStatus:
    """Whether one target was failed in one quarter, and the figures that decided it."""

    target: str
    failed: bool
    text: str
    figures: dict[str, object] = field(default_factory=dict)


def _fmt(x: Decimal | float) -> str:
    return f"{Decimal(str(x)):,.2f}".rstrip("0").rstrip(".")


@dataclass(frozen=True)
class SafeCount:
    """The most year-to-date cases a trust can have without failing an infection target.

    Attributes
    ----------
    cases : int
        Failing needs more cases than this.
    trajectory : int
        ⌊trajectory⌋: cases above the trajectory are at least this plus one.
    de_minimis : int
        The most cases the de minimis allows (0 without one).
    chance_limit : int
        The most cases a Poisson limit allows (0 without one): the ``level`` quantile of
        Poisson(trajectory), for rulebooks that set ``<organism>_poisson_level``.
    """

    cases: int
    trajectory: int
    de_minimis: int
    chance_limit: int

    @property
    def headroom(self) -> int:
        """Cases above the trajectory that the de minimis (or Poisson limit) allows."""
        return self.cases - self.trajectory


def safe_counts(
    organism: str, trajectories: ArrayLike, rulebook: Rulebook
) -> tuple[dict[str, NDArray[np.int64]], list[RuleValue]]:
    """The failing threshold of an infection target for many trajectories at once.

    Failed ⇔ cases > trajectory **and** cases reach the de minimis (inclusive reading:
    cases ≥ de minimis; otherwise cases > de minimis) **and**, where the rulebook sets a
    ``<organism>_poisson_level``, cases exceed that quantile of Poisson(trajectory): a limit
    that scales with size. So a trust fails exactly when its cases exceed
    ``max(⌊trajectory⌋, de minimis − 1, Poisson quantile)``.

    Parameters
    ----------
    organism : {'cdiff', 'mrsa'}
    trajectories : array_like
        Year-to-date trajectories [cases], ≥ 0.
    rulebook : Rulebook
        A ``monitor-compliance`` rulebook.

    Returns
    -------
    (dict, list)
        Arrays ``cases`` (the most cases that do not fail), ``trajectory`` (⌊trajectory⌋),
        ``de_minimis`` and ``chance_limit`` [cases]; and the rulebook values used.
    """
    t = np.asarray(trajectories, dtype="float64")
    floor = np.floor(t).astype("int64")
    dm = rulebook[f"{organism}_de_minimis"]
    uses = [dm]
    limit = int(dm.value or 0)
    dm_safe = np.zeros_like(floor)
    if limit:
        inclusive = rulebook["de_minimis_inclusive"]
        uses.append(inclusive)
        dm_safe[:] = limit - 1 if inclusive.value else limit
    chance = np.zeros_like(floor)
    level = rulebook.values.get(f"{organism}_poisson_level")
    if level is not None and level.value is not None:
        uses.append(level)
        positive = t > 0
        chance[positive] = poisson_quantile(float(level.value), t[positive])
    cases = np.maximum(np.maximum(floor, dm_safe), chance)
    return {"cases": cases, "trajectory": floor, "de_minimis": dm_safe, "chance_limit": chance}, uses


def poisson_quantile(level: float, means: NDArray[np.float64]) -> NDArray[np.int64]:
    """The ``level`` quantile of Poisson(mean) for each mean: the least k with
    P(X ≤ k) ≥ level, as ``scipy.stats.poisson.ppf(level, means)`` computes it for
    0 < level < 1 and means > 0 (``pdtrik`` inverted, then checked one below with ``pdtr``),
    without importing scipy.stats (~0.5 s of CPU).

    Parameters
    ----------
    level : float
        Probability, strictly between 0 and 1.
    means : numpy.ndarray
        Poisson means [cases], > 0.

    Returns
    -------
    numpy.ndarray of int64
        The quantiles [cases].
    """
    from scipy import special

    if not 0 < level < 1:
        raise ValueError(f"level={level!r} must lie strictly between 0 and 1")
    mu = np.asarray(means, dtype="float64")
    upper = np.ceil(special.pdtrik(level, mu))
    below = np.maximum(upper - 1, 0)
    return np.where(special.pdtr(below, mu) >= level, below, upper).astype("int64")


def highest_safe_count(organism: str, trajectory: Decimal, rulebook: Rulebook) -> tuple[SafeCount, list[RuleValue]]:
    """:func:`safe_counts` for one trajectory."""
    arrays, uses = safe_counts(organism, [float(trajectory)], rulebook)
    return SafeCount(*(int(arrays[k][0]) for k in ("cases", "trajectory", "de_minimis", "chance_limit"))), uses


def infection_target(
    organism: str,
    ytd_cases: int,
    trajectory: Decimal,
    objective: int,
    rulebook: Rulebook,
    trace: Trace = NO_TRACE,
) -> TargetStatus:
    """Whether an infection target is failed in a quarter.

    Parameters
    ----------
    organism : {'cdiff', 'mrsa'}
    ytd_cases : int
        Trust-apportioned cases from 1 April to the end of the quarter [cases].
    trajectory : Decimal
        The year-to-date trajectory [cases].
    objective : int
        The annual objective [cases].
    rulebook : Rulebook
        A ``monitor-compliance`` rulebook (its de minimis).
    trace : Trace, optional

    Notes
    -----
    Failed ⇔ ytd_cases > trajectory **and** ytd_cases ≥ de minimis (inclusive reading; with
    ``de_minimis_inclusive`` false, ytd_cases > de minimis). A de minimis of 0 is none. See
    :func:`highest_safe_count`.
    """
    safe, uses = highest_safe_count(organism, trajectory, rulebook)
    failed = ytd_cases > safe.cases
    above = Decimal(ytd_cases) > trajectory
    limit = int(rulebook.value(f"{organism}_de_minimis") or 0)
    name = "C. difficile" if organism == "cdiff" else "MRSA"
    if not above:
        why = f"{ytd_cases} cases are not above the trajectory of {_fmt(trajectory)}: met"
    elif not failed and ytd_cases <= safe.de_minimis:
        why = (
            f"{ytd_cases} cases are above the trajectory of {_fmt(trajectory)} but below the de minimis "
            f"of {limit}: not failed"
        )
    elif not failed:
        why = (
            f"{ytd_cases} cases are above the trajectory of {_fmt(trajectory)} but within the Poisson limit "
            f"of {safe.chance_limit}: not failed"
        )
    else:
        why = f"{ytd_cases} cases are above the trajectory of {_fmt(trajectory)}" + (
            f" and reach the de minimis of {limit}: failed" if limit else ": failed (no de minimis)"
        )
    text = f"{name}: {why}"
    trace.add(
        f"governance.{organism}",
        text,
        inputs={"ytd_cases": ytd_cases, "trajectory": float(trajectory), "objective": objective},
        value=failed,
        uses=uses,
    )
    return TargetStatus(
        organism,
        failed,
        text,
        {"ytd_cases": ytd_cases, "trajectory": float(trajectory), "objective": objective, "de_minimis": limit},
    )


def de_minimis_headroom(trajectory: Decimal, rulebook: Rulebook, organism: str = "cdiff") -> int:
    """Cases above its trajectory a trust may have before the de minimis stops protecting it.

    The most cases a trust can have without failing is ``max(⌊trajectory⌋, de minimis − 1)``
    (inclusive reading); the protection is how far that lies above ``⌊trajectory⌋``. A trust
    whose trajectory is already at or above the de minimis gets none: the seed's "get out of
    jail free card" for small trusts that "failed to help larger organisations".
    """
    return highest_safe_count(organism, trajectory, rulebook)[0].headroom


def band(score: Decimal, rulebook: Rulebook) -> str:
    """The rating of a service performance score: green < 1.0 ≤ amber-green < 2.0 ≤
    amber-red < 4.0 ≤ red (edges from the rulebook; a score at an edge takes the worse band)."""
    edges = [Decimal(str(e)) for e in rulebook.value("band_edges")]
    for rating, edge in zip(RATINGS, edges):
        if score < edge:
            return rating
    return RATINGS[-1]


@dataclass(frozen=True)
class QuarterRating:
    """A trust's calculated governance rating for one quarter."""

    score: Decimal
    rating: str
    failed: tuple[str, ...]
    escalation: bool
    significant_breach: bool
    reason: str


def rate_quarter(
    statuses: Sequence[TargetStatus],
    previous_failures: Mapping[str, Sequence[bool]],
    events: Sequence[str],
    rulebook: Rulebook,
    trace: Trace = NO_TRACE,
) -> QuarterRating:
    """Score one trust's quarter and band it.

    Parameters
    ----------
    statuses : sequence of TargetStatus
        This quarter's targets (infections and ``indicators.csv``).
    previous_failures : mapping
        For each target, whether it was failed in the quarters before this one, most
        recent first (for the repeat rule).
    events : sequence of str
        Event kinds dated in the quarter (``cqc_major_concern``, ``significant_breach``, …).
    rulebook : Rulebook
        A ``monitor-compliance`` rulebook.
    trace : Trace, optional

    Returns
    -------
    QuarterRating

    Notes
    -----
    score = Σ weight × (3 if failed in this and the two quarters before, else 1) over
    failed targets + Σ CQC concern points. Worked example: A&E (1.0) and the 31-day cancer
    wait (0.5) failed → 1.5 → amber-green.
    """
    weights = rulebook["weights"]
    repeat_n, factor = rulebook["repeat_quarters"], rulebook["repeat_factor"]
    escalate_rule = rulebook["escalation_on_repeat"]
    score = Decimal(0)
    failed: list[str] = []
    parts: list[str] = []
    escalation = False
    for status in statuses:
        if not status.failed:
            continue
        failed.append(status.target)
        weight = Decimal(str(weights.value.get(status.target, 0)))
        history = list(previous_failures.get(status.target, ()))[: int(repeat_n.value) - 1]
        repeat = len(history) == int(repeat_n.value) - 1 and all(history)
        points = weight * (Decimal(str(factor.value)) if repeat else 1)
        score += points
        if repeat and escalate_rule.value:
            escalation = True
        label = f"{status.target} {weight}" + (
            f" × {factor.value} (failed {repeat_n.value} quarters running)" if repeat else ""
        )
        parts.append(label)
        trace.add(
            "governance.points",
            f"{status.target} failed: weight {weight}"
            + (f", tripled: failed for a {_ordinal(int(repeat_n.value))} consecutive quarter" if repeat else "")
            + f" → {points} points",
            inputs={"weight": float(weight), "previous_quarters_failed": history},
            value=float(points),
            uses=[weights, repeat_n, factor] + ([escalate_rule] if repeat else []),
        )
    concern_points = rulebook["cqc_concern_points"]
    for kind in events:
        if kind in concern_points.value:
            points = Decimal(str(concern_points.value[kind]))
            score += points
            parts.append(f"{kind} {points}")
            failed.append(kind)
            trace.add(
                "governance.cqc",
                f"{kind.replace('_', ' ')} in the quarter → {points} points",
                value=float(points),
                source="events",
                uses=[concern_points],
            )
    rating = band(score, rulebook)
    edges = rulebook["band_edges"]
    trace.add(
        "governance.band",
        f"service performance score {score} → {rating.replace('_', '-')} "
        f"(green < {edges.value[0]} ≤ amber-green < {edges.value[1]} ≤ amber-red < {edges.value[2]} ≤ red)",
        inputs={"score": float(score)},
        value=rating,
        uses=[edges],
    )
    breach = "significant_breach" in events
    if breach:
        override = rulebook["significant_breach_rating"]
        rating = str(override.value)
        trace.add(
            "governance.significant_breach",
            f"a significant breach was declared in the quarter → {rating}",
            value=rating,
            source="events",
            uses=[override, rulebook["events_apply_to"]],
        )
    reason = f"score {score} ({'; '.join(parts) if parts else 'no target failed'}) → {rating}"
    if breach:
        reason += " (significant breach)"
    if escalation:
        reason += "; up for escalation: a target failed three quarters running"
    trace.result = {"score": float(score), "rating": rating, "failed": failed, "escalation": escalation}
    return QuarterRating(score, rating, tuple(failed), escalation, breach, reason)


def _ordinal(n: int) -> str:
    return {1: "first", 2: "second", 3: "third", 4: "fourth"}.get(n, f"{n}th")
