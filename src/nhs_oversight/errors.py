"""The errors a user can act on, in one module with no heavy imports.

Every front end maps them the same way: the command line prints one line and exits with
:attr:`OversightError.exit_code`; the HTTP API answers :attr:`OversightError.http_status`
with ``{"detail": message}``. Anything else that escapes is a bug, and the front ends still
show one line, never a traceback.
"""

from __future__ import annotations

__all__ = ["OversightError", "Refused", "NotFound", "UsageError"]


class OversightError(Exception):
    """Base of every error meant for a user: the message is one line that says what is
    wrong and what to do."""

    exit_code = 1
    http_status = 400

    def __init__(self, message: str, param: str | None = None) -> None:
        super().__init__(message)
        self.param = param

    @property
    def message(self) -> str:
        """The one line shown to the user."""
        return " ".join(str(self).split())


class Refused(OversightError):
    """The inputs or the environment were refused (exit status 1)."""


class NotFound(Refused):
    """An unknown organisation or rulebook, or a period with no data (HTTP 404)."""

    http_status = 404


class UsageError(OversightError):
    """A wrong argument or option (exit status 2, HTTP 422); ``param`` names it."""

    exit_code = 2
    http_status = 422
