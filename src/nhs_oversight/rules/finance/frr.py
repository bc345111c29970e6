"""Monitor's financial risk rating (FRR), 5 (lowest risk) to 1 (RULES.md §4).

Compliance Framework, 2010-11 to September 2013, rulebook ``monitor-frr-2012-13``: five
metrics scored 5 (lowest risk) to 1, weighted 25/10/20/20/25%, the average "rounded to
the nearest whole number", then capped by the overriding rules: plan late or incomplete
→ at most 3; PDC dividend not paid in full or an unplanned breach of the prudential
borrowing code → 2; one metric at 1 → 2, two at 1 → 1; one metric at 2 → 3, two at 2 →
2. Published example: scores 3, 4, 3, 2, 3 → 2.90 → 3.

References
----------
RULES.md §4; the sources of the ``monitor-frr-2012-13`` rulebook (Monitor's Compliance
Framework; a board paper reproducing its FRR table, weights and overriding rules).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ...explain import NO_TRACE, Trace
from ...rulebooks import Rulebook
from .scorecard import Event, FinanceRating, Override, _core_reason, _response, _stage, _uses, scorecard

__all__ = ["frr_caps", "frr_rating"]

#: The metric caps: (rule, the score counted, how many metrics at least).
_METRIC_CAPS = (
    ("two_metrics_at_1", 1, 2),
    ("one_metric_at_1", 1, 1),
    ("two_metrics_at_2", 2, 2),
    ("one_metric_at_2", 2, 1),
)


def frr_caps(
    scores: Mapping[str, int],
    uncapped: int,
    rulebook: Rulebook,
    events: Sequence[Event] = (),
    trace: Trace = NO_TRACE,
    stage: str = "reported",
) -> tuple[int, list[Override]]:
    """The FRR's overriding rules: the rating is at most each cap that applies.

    Parameters
    ----------
    scores : mapping
        Metric → score (5 best … 1).
    uncapped : int
        The rounded weighted average.
    rulebook : Rulebook
        ``cap_one_metric_at_1`` (2), ``cap_two_metrics_at_1`` (1), ``cap_one_metric_at_2``
        (3), ``cap_two_metrics_at_2`` (2), and ``cap_<event kind>`` for each event kind that
        caps: ``cap_plan_late`` 3, ``cap_plan_incomplete`` 3, ``cap_pdc_unpaid`` 2,
        ``cap_pbc_breach`` 2.
    events : sequence of Event
        The events of the period (see :func:`events_in_window`).

    Returns
    -------
    (int, list of Override)
        The capped rating and every overriding rule triggered, each with the movement it
        alone would make (``min(cap, uncapped) − uncapped``).

    Notes
    -----
    "One metric at 1" counts at least one metric scoring exactly 1, "two at 1" at least
    two; likewise at 2. A metric at 1 is not also counted as "at 2" (the caps of 1s are
    the stricter anyway).
    """
    records: list[Override] = []
    counts = {1: sum(1 for s in scores.values() if s == 1), 2: sum(1 for s in scores.values() if s == 2)}
    for name, score, at_least in _METRIC_CAPS:
        if counts[score] < at_least:
            continue
        value = rulebook[f"cap_{name}"]
        cap = int(value.value)
        at = [m for m, s in scores.items() if s == score]
        move = min(cap, uncapped) - uncapped
        why = f"{len(at)} metric(s) at {score} ({', '.join(at)}): at most {cap}"
        records.append(Override(name, {"metrics": at}, cap, move, move < 0, why))
        trace.add(f"finance.{stage}.cap", f"overriding rule {why}", inputs={"metrics": at}, value=cap, uses=[value])
    for e in events:
        event_cap = rulebook.values.get(f"cap_{e.kind}")
        if event_cap is None:
            continue
        cap = int(event_cap.value)
        move = min(cap, uncapped) - uncapped
        why = f"{e.kind.replace('_', ' ')} on {e.date}: at most {cap}" + (f" — {e.evidence}" if e.evidence else "")
        trigger = {"date": str(e.date), "value": e.value}
        records.append(Override(e.kind, trigger, cap, move, move < 0, why, e.event_id, evidence=e.evidence))
        trace.add(
            f"finance.{stage}.cap",
            f"overriding rule: event {e.event_id} {why}",
            inputs={"event_id": e.event_id, "date": str(e.date)},
            value=cap,
            source="events",
            uses=_uses(rulebook, f"cap_{e.kind}", "event_window"),
        )
    rating = min([uncapped, *(int(r.threshold) for r in records)])
    if not records:
        trace.add(f"finance.{stage}.cap", f"no overriding rule applies: rating {rating}", value=rating)
    elif rating < uncapped:
        trace.add(f"finance.{stage}.cap", f"capped: {uncapped} → {rating}", value=rating)
    else:
        trace.add(f"finance.{stage}.cap", f"the caps do not lower {uncapped}", value=rating)
    return rating, records


def frr_rating(
    row: Mapping[str, Any],
    rulebook: Rulebook,
    events: Sequence[Event] = (),
    *,
    normalised: bool = False,
    trace: Trace = NO_TRACE,
) -> FinanceRating:
    """Monitor's financial risk rating, 5 (lowest risk) to 1 (RULES.md §4).

    Parameters
    ----------
    row : mapping
        One row of ``financials.csv`` [GBP thousands].
    rulebook : Rulebook
        ``monitor-frr``.
    events : sequence of Event
        The provider's events of the period (plan late or incomplete, PDC unpaid, PBC breach).
    normalised : bool
        Rate with exceptional income removed.
    trace : Trace, optional

    Notes
    -----
    rating = min(round_half_up(Σ wᵢ sᵢ), every cap that applies). Published example:
    scores 3, 4, 3, 2, 3 → 0.25×3 + 0.10×4 + 0.20×3 + 0.20×2 + 0.25×3 = 2.90 → 3, one
    metric at 2 caps at 3 → 3.
    """
    stage = _stage(normalised)
    card = scorecard(row, rulebook, normalised, trace, stage)
    rating, records = frr_caps(card.score_values(), card.rating, rulebook, events, trace, stage)
    reason = _core_reason(card)
    binding = [r for r in records if r.applied and int(r.threshold) == rating]
    if binding:
        reason += f"; {binding[0].why} → {rating}"
    response = _response(rulebook, rating)
    if response:
        reason += f" ({response})"
    return FinanceRating("frr", normalised, card, card.rating, rating, str(rating), "", response, records, 0, reason)
