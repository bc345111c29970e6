"""Every failure as one line: refused inputs exit 1, wrong usage exits 2, and no traceback
ever reaches a user (``OVERSIGHT_DEBUG=1`` shows it to a developer)."""

from __future__ import annotations

import os
import sys

__all__ = ["report_failure"]


def report_failure(exc: BaseException, command: str) -> int:
    """Print one line for ``exc`` on stderr and return the exit status (``command`` names the
    command for the pointer to its help)."""
    from ..errors import OversightError, UsageError

    if os.environ.get("OVERSIGHT_DEBUG") == "1" and not isinstance(exc, OversightError):
        raise exc
    if isinstance(exc, BrokenPipeError):
        return 1  # the reader went away (e.g. `| head`): nothing left to tell it
    if isinstance(exc, KeyboardInterrupt):
        _say("Interrupted: nothing was written.")
        return 130
    if isinstance(exc, UsageError):
        where = f"Invalid value for {exc.param}: " if exc.param else ""
        _say(f"Error: {where}{exc.message}")
        _say(f"Try 'oversight {command} --help' for help.".replace("  ", " "))
        return 2
    if isinstance(exc, OversightError):
        _say(f"Refused: {exc.message}")
        return exc.exit_code
    _say(_known(exc) or _unexpected(exc))
    return 1


def _say(line: str) -> None:
    try:
        print(line, file=sys.stderr)
    except (BrokenPipeError, OSError):  # pragma: no cover - nowhere left to say it
        pass


def _one_line(text: object) -> str:
    return " ".join(str(text).split())


def _known(exc: BaseException) -> str | None:
    """Failures a user can act on that come from below the service layer."""
    name = type(exc).__name__
    if name in ("RulebookError", "StoreError", "PeriodError", "OutputError", "FormulaError"):
        return f"Refused: {_one_line(exc)}"
    if isinstance(exc, MemoryError):
        return "Refused: not enough memory for this command; try a smaller period or fewer organisations."
    if isinstance(exc, PermissionError):
        return f"Refused: permission denied: {exc.filename or _one_line(exc)}"
    if isinstance(exc, FileNotFoundError):
        return f"Refused: no such file or folder: {exc.filename or _one_line(exc)}"
    if isinstance(exc, IsADirectoryError):
        return f"Refused: {exc.filename} is a folder, not a file"
    if isinstance(exc, NotADirectoryError):
        return f"Refused: a part of {exc.filename} is a file, not a folder"
    if isinstance(exc, OSError):
        return f"Refused: {exc.strerror or _one_line(exc)}" + (f": {exc.filename}" if exc.filename else "")
    module = type(exc).__module__
    if module.startswith("sqlalchemy"):
        orig = getattr(exc, "orig", None)
        detail = _one_line(orig if orig is not None else exc).split(" [SQL:")[0]
        if "locked" in detail:
            return "Refused: the database is busy with another writer; try again in a moment."
        return f"Refused: the database could not be used ({name}: {detail[:300]})"
    return None


def _unexpected(exc: BaseException) -> str:
    return (
        f"Error: an unexpected {type(exc).__name__} ({_one_line(exc)[:200]}); nothing was written. "
        "This is a bug: please report it with the command you ran (OVERSIGHT_DEBUG=1 shows the details)."
    )
