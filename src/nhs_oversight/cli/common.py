"""What every command shares: its options, argument parsing, opening the data, and showing or
writing a result. Heavy libraries are imported inside the functions, so ``--help`` and usage
errors start quickly."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from enum import StrEnum
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from ..errors import Refused, UsageError

if TYPE_CHECKING:  # pragma: no cover
    from rich.console import Console
    from sqlalchemy import Engine

    from ..periods import FinancialYear, Period, Quarter
    from ..rulebooks import RulebookLibrary
    from ..service.results import Result


T = TypeVar("T")


class Organism(StrEnum):
    mrsa = "mrsa"
    cdiff = "cdiff"


class KindGroup(StrEnum):
    trust = "trust"
    pct = "pct"


OrganismOpt = Annotated[
    Organism | None, typer.Option("--organism", metavar="mrsa|cdiff", help="mrsa or cdiff (default: both).")
]
KindOpt = Annotated[
    KindGroup | None,
    typer.Option("--kind", metavar="trust|pct", help="trust (acute and independent trusts) or pct (PCTs and CCGs)."),
]
YearOpt = Annotated[str, typer.Option("--year", metavar="FY", help="Financial year, e.g. 2012-13.")]
QuarterOpt = Annotated[str, typer.Option("--quarter", metavar="QUARTER", help="Quarter, e.g. 2012-13-Q2.")]
BaselineOpt = Annotated[
    str | None, typer.Option("--baseline", metavar="FY", help="Baseline financial year (default: from the rulebook).")
]
DataOpt = Annotated[
    Path | None,
    typer.Option(
        "--data", metavar="DIR", help="Read a data folder (see `oversight import --help`) instead of the database."
    ),
]
DbOpt = Annotated[
    str | None,
    typer.Option(
        "--db",
        metavar="URL",
        help="Database: a SQLite file path or an SQLAlchemy URL (default: the embedded database, $OVERSIGHT_DB).",
    ),
]
RulebookOpt = Annotated[
    str | None,
    typer.Option("--rulebook", metavar="ID", help="A rulebook id (see `oversight rulebooks`) or a rulebook file."),
]
SetOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--set", metavar="NAME=VALUE", help="name=value: change one rulebook value for a what-if run (repeatable)."
    ),
]
OutOpt = Annotated[
    Path | None,
    typer.Option("--out", metavar="FILE", help="Write the whole table to FILE (.csv, .json, .parquet or .xlsx)."),
]
FigureOpt = Annotated[
    Path | None, typer.Option("--figure", metavar="FILE", help="Also draw the figure to FILE (.png or .svg).")
]

OUT_SUFFIXES = (".csv", ".json", ".parquet", ".xlsx")
FIGURE_SUFFIXES = (".png", ".svg")


def console(stderr: bool = False) -> Console:
    """A console that never inserts colour codes into redirected output."""
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=False)


def library() -> RulebookLibrary:
    """Every rulebook known (shipped and ``$OVERSIGHT_RULEBOOKS``)."""
    from ..rulebooks import RulebookError, load_library

    try:
        return load_library()
    except RulebookError as exc:
        raise Refused(str(exc)) from None


def what_if(items: list[str] | None, param: str = "--set") -> dict[str, Any]:
    """``--set name=value`` items → settings (checked against the rulebook by the service)."""
    from ..service.rulebooks import parse_what_if

    return parse_what_if(items, param)


def year(text: str, param: str = "--year") -> FinancialYear:
    from ..service import params

    return params.year(text, param)


def quarter(text: str, param: str = "--quarter") -> Quarter:
    from ..service import params

    return params.quarter(text, param)


def period(text: str, param: str = "--period") -> Period:
    from ..service import params

    return params.period(text, param)


def check_target(path: Path | None, suffixes: tuple[str, ...], param: str) -> None:
    """Refuse an output path before any work: its type, and a folder that can take it."""
    if path is None:
        return
    if path.suffix.lower() not in suffixes:
        raise UsageError(f"{path}: unsupported file type {path.suffix!r}; use {', '.join(suffixes)}", param=param)
    if path.is_dir():
        raise Refused(f"{path} is a folder; give a file name")
    folder = path.parent if str(path.parent) else Path(".")
    for part in [folder, *folder.parents]:
        if part.exists():
            if not part.is_dir():
                raise Refused(f"cannot write {path}: {part} is a file, not a folder")
            if part == folder and not os.access(part, os.W_OK | os.X_OK):
                raise Refused(f"cannot write {path}: the folder {part} is not writable")
            break
    if not folder.exists():
        raise Refused(f"cannot write {path}: the folder {folder} does not exist")


def engine(data: Path | None, db: str | None, lib: RulebookLibrary) -> Engine:
    """The data to read: a data folder or a database that exists."""
    from ..service.data import open_data

    with busy("Reading the data"):
        return open_data(data, db, lib)


@contextlib.contextmanager
def busy(description: str) -> Iterator[None]:
    """A spinner on stderr while a step runs (nothing when stderr is not a terminal)."""
    err = console(stderr=True)
    if not err.is_terminal:
        yield
        return
    with err.status(description):
        yield


def source_of(eng: Engine) -> str:
    """The database an engine reads, as it may be shown (no password; ``memory`` for a data folder)."""
    url = eng.url.render_as_string(hide_password=True)
    return "data folder (in memory)" if url in ("sqlite://", "sqlite:///:memory:") else url


def emit(result: Result, out: Path | None, *, database: str | None = None, notes: str | None = "reason") -> None:
    """Write the result to ``--out`` (every column, codes), or show it: the display columns with
    labels, the reasons listed below, and the assumed values the rows rest on."""
    if out is not None:
        from ..present.files import write_table

        meta = result.metadata()
        if database is not None:
            meta["database"] = database
        write_table(result.table, out, meta)
        console().print(f"Wrote {len(result.table):,} rows to {out}")
        return
    from ..present.terminal import render_paragraph, render_table

    out_console = console()
    render_table(
        result.table,
        title=result.title,
        console=out_console,
        display=result.display or None,
        notes=notes if notes in result.table.columns else None,
    )
    if result.assumed:
        render_paragraph(f"These results rest on assumed values: {', '.join(result.assumed)}.", console=out_console)


def compute(
    data: Path | None,
    db: str | None,
    set_: list[str] | None,
    doing: str,
    call: Callable[[ModuleType, Engine, RulebookLibrary, dict[str, Any]], T],
) -> tuple[T, Engine]:
    """Check ``--set``, open the data and run a use case (``call(usecases, engine, library,
    what_if)``) with a spinner saying what it is ``doing``."""
    settings = what_if(set_)
    from ..service import usecases

    lib = library()
    eng = engine(data, db, lib)
    with busy(doing):
        return call(usecases, eng, lib, settings), eng


def assess(
    data: Path | None,
    db: str | None,
    out: Path | None,
    set_: list[str] | None,
    doing: str,
    call: Callable[[ModuleType, Engine, RulebookLibrary, dict[str, Any]], Result],
    *,
    notes: str | None = "reason",
) -> Result:
    """What every table command does once its own arguments are parsed: check ``--out`` before
    any work, :func:`compute`, then write or show the result."""
    check_target(out, OUT_SUFFIXES, "--out")
    result, eng = compute(data, db, set_, doing, call)
    emit(result, out, database=source_of(eng), notes=notes)
    return result
