"""Choosing the rulebook: the one place a named rulebook, ``--set`` and the rulebook in force
are resolved and checked, for every regime and every front end."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import Refused, UsageError
from ..periods import Period
from ..regimes import REGIMES, Regime
from ..rulebooks import Rulebook, RulebookError, RulebookLibrary, apply_what_if, parse_set
from .common import AssessmentError

__all__ = ["choose_rulebook", "parse_what_if", "check_rulebook_name"]


def parse_what_if(items: list[str] | None, param: str = "--set") -> dict[str, Any]:
    """``name=value`` items → what-if settings; a malformed item is a usage error naming ``param``."""
    try:
        return parse_set(items or [])
    except RulebookError as exc:
        raise UsageError(str(exc), param=param) from None


def check_rulebook_name(library: RulebookLibrary, rulebook: str | None, param: str = "--rulebook") -> None:
    """A named rulebook is a shipped id or an existing file; anything else is a usage error."""
    if rulebook is None or rulebook in library.files:
        return
    if not Path(rulebook).is_file():
        raise UsageError(f"no rulebook {rulebook!r}; known: {', '.join(library.ids())}", param=param)


def choose_rulebook(
    library: RulebookLibrary,
    regime: Regime | str,
    period: Period,
    rulebook: str | None = None,
    what_if: dict[str, Any] | None = None,
    *,
    param: str = "--rulebook",
) -> Rulebook:
    """The named rulebook, or the one of ``regime`` in force on the regime's day of ``period``,
    with the what-if settings applied.

    Raises
    ------
    UsageError
        An unknown rulebook, one of another regime, or a ``--set`` name it does not have.
    NotFound
        No rulebook of the regime is in force then (name one).
    Refused
        A rulebook file that cannot be read.
    """
    regime = REGIMES[regime] if isinstance(regime, str) else regime
    check_rulebook_name(library, rulebook, param)
    if rulebook is not None:
        try:
            chosen = library.get(rulebook)
        except RulebookError as exc:
            raise Refused(str(exc)) from None
        if chosen.regime not in regime.ids:
            of = REGIMES.get(chosen.regime)
            raise UsageError(
                f"{chosen.id} is a {of.name if of else chosen.regime} rulebook; "
                f"this needs a {regime.name} rulebook ({' or '.join(regime.ids)})",
                param=param,
            )
    else:
        chosen = _in_force(library, regime, period)
    try:
        return apply_what_if(chosen, what_if or {})
    except RulebookError as exc:
        raise UsageError(str(exc), param="--set") from None


def _in_force(library: RulebookLibrary, regime: Regime, period: Period) -> Rulebook:
    day = regime.date(period)
    for rid in regime.ids:
        try:
            return library.in_force(rid, day)
        except RulebookError:
            continue
    raise AssessmentError(f"no {regime.name} rulebook is in force on {day} (for {period}); name one with --rulebook")
