"""The service layer: one function per use case (:mod:`.usecases`), one result type
(:class:`.results.Result`), the one place rulebooks are chosen (:mod:`.rulebooks`).

The command line, the HTML report and the HTTP API all call these functions, so they never
disagree. Nothing here prints or knows of typer, rich, HTTP or HTML.
"""

from .common import AssessmentError
from .counts import explain_counts, national_totals, rates_for_year
from .objectives import (
    ObjectivesResult,
    monitor_quarter,
    objectives_for_year,
    objectives_in_force,
    reviews_for_year,
    savings_for_year,
)
from .results import Result
from .rulebooks import choose_rulebook

__all__ = [
    "AssessmentError",
    "Result",
    "choose_rulebook",
    "explain_counts",
    "national_totals",
    "rates_for_year",
    "ObjectivesResult",
    "monitor_quarter",
    "objectives_for_year",
    "objectives_in_force",
    "reviews_for_year",
    "savings_for_year",
]
