"""The board summary: a few plain-English sentences written from a rating's trace and rows.

No language model: each sentence is a template filled from the rules that fired (which
objective, how far above trajectory, what the de minimis did, whether the rating is held for
a decision, how likely the breach was by chance alone). A sentence whose facts are missing is
left out, never guessed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from ...present.labels import label

__all__ = ["board_summary"]

ORGANISM = {"cdiff": "C. difficile", "mrsa": "MRSA"}


def _n(value: Any) -> float | None:
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) else f


def _cases(value: float) -> str:
    n = int(round(value))
    return f"{n} case" if n == 1 else f"{n} cases"


def _chance(p: float) -> str:
    if p < 0.001:
        return "less than 1 in 1,000"
    if p < 0.01:
        return f"about 1 in {round(1 / p):,}"
    return f"about {p:.0%}"


def _uses(trace: Mapping[str, Any] | None, name: str) -> Any:
    for step in (trace or {}).get("steps", []):
        for use in step.get("uses", []):
            if use.get("name") == name:
                return use.get("value")
    return None


def board_summary(
    name: str,
    quarter: str,
    governance: Mapping[str, Any] | None,
    trace: Mapping[str, Any] | None,
    monitor: Sequence[Mapping[str, Any]],
    chance: Sequence[Mapping[str, Any]],
) -> list[str]:
    """Sentences for a board paper about one organisation in one quarter.

    Parameters
    ----------
    governance : mapping, optional
        The organisation's row of ``oversight governance`` for the quarter (None when it is
        not rated, e.g. a PCT).
    trace : mapping, optional
        Its governance trace (``Trace.to_dict()``), for the values the rules used.
    monitor : list of mapping
        Its rows of ``oversight monitor`` for the quarter (one per organism).
    chance : list of mapping
        Its rows of ``oversight chance`` for the quarter (one per organism).
    """
    out: list[str] = []
    if governance is not None:
        rating = label(governance.get("rating"), "rating")
        published = label(governance.get("published_rating"), "rating")
        score = _n(governance.get("score"))
        failed = [f for f in str(governance.get("failed") or "").split(";") if f]
        what = (
            "no target failed"
            if not failed
            else "failed " + ", ".join(ORGANISM.get(f, label(f).lower()) for f in failed)
        )
        score_text = f" (service performance score {score:g})" if score is not None else ""
        out.append(f"At {quarter}, {name} is calculated {rating}{score_text}: {what}.")
        if governance.get("pending"):
            out.append(
                f"This is a downgrade, so it is not published yet: the published rating stays {published} "
                "until an analyst decides."
            )
        elif published != rating:
            out.append(f"The published rating is {published}, by an analyst's decision.")
        else:
            out.append(f"The published rating is {published}.")
        if governance.get("escalation"):
            out.append("A target failed for the third quarter running, so the trust is put up for escalation.")
    by_organism = {str(m.get("organism")): m for m in monitor}
    odds = {str(c.get("organism")): c for c in chance}
    de_minimis = _n(_uses(trace, "cdiff_de_minimis"))
    for organism in ("cdiff", "mrsa"):
        row = by_organism.get(organism)
        if row is None:
            continue
        cases, trajectory, objective = _n(row.get("ytd_cases")), _n(row.get("trajectory")), _n(row.get("objective"))
        if cases is None or trajectory is None:
            continue
        bug = ORGANISM[organism]
        if cases > trajectory:
            over = cases - trajectory
            share = f", {over / trajectory:.0%} over" if trajectory > 0 else ""
            out.append(
                f"{bug}: {_cases(cases)} to the end of {quarter}, {_cases(over)} above the trajectory "
                f"of {trajectory:g}{share}."
            )
            if organism == "cdiff" and de_minimis is not None and governance is not None:
                if cases < de_minimis:
                    out.append(
                        f"The de minimis of {de_minimis:g} C. difficile cases kept this from counting as a "
                        f"failure: {_cases(cases)} is below it."
                    )
                else:
                    out.append(
                        f"{_cases(cases).capitalize()} reach the de minimis of {de_minimis:g}, "
                        "so it counts as a failure."
                    )
        else:
            out.append(f"{bug}: {_cases(cases)} to the end of {quarter}, within the trajectory of {trajectory:g}.")
        if objective is not None and cases > objective:
            out.append(f"The annual {bug} objective of {_cases(objective)} is already exceeded.")
        p = _n(odds.get(organism, {}).get("p_breach"))
        if p is not None and cases > trajectory:
            out.append(
                f"If its true {bug} rate were exactly on target, a breach would happen by chance alone "
                f"with a probability of {_chance(p)}."
            )
    return out
