"""``oversight demo``: generate the demo data, load it, assess it, summarise and report."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import platformdirs
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from ..inputs import read_data_folder
from ..report.html import ReportContext, build_report, render_report
from ..rulebooks import load_library
from ..service import national_totals
from ..store import load_dataset, open_store, redact_url, resolve_db_url
from .generate import generate_demo

__all__ = ["DemoResult", "demo_home", "run_demo"]


@dataclass(frozen=True)
class DemoResult:
    """Where the demo put things, and what it loaded."""

    database: str
    data_dir: Path
    report: Path
    rows: dict[str, int]
    totals: pd.DataFrame


def demo_home() -> Path:
    """``<user data dir>/nhs-oversight``: the demo's database, data folder and report."""
    return platformdirs.user_data_path("nhs-oversight", appauthor=False)


def run_demo(
    db: str | None = None,
    out_dir: Path | None = None,
    seed: int = 20121,
    console: Console | None = None,
) -> DemoResult:
    """Run the main job on the bundled demo data.

    Parameters
    ----------
    db : str, optional
        A database URL or path; default ``<user data dir>/nhs-oversight/demo.sqlite``.
    out_dir : Path, optional
        Where the data folder (``demo-data/``) and report (``demo-report.html``) go;
        default the user data directory.
    seed : int
        The demo data's random seed.
    console : rich.console.Console, optional
        Where the progress and summary are printed.
    """
    console = console or Console()
    home = out_dir or demo_home()
    data_dir = home / "demo-data"
    url = resolve_db_url(db or (demo_home() / "demo.sqlite"))
    library = load_library()
    with Progress(console=console, transient=True) as progress:
        step = progress.add_task("Generating the demo data", total=5)
        rows = generate_demo(data_dir, seed=seed)
        progress.update(step, advance=1, description="Validating the data folder")
        data = read_data_folder(data_dir, library)
        progress.update(step, advance=1, description="Loading the database")
        engine = open_store(url, create=True)
        load_dataset(engine, data, replace=True)
        progress.update(step, advance=1, description="Assessing counts and rates")
        totals = national_totals(engine)
        context = ReportContext(
            source=str(data_dir),
            database=redact_url(url),
            generated_at=dt.datetime.now(dt.UTC),
            demo=True,
            seed=seed,
            figures_dir=home / "figures",
        )
        variables = build_report(engine, library, context)
        progress.update(step, advance=1, description="Writing the report")
        report = render_report(variables, home / "demo-report.html")
        progress.update(step, advance=1)
    _print_summary(console, variables, rows, redact_url(url))
    if variables.get("small_numbers"):
        for png in variables["small_numbers"]["pngs"]:
            console.print(f"Figure: {png}")
    return DemoResult(database=url, data_dir=data_dir, report=report, rows=rows, totals=totals)


def _print_summary(console: Console, variables: dict, rows: dict[str, int], url: str) -> None:
    loaded = Table(title="Demo data loaded", header_style="bold")
    loaded.add_column("table")
    loaded.add_column("rows", justify="right")
    for name, n in rows.items():
        loaded.add_row(name, f"{n:,}")
    console.print(loaded)
    national = Table(title="National counts by financial year", header_style="bold")
    national.add_column("year")
    for c in variables["national_columns"]:
        national.add_column(c, justify="right")
    for row in variables["national_rows"]:
        national.add_row(row[0], *[f"{v:,}" for v in row[1:]])
    console.print(national)
    for what, value in variables["summary"]:
        console.print(f"{what}: {value}")
    console.print(f"Database: {url}")
