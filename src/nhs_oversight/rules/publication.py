"""Publishing governance ratings: downgrades are never automatic.

Seed 000: a breach of the C. difficile objective "would not automatically lead to a downgrade";
Monitor's analysts decide. The published record is therefore a chain, quarter by quarter:

- an analyst's decision for the quarter publishes the rating it names;
- otherwise a calculated rating no worse than the previous quarter's **published** rating is
  published as calculated;
- a calculated downgrade is held at the previous quarter's published rating, marked pending,
  and stays held quarter after quarter until an analyst decides or the calculated rating is
  no worse than the published one;
- a significant breach is flagged for the analyst's attention and waits for a decision too.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from .governance import is_downgrade

__all__ = ["Published", "DecisionMade", "publish", "rating_label"]


def rating_label(rating: str) -> str:
    """``amber_green`` → ``Amber-green``: how people write a rating."""
    return rating.replace("_", "-").capitalize()


@dataclass(frozen=True)
class DecisionMade:
    """The latest analyst's decision on one trust's quarter."""

    action: str
    published_rating: str
    decided_by: str
    decided_at: dt.datetime
    reason: str


@dataclass(frozen=True)
class Published:
    """One quarter's published rating and how it came about.

    Attributes
    ----------
    rating : str
        The published rating.
    decision : str
        In words: a decision, ``as calculated: …`` or ``pending: …``.
    pending : bool
        A downgrade or a significant breach awaits an analyst's decision.
    """

    rating: str
    decision: str
    pending: bool = False


def publish(
    calculated: str,
    significant_breach: bool,
    previous: Published | None,
    previous_quarter: str | None,
    decision: DecisionMade | None = None,
) -> Published:
    """The published rating of a quarter, from its calculated rating, the previous quarter's
    published rating and any decision recorded for the quarter.

    Parameters
    ----------
    calculated : str
        This quarter's calculated rating.
    significant_breach : bool
        A significant breach was declared in the quarter.
    previous : Published, optional
        The previous quarter's published rating (None at the start of the record).
    previous_quarter : str, optional
        The previous quarter, for the words.
    decision : DecisionMade, optional
        The latest decision recorded for this quarter.
    """
    if decision is not None:
        return Published(
            decision.published_rating,
            f"{decision.action} by {decision.decided_by} on {decision.decided_at:%Y-%m-%d}: "
            f"published {rating_label(decision.published_rating)} ({decision.reason})",
        )
    calc = rating_label(calculated)
    if previous is None:
        if significant_breach:
            return Published(
                calculated,
                f"pending: a significant breach is flagged for the analyst's attention; {calc} is published "
                "as calculated (no earlier published rating) until an analyst decides",
                pending=True,
            )
        return Published(calculated, "as calculated: the first quarter of the published record")
    prior = rating_label(previous.rating)
    if significant_breach:
        return Published(
            previous.rating,
            f"pending: a significant breach is flagged for the analyst's attention; calculated {calc}, "
            f"held at {prior} (published for {previous_quarter}) until an analyst decides",
            pending=True,
        )
    if is_downgrade(calculated, previous.rating):
        return Published(
            previous.rating,
            f"pending: a downgrade from {prior} (published for {previous_quarter}) to {calc} awaits an "
            "analyst's decision",
            pending=True,
        )
    return Published(calculated, f"as calculated: no downgrade from {prior} (published for {previous_quarter})")
