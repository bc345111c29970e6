"""Monitor's continuity of service risk rating, 4 (lowest risk) to 1 (RULES.md §7).

Risk Assessment Framework, from October 2013, rulebook ``monitor-raf-2013``: capital
service cover and liquidity scored 4 to 1, averaged and rounded; ``2*`` marks a 2 unlikely
to get worse.

References
----------
RULES.md §7; the sources of the ``monitor-raf-2013`` rulebook.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...explain import NO_TRACE, Trace
from ...rulebooks import Rulebook
from .formula import FormulaError, _fmt
from .scorecard import FinanceRating, Scorecard, _response, _stage, _worse, scorecard

__all__ = ["continuity_rating", "not_worse_than"]


def not_worse_than(now: Scorecard, before: Scorecard, rulebook: Rulebook) -> bool:
    """Whether no rated metric is lower than before.

    Every metric's thresholds fall from the best score to the worst, so a lower value is
    a worse one; an undefined metric is compared by its score instead.
    """
    worse = _worse(rulebook)
    for name, score in now.scores.items():
        prior = before.scores.get(name)
        if prior is None:
            return False
        a, b = score.metric.value, prior.metric.value
        if a is not None and b is not None:
            if a < b:
                return False
        elif (score.score - prior.score) * worse > 0:
            return False
    return True


def continuity_rating(
    row: Mapping[str, Any],
    rulebook: Rulebook,
    *,
    normalised: bool = False,
    two_star: bool = False,
    previous: Mapping[str, Any] | None = None,
    unlikely_to_worsen: bool | None = None,
    trace: Trace = NO_TRACE,
) -> FinanceRating:
    """Monitor's continuity of service risk rating, 4 (lowest risk) to 1 (RULES.md §7).

    Parameters
    ----------
    row : mapping
        One row of ``financials.csv`` [GBP thousands].
    rulebook : Rulebook
        ``monitor-raf``.
    normalised : bool
    two_star : bool
        Ask for the ``2*`` mark: a rating of ``two_star_rating`` (2) unlikely to get worse.
    previous : mapping, optional
        The same period a year before, for the ``not_worse_than_previous_year`` test.
    unlikely_to_worsen : bool, optional
        An analyst's judgement; when given it decides the star instead of the test.
    trace : Trace, optional

    Notes
    -----
    rating = round_half_up((score(capital service cover) + score(liquidity)) ÷ 2); the
    scores are 4/3/2/1 at ≥2.5/≥1.75/≥1.25/below times and ≥0/≥−7/≥−14/below days (all
    assumed, RULES.md §7).
    """
    stage = _stage(normalised)
    card = scorecard(row, rulebook, normalised, trace, stage)
    rating = card.rating
    label = str(rating)
    star_at = rulebook["two_star_rating"]
    if two_star and rating == int(star_at.value):
        test = rulebook["two_star_test"]
        if unlikely_to_worsen is not None:
            starred, why = (
                unlikely_to_worsen,
                "the analyst judges the position "
                + ("unlikely to worsen" if unlikely_to_worsen else "at risk of worsening"),
            )
        elif test.value == "not_worse_than_previous_year":
            if previous is None:
                starred, why = False, "no figures for the same period a year before: no star"
            else:
                before = scorecard(previous, rulebook, normalised)
                starred = not_worse_than(card, before, rulebook)
                why = (
                    "neither metric is lower than a year before" if starred else "a metric is lower than a year before"
                )
        elif test.value == "analyst":
            starred, why = False, "only an analyst gives the star"
        else:
            raise FormulaError(
                f"{rulebook.id}: two_star_test {test.value!r}; expected not_worse_than_previous_year or analyst"
            )
        if starred:
            label = f"{rating}*"
        trace.add(f"finance.{stage}.two_star", f"rating {rating}: {why} → {label}", value=label, uses=[star_at, test])
    response = _response(rulebook, label)
    reason = (
        ", ".join(f"{s.metric.text()} → {s.score}" for s in card.scores.values())
        + f"; average {_fmt(card.weighted)} → {label}"
        + (f" ({response})" if response else "")
    )
    return FinanceRating("continuity", normalised, card, rating, rating, label, "", response, [], 0, reason)
