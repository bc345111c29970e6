"""Getting data in: ``import``, ``import-published``, ``imports``, ``demo-data`` and ``demo``."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from . import common as c
from .app import app


def _url(db: str | None) -> str:
    from ..store import resolve_db_url

    return resolve_db_url(db)


@app.command("import")
def import_(
    folder: Annotated[Path, typer.Argument(help="A data folder.")],
    db: c.DbOpt = None,
    replace: Annotated[
        bool, typer.Option("--replace", help="Empty the database first, so it holds exactly this folder.")
    ] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Validate only; write nothing.")] = False,
) -> None:
    """Validate a data folder and load it, all or nothing.

    A data folder holds organisations.csv, infections.csv, denominators.csv and optionally
    cases.csv, objectives.csv, indicators.csv, financials.csv and events.csv (.xlsx or .parquet
    with the same columns too); `oversight demo-data DIR` writes one to copy. Every problem is
    reported with its file, row and column. A re-import merges: rows whose key is already in the
    database replace it, new keys are added, other rows stay. With --replace the database holds
    exactly the folder.

    \b
    Example:
      oversight demo-data ./demo && oversight import ./demo --db demo.sqlite
    """
    from ..service import usecases

    lib = c.library()
    url = _url(db)
    err = c.console(stderr=True)
    if err.is_terminal:
        with err.status("Reading") as status:
            report = usecases.import_folder(
                folder, url, lib, replace=replace, dry_run=dry_run, progress=lambda s: status.update(s)
            )
    else:
        report = usecases.import_folder(folder, url, lib, replace=replace, dry_run=dry_run)
    from ..service.data import shown_url

    report.result.title += f" into {shown_url(url)}" if report.import_id is not None else ""
    c.emit(report.result, None)
    for note in report.notes:
        c.console().print(note)


class PublishedOrganism(StrEnum):
    mrsa = "mrsa"
    cdiff = "cdiff"
    ecoli = "ecoli"


@app.command("import-published")
def import_published(
    file: Annotated[Path, typer.Argument(help="A published mandatory-surveillance table (CSV).")],
    organism: Annotated[
        PublishedOrganism | None, typer.Option("--organism", help="Default: from the table's title.")
    ] = None,
    db: c.DbOpt = None,
    out_dir: Annotated[
        Path | None, typer.Option("--out-dir", help="Write a data folder here instead of loading.", file_okay=False)
    ] = None,
) -> None:
    """Read a published surveillance table as published (wide trust or CCG tables, or the long
    tables from 2018-19), check its totals against the rows, and load it or write a data folder.

    Organisations already in the database keep their name and kind.

    \b
    Example:
      oversight import-published E.coli_2016-17.csv --out-dir ./ecoli-2016-17
    """
    from ..service import usecases

    lib = c.library()
    with c.busy(f"Reading {file.name}"):
        report = usecases.import_published(
            file, lib, organism=organism.value if organism else None, url=_url(db), out_dir=out_dir
        )
    for note in report.notes:
        c.console().print(note, soft_wrap=True)
    if len(report.result.table):
        c.emit(report.result, None)


@app.command("national-series")
def national_series(
    file: Annotated[Path, typer.Argument(help="UKHSA's annual data tables (.ods).")],
    out: c.OutOpt = None,
) -> None:
    """The national series of UKHSA's annual tables: cases and rates by organism, year and measure.

    \b
    Example:
      oversight national-series Temporal_Rates_UKHSA_annual_data_tables_Sep2024.ods --out national.csv
    """
    c.check_target(out, c.OUT_SUFFIXES, "--out")
    from ..service import usecases

    with c.busy(f"Reading {file.name}"):
        result = usecases.national_series(file)
    c.emit(result, out, database=file.name, notes=None)


@app.command("imports")
def imports_(db: c.DbOpt = None) -> None:
    """The import log: when, from where, which files, rows and SHA-256 checksums.

    \b
    Example:
      oversight imports --db demo.sqlite
    """
    from ..service.results import Result
    from ..store import import_log

    lib = c.library()
    eng = c.engine(None, db, lib)
    log = import_log(eng)
    log = log.assign(sha256=log["sha256"].str[:12], started_at=log["started_at"].astype(str).str[:19])
    display = ["import_id", "started_at", "mode", "table", "file", "rows", "sha256", "source"]
    c.emit(Result(log, "Import log (SHA-256 shortened to 12 characters)", "imports", display=display), None)


@app.command("demo-data")
def demo_data(
    out_dir: Annotated[Path, typer.Argument(help="Folder to write the demo data folder into.", file_okay=False)],
    seed: Annotated[int, typer.Option("--seed", help="Random seed; the same seed gives the same files.")] = 20121,
) -> None:
    """Write the bundled demo data set (fictional, realistic in size) as a data folder.

    \b
    Example:
      oversight demo-data ./demo
    """
    from ..demo.generate import generate_demo

    if out_dir.exists() and not out_dir.is_dir():
        raise c.Refused(f"{out_dir} is a file, not a folder")
    rows = generate_demo(out_dir, seed=seed)
    for name, n in rows.items():
        typer.echo(f"{name}: {n:,} rows")
    typer.echo(f"Wrote the demo data folder to {out_dir}")


@app.command()
def demo(
    db: c.DbOpt = None,
    out_dir: Annotated[
        Path | None, typer.Option("--out-dir", help="Where to write the data folder and report.", file_okay=False)
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Random seed of the demo data.")] = 20121,
) -> None:
    """The main job on the bundled demo data: build the database, assess, summarise, report.

    The demo uses its own database (demo.sqlite in the user data folder) unless --db is
    given, so it never overwrites data you imported.

    \b
    Example:
      oversight demo --out-dir ./demo-run
    """
    from ..demo.run import run_demo

    result = run_demo(db=db, out_dir=out_dir, seed=seed, console=c.console())
    c.console().print(f"Report: {result.report}")
