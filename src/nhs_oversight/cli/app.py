"""The ``oversight`` application and its command groups (registered by the command modules)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import typer

from .errors import report_failure

__all__ = ["app", "rulebooks_app", "objectives_app", "guarded"]


def guarded(func: Callable[..., Any], command: str) -> Callable[..., Any]:
    """``func`` with every failure turned into one line and its exit status, however it is invoked
    (the installed command, ``python -m``, or a test's CliRunner)."""

    @functools.wraps(func)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (typer.Exit, SystemExit):
            raise
        except BaseException as exc:  # noqa: BLE001 - every failure becomes one line
            raise typer.Exit(report_failure(exc, command)) from None

    return run


class OversightTyper(typer.Typer):
    """A Typer whose commands never let a traceback through."""

    def __init__(self, *args: Any, prefix: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._prefix = prefix

    def command(  # type: ignore[override]  # typer's full keyword list, passed through
        self, name: str | None = None, **kwargs: Any
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        register = super().command(name, **kwargs)

        def decorator(func: Callable[..., Any]) -> Callable[..., Any]:
            command = " ".join(p for p in (self._prefix, name or func.__name__.strip("_").replace("_", "-")) if p)
            register(guarded(func, command))
            return func

        return decorator

    def callback(  # type: ignore[override]  # typer's full keyword list, passed through
        self, *args: Any, **kwargs: Any
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        register = super().callback(*args, **kwargs)

        def decorator(func: Callable[..., Any]) -> Callable[..., Any]:
            register(guarded(func, self._prefix))
            return func

        return decorator


app = OversightTyper(
    name="oversight",
    help="English NHS provider oversight as code: infection objectives, governance and financial risk ratings, "
    "with every result explained. Start with `oversight demo`.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
rulebooks_app = OversightTyper(
    prefix="rulebooks",
    help="List the rulebooks, or show one with every value's source.\n\n\b\nExamples:\n  oversight rulebooks\n"
    "  oversight rulebooks show monitor-compliance-2012-13",
    invoke_without_command=True,
)
app.add_typer(rulebooks_app, name="rulebooks")
objectives_app = OversightTyper(
    prefix="objectives",
    help="Infection objectives: MRSA (median, best quartile, 20%) and C. difficile (a national reduction).\n\n"
    "\b\nExamples:\n  oversight objectives mrsa --year 2012-13\n  oversight objectives cdiff --year 2012-13 "
    "--reduction 0.2",
    no_args_is_help=True,
)
app.add_typer(objectives_app, name="objectives")
