"""Assessments: the store's frames for the period asked, handed to the pure rules.

This is the one place where the command line, the report and (later) the HTTP API get
their results, so the same rule function serves them all.
"""

from .common import AssessmentError, choose_rulebook
from .counts import explain_counts, national_totals, rates_for_year
from .objectives import (
    ObjectivesResult,
    monitor_quarter,
    objectives_for_year,
    objectives_in_force,
    reviews_for_year,
    savings_for_year,
)

__all__ = [
    "AssessmentError",
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
