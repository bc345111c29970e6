"""What every assessment shares: choosing the rulebook, and its error."""

from __future__ import annotations

from ..periods import FinancialYear
from ..rulebooks import Rulebook, RulebookLibrary, apply_what_if

__all__ = ["AssessmentError", "choose_rulebook"]


class AssessmentError(LookupError):
    """The assessment asked for has nothing to work on (unknown organisation, no data)."""


def choose_rulebook(
    library: RulebookLibrary,
    regime: str,
    year: FinancialYear,
    rulebook: str | None = None,
    what_if: dict[str, object] | None = None,
) -> Rulebook:
    """The named rulebook, or the one of ``regime`` in force at the start of ``year``,
    with any what-if settings applied."""
    chosen = library.get(rulebook) if rulebook else library.in_force(regime, year.start)
    return apply_what_if(chosen, what_if or {})
