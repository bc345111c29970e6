"""What every assessment shares: its error (the rulebook is chosen in :mod:`.rulebooks`)."""

from __future__ import annotations

from ..errors import NotFound

__all__ = ["AssessmentError"]


class AssessmentError(NotFound, LookupError):
    """The assessment asked for has nothing to work on (unknown organisation, no data)."""
