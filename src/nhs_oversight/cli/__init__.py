"""The ``oversight`` command: typer command groups that parse arguments, call the service
layer (:mod:`nhs_oversight.service.usecases`) and render what it returns.

Exit status: 0 success, 1 refused inputs or environment (one line naming file, row and
column, or what to do), 2 wrong usage. No traceback reaches a user.
"""

from __future__ import annotations

import sys

from . import counts, data, finance, governance, objectives, rulebooks, small_numbers, web  # noqa: F401 - registers
from .app import app
from .errors import report_failure

__all__ = ["app", "main"]


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``oversight`` command."""
    args = sys.argv[1:] if argv is None else argv
    try:
        app(args=args, prog_name="oversight")
    except SystemExit:
        raise
    except BaseException as exc:  # noqa: BLE001 - every failure becomes one line
        sys.exit(report_failure(exc, " ".join(a for a in args[:1] if not a.startswith("-"))))
