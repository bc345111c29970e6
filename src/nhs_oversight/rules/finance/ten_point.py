"""The 10-point financial risk rating of Monitor's 2012 licensing consultation (RULES.md §5).

Seed 002, rulebook ``monitor-licence-consultation-2012``: "Providers would be ranked on a
10-point scale, with 1-5 marked 'normal', 6-7 'concern', 8-9 in 'distress', and 10
'failure'", on the familiar metrics plus interest cover, then moved by overrides: "PFI
payments should not exceed 10 per cent of income"; an external credit rating, reliance on
block contracts, the number of commissioners, significant indebtedness; and clinical or
governance events such as a CQC notice of major concern, where "Monitor will consider what
costs the licensee is likely to incur to rectify this situation ... If the impact would be
large enough to move the licensee down at least one point on the scale, Monitor will
consider an override". "Overrides would only be able to move a provider's risk rating plus
or minus one point on the scale, other than in exceptional circumstances where the
evidence indicates a high likelihood of a rapid and drastic deterioration."

References
----------
Seed 002 (HSJ, "FTs with heavy PFI burdens could face ratings downgrade", 2012);
RULES.md §5; the sources of the ``monitor-licence-consultation-2012`` rulebook.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from ...explain import NO_TRACE, Trace
from ...rulebooks import Rulebook, RuleValue
from .formula import FormulaError, _dec, _fmt
from .scorecard import (
    Event,
    FinanceRating,
    Metric,
    Override,
    Scorecard,
    _core_reason,
    _scores_text,
    _stage,
    _uses,
    _worse,
    scorecard,
)

__all__ = ["band_of", "ten_point_rating"]


def _share(x: Decimal) -> str:
    """A share as a percentage to three decimals at most: 0.10001 → 10.001%, 0.12 → 12%."""
    return f"{(x * 100).quantize(Decimal('0.001')).normalize():f}%"


def band_of(rating: int, rulebook: Rulebook) -> str:
    """The band of a 10-point rating: ``normal`` 1–5, ``concern`` 6–7, ``distress`` 8–9,
    ``failure`` 10 (seed 002)."""
    for band, (first, last) in rulebook.value("bands").items():
        if int(first) <= rating <= int(last):
            return str(band)
    raise FormulaError(f"{rulebook.id}: rating {rating} is in no band of {rulebook.value('bands')}")


def _latest(events: Sequence[Event], kind: str) -> Event | None:
    found = [e for e in events if e.kind == kind and e.value is not None]
    return found[-1] if found else None


def _quantitative_overrides(card: Scorecard, events: Sequence[Event], rulebook: Rulebook) -> list[Override]:
    worse = _worse(rulebook)
    out: list[Override] = []
    pfi = card.metrics.get("pfi_share")
    limit = Decimal(str(rulebook.value("pfi_share_limit")))
    points = int(rulebook.value("pfi_override_points"))
    if pfi is not None:
        if pfi.value is None:
            out.append(
                Override("pfi_share", dict(pfi.inputs), float(limit), 0, False, f"PFI share undefined: {pfi.undefined}")
            )
        else:
            what = f"PFI payments {_share(pfi.value)} of income"
            out.append(_metric_override(pfi, pfi.value, limit, points * worse, what, _share(limit)))
    debt = card.metrics.get("indebtedness")
    debt_limit = Decimal(str(rulebook.value("indebtedness_limit")))
    debt_points = int(rulebook.value("indebtedness_override_points"))
    if debt is not None and debt.value is not None:
        what = f"borrowings {_fmt(debt.value)} years of income"
        out.append(
            _metric_override(debt, debt.value, debt_limit, debt_points * worse, what, f"{debt_limit.normalize():f}")
        )
    for e in (e for e in events if e.kind == "indebtedness"):
        hit = e.value is None or Decimal(str(e.value)) > debt_limit
        why = (
            f"indebtedness reported on {e.date}"
            + ("" if e.value is None else f": {e.value:g} years of income")
            + ("" if hit else f" ≤ {debt_limit.normalize():f}")
        )
        out.append(
            _event_override(e, {"value": e.value}, float(debt_limit), debt_points * worse if hit else 0, hit, why)
        )
    credit = _latest(events, "credit_rating")
    if credit is not None:
        down, up = (
            int(rulebook.value("credit_rating_downgrade_from_notch")),
            int(rulebook.value("credit_rating_upgrade_to_notch")),
        )
        cpoints = int(rulebook.value("credit_rating_override_points"))
        notch = Decimal(str(credit.value))
        if notch >= down:
            move, why = cpoints * worse, f"credit rating notch {notch.normalize():f} ≥ {down} (below investment grade)"
        elif notch <= up:
            move, why = -cpoints * worse, f"credit rating notch {notch.normalize():f} ≤ {up} (strong)"
        else:
            move, why = 0, f"credit rating notch {notch.normalize():f} between {up} and {down}"
        out.append(
            _event_override(
                credit, {"notch": float(notch)}, {"downgrade_from": down, "upgrade_to": up}, move, move != 0, why
            )
        )
    block = _latest(events, "block_contract_share")
    if block is not None:
        blimit = Decimal(str(rulebook.value("block_contract_share_limit")))
        share = Decimal(str(block.value))
        hit = share > blimit
        why = f"{_share(share)} of income on block contracts {'>' if hit else '≤'} {_share(blimit)}"
        move = int(rulebook.value("block_contract_override_points")) * worse if hit else 0
        out.append(_event_override(block, {"share": float(share)}, float(blimit), move, hit, why))
    count = _latest(events, "commissioner_count")
    if count is not None:
        minimum = int(rulebook.value("commissioner_count_minimum"))
        n = Decimal(str(count.value))
        hit = n < minimum
        why = f"{n.normalize():f} commissioner(s) {'<' if hit else '≥'} {minimum}"
        move = int(rulebook.value("commissioner_override_points")) * worse if hit else 0
        out.append(_event_override(count, {"commissioners": float(n)}, minimum, move, hit, why))
    return out


def _metric_override(
    metric: Metric, value: Decimal, limit: Decimal, movement: int, what: str, limit_text: str
) -> Override:
    """A metric's override: it proposes ``movement`` when ``value`` is above ``limit``."""
    hit = value > limit
    return Override(
        metric.name,
        {**metric.inputs, metric.name: float(value)},
        float(limit),
        movement if hit else 0,
        hit,
        f"{what} {'>' if hit else '≤'} {limit_text}",
    )


def _event_override(
    e: Event, trigger: dict[str, Any], threshold: Any, movement: int, applied: bool, why: str
) -> Override:
    return Override(
        e.kind,
        {"date": str(e.date), **trigger},
        threshold,
        movement,
        applied,
        why,
        e.event_id,
        exceptional=e.exceptional,
        evidence=e.evidence,
    )


def _with_cost(row: Mapping[str, Any], cost: Decimal, rulebook: Rulebook) -> dict[str, Any]:
    adjusted: dict[str, Any] = dict(row)
    for figure, sign in rulebook.value("cost_to_rectify_effect").items():
        base = _dec(adjusted.get(figure))
        if base is None:
            raise FormulaError(f"{rulebook.id}: cost_to_rectify_effect names {figure!r}, which the figures lack")
        adjusted[figure] = base + Decimal(str(sign)) * cost
    return adjusted


def _qualitative_overrides(
    row: Mapping[str, Any],
    card: Scorecard,
    events: Sequence[Event],
    rulebook: Rulebook,
    normalised: bool,
    trace: Trace,
    stage: str,
) -> list[Override]:
    kinds = set(rulebook.value("qualitative_event_kinds"))
    minimum = int(rulebook.value("qualitative_min_movement"))
    worse = _worse(rulebook)
    out: list[Override] = []
    for e in events:
        if e.kind not in kinds:
            continue
        if e.estimated_cost is None:
            out.append(
                _event_override(
                    e,
                    {"estimated_cost": None},
                    minimum,
                    0,
                    False,
                    f"{e.kind.replace('_', ' ')} on {e.date} has no estimated cost to rectify: cannot re-rate",
                )
            )
            continue
        cost = Decimal(str(e.estimated_cost))
        rerated = scorecard(_with_cost(row, cost, rulebook), rulebook, normalised)
        moved = (rerated.rating - card.rating) * worse
        hit = moved >= minimum
        why = (
            f"{e.kind.replace('_', ' ')} on {e.date}: re-rated with £{_fmt(cost, 0)}k to rectify, "
            f"weighted {_fmt(card.weighted)} → {_fmt(rerated.weighted)}, rating {card.rating} → {rerated.rating}, "
            + (f"at least {minimum} point(s) worse" if hit else f"less than {minimum} point worse")
        )
        trace.add(
            f"finance.{stage}.rerate",
            f"event {e.event_id}: {why}; re-rated scores {_scores_text(rerated)}",
            inputs={"estimated_cost": float(cost), **{m: s.score for m, s in rerated.scores.items()}},
            value=rerated.rating,
            source="events",
            uses=_uses(rulebook, "qualitative_event_kinds", "cost_to_rectify_effect", "qualitative_min_movement"),
        )
        trigger = {
            "estimated_cost": float(cost),
            "rerated_weighted_score": float(rerated.weighted),
            "rerated_rating": rerated.rating,
        }
        out.append(_event_override(e, trigger, minimum, (rerated.rating - card.rating) if hit else 0, hit, why))
    return out


def _net(records: list[Override], rulebook: Rulebook) -> int:
    """The overrides' net movement: ordinary ones capped at ± ``override_net_limit``,
    exceptional ones (marked exceptional, with evidence) added in full."""
    limit = int(rulebook.value("override_net_limit"))
    needs_evidence = bool(rulebook.value("exceptional_requires_evidence"))
    for r in records:
        if r.exceptional and needs_evidence and not r.evidence.strip():
            r.exceptional = False
            r.why += "; marked exceptional without evidence, so within the net limit"
        if r.exceptional and not r.applied:
            r.exceptional = False
    exceptional = [r for r in records if r.applied and r.exceptional]
    ordinary = [r for r in records if r.applied and not r.exceptional]
    total = sum(r.movement for r in ordinary)
    capped = max(-limit, min(limit, total))
    if capped != total:
        for r in ordinary:
            if (r.movement > 0) == (total > 0):
                r.capped = True
    for r in exceptional:
        r.why += f"; exceptional, evidence: {r.evidence.strip()}"
    return capped + sum(r.movement for r in exceptional)


def ten_point_rating(
    row: Mapping[str, Any],
    rulebook: Rulebook,
    events: Sequence[Event] = (),
    *,
    normalised: bool = False,
    trace: Trace = NO_TRACE,
) -> FinanceRating:
    """The 10-point financial risk rating of the 2012 licensing consultation (RULES.md §5).

    Parameters
    ----------
    row : mapping
        One row of ``financials.csv`` [GBP thousands].
    rulebook : Rulebook
        ``monitor-licence-consultation``.
    events : sequence of Event
        The provider's events of the period.
    normalised : bool
    trace : Trace, optional

    Notes
    -----
    1. Core rating = round(Σ wᵢ sᵢ) over the seven core metrics, 1 (lowest risk) … 10.
    2. Quantitative overrides, each proposing one point: PFI unitary payments > 10% of
       income (seed); borrowings above the indebtedness limit; an external credit rating
       below investment grade (down) or strong (up); block contracts above a share of
       income; fewer commissioners than the minimum (the last four assumed).
    3. Qualitative overrides: each clinical or governance event with an estimated cost to
       rectify is re-rated with the cost taken off EBITDA, the surplus and current assets
       and added to expenses; it applies only if the re-rated core rating is at least one
       point worse, and proposes the whole difference.
    4. The ordinary overrides move the rating at most ±1 in total; an applied event marked
       exceptional with evidence adds its whole movement beyond that. The result stays on
       the scale (1 … 10), and its band sets the regulator's response.
    """
    stage = _stage(normalised)
    card = scorecard(row, rulebook, normalised, trace, stage)
    records = _quantitative_overrides(card, events, rulebook)
    records += _qualitative_overrides(row, card, events, rulebook, normalised, trace, stage)
    net = _net(records, rulebook)
    scale = [int(s) for s in rulebook.value("scores")]
    moved = card.rating + net
    rating = max(min(scale), min(max(scale), moved))
    for r in records:
        trace.add(
            f"finance.{stage}.override",
            r.describe(),
            inputs=r.trigger_values(),
            value=r.movement if r.applied else 0,
            source="events" if r.event_id else "financials",
            uses=_override_uses(r, rulebook),
        )
    band = band_of(rating, rulebook)
    response = str(rulebook.value("band_responses").get(band, ""))
    applied = [r for r in records if r.applied]
    trace.add(
        f"finance.{stage}.band",
        f"core {card.rating} {net:+d} from overrides → {rating}: {band} ({response})"
        + (f"; stays on the scale ({moved} → {rating})" if moved != rating else ""),
        inputs={"core": card.rating, "net_movement": net},
        value={"rating": rating, "band": band},
        uses=_uses(rulebook, "override_net_limit", "exceptional_requires_evidence", "bands", "band_responses")
        if applied
        else _uses(rulebook, "bands", "band_responses"),
    )
    reason = _core_reason(card)
    if applied:
        parts = ", ".join(f"{r.name} {r.movement:+d}" + (" (exceptional)" if r.exceptional else "") for r in applied)
        limit = int(rulebook.value("override_net_limit"))
        capped = any(r.capped for r in applied)
        reason += f"; overrides {parts}" + (f", net capped at ±{limit}" if capped else "") + f" → {rating}"
    reason += f": {band} ({response})"
    return FinanceRating(
        "ten_point", normalised, card, card.rating, rating, str(rating), band, response, records, net, reason
    )


def _override_uses(r: Override, rulebook: Rulebook) -> list[RuleValue]:
    names = {
        "pfi_share": ("pfi_share_formula", "pfi_share_limit", "pfi_override_points"),
        "indebtedness": ("indebtedness_formula", "indebtedness_limit", "indebtedness_override_points"),
        "credit_rating": (
            "credit_rating_downgrade_from_notch",
            "credit_rating_upgrade_to_notch",
            "credit_rating_override_points",
        ),
        "block_contract_share": ("block_contract_share_limit", "block_contract_override_points"),
        "commissioner_count": ("commissioner_count_minimum", "commissioner_override_points"),
    }.get(r.name, ("qualitative_event_kinds", "cost_to_rectify_effect", "qualitative_min_movement"))
    flags = (
        ("event_window", r.event_id),
        ("override_net_limit", r.capped),
        ("exceptional_requires_evidence", r.exceptional),
    )
    extra = [name for name, used in flags if used]
    return _uses(rulebook, *names, *extra)
