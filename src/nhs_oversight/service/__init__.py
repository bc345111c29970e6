"""The service layer: one function per use case (:mod:`.usecases`), one result type
(:class:`.results.Result`), the one place rulebooks are chosen (:mod:`.rulebooks`).

The command line, the HTML report and the HTTP API all call these functions, so they never
disagree. Nothing here prints or knows of typer, rich, HTTP or HTML. The names below are
imported when first used, so that a command that needs none of them (``--help``, a usage
error) never pays for pandas or SQLAlchemy.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "AssessmentError": ".common",
    "Result": ".results",
    "choose_rulebook": ".rulebooks",
    "explain_counts": ".counts",
    "national_totals": ".counts",
    "rates_for_year": ".counts",
    "ObjectivesResult": ".objectives",
    "monitor_quarter": ".objectives",
    "objectives_for_year": ".objectives",
    "objectives_in_force": ".objectives",
    "reviews_for_year": ".objectives",
    "savings_for_year": ".objectives",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name], __name__), name)
