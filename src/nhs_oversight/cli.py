"""The ``oversight`` command (INTERFACE.md).

Exit status: 0 success, 1 the inputs were refused (the message names file, row and
column), 2 wrong usage. Heavy libraries are imported inside the commands so that
``oversight --help`` starts quickly.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    from rich.console import Console
    from sqlalchemy import Engine

    from .service import ObjectivesResult
    from .periods import FinancialYear, Quarter
    from .rulebooks import RulebookLibrary

app = typer.Typer(
    name="oversight",
    help="English NHS provider oversight as code: infection objectives, governance and "
    "financial risk ratings, with every result explained.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
rulebooks_app = typer.Typer(
    help="List the rulebooks, or show one with every value's source.", invoke_without_command=True
)
app.add_typer(rulebooks_app, name="rulebooks")
objectives_app = typer.Typer(
    help="Infection objectives: MRSA (RULES.md §1) and C. difficile (§2).", no_args_is_help=True
)
app.add_typer(objectives_app, name="objectives")


class Organism(StrEnum):
    mrsa = "mrsa"
    cdiff = "cdiff"


class KindGroup(StrEnum):
    trust = "trust"
    pct = "pct"


class Method(StrEnum):
    uniform = "uniform"
    median_quartile = "median-quartile"


class Regime(StrEnum):
    counts = "counts"
    mrsa_objective = "mrsa-objective"
    cdiff_objective = "cdiff-objective"
    monitor = "monitor"
    governance = "governance"
    finance = "finance"


class Rating(StrEnum):
    green = "green"
    amber_green = "amber_green"
    amber_red = "amber_red"
    red = "red"


class Action(StrEnum):
    accept = "accept"
    hold = "hold"
    escalate = "escalate"


OrganismOpt = Annotated[Organism | None, typer.Option("--organism", help="Default: both.")]
KindOpt = Annotated[
    KindGroup | None, typer.Option("--kind", help="trust (acute and independent trusts) or pct (PCTs and CCGs).")
]
YearOpt = Annotated[str, typer.Option("--year", help="Financial year, e.g. 2012-13.")]
BaselineOpt = Annotated[
    str | None, typer.Option("--baseline", help="Baseline financial year (default: from the rulebook).")
]

DataOpt = Annotated[
    Path | None,
    typer.Option("--data", help="Read a data folder (DATA.md) instead of the database.", file_okay=False),
]
DbOpt = Annotated[
    str | None,
    typer.Option("--db", help="SQLAlchemy URL or SQLite file path (default: the embedded database)."),
]
RulebookOpt = Annotated[str | None, typer.Option("--rulebook", help="A rulebook id or a path to a rulebook file.")]
SetOpt = Annotated[
    list[str] | None,
    typer.Option("--set", help="name=value: override one rulebook value for a what-if run (repeatable)."),
]
OutOpt = Annotated[Path | None, typer.Option("--out", help="Write the table to FILE (.csv, .json, .parquet or .xlsx).")]


def _console(stderr: bool = False) -> Console:
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=False)


@contextlib.contextmanager
def _refusals() -> Iterator[None]:
    """Turn refused inputs into exit status 1 with the message on stderr."""
    from .service import AssessmentError
    from .inputs import InputError
    from .rulebooks import RulebookError
    from .store import StoreError

    try:
        yield
    except InputError as exc:
        typer.echo(f"Refused: {exc.summary()}", err=True)
        raise typer.Exit(1) from None
    except (RulebookError, StoreError, AssessmentError) as exc:
        typer.echo(f"Refused: {exc}", err=True)
        raise typer.Exit(1) from None


def _library() -> RulebookLibrary:
    from .rulebooks import load_library

    with _refusals():
        return load_library()


def _what_if(items: list[str] | None) -> dict[str, object]:
    from .rulebooks import RulebookError, parse_set

    try:
        return parse_set(items or [])
    except RulebookError as exc:
        raise typer.BadParameter(str(exc), param_hint="--set") from None


def _known_rulebook(library: RulebookLibrary, rulebook: str | None) -> None:
    """--rulebook names a shipped id or an existing file; anything else is a usage error (exit 2)."""
    if rulebook is not None and rulebook not in library.files and not Path(rulebook).exists():
        raise typer.BadParameter(
            f"no rulebook {rulebook!r}; known: {', '.join(library.ids())}", param_hint="--rulebook"
        )


def _check_rulebook(
    library: RulebookLibrary,
    rulebook: str | None,
    what_if: dict[str, object],
    regime: str | None = None,
    year: FinancialYear | None = None,
) -> None:
    """Unknown ids and bad --set names are usage errors (exit 2); a broken file is refused (exit 1).

    Without --rulebook, --set is checked against the rulebook of ``regime`` in force in ``year``.
    """
    from .rulebooks import RulebookError, apply_what_if

    _known_rulebook(library, rulebook)
    if rulebook is None and (regime is None or year is None or not what_if):
        return
    with _refusals():
        if rulebook is not None:
            rb = library.get(rulebook)
        else:
            assert regime is not None and year is not None
            rb = library.in_force(regime, year.start)
    try:
        apply_what_if(rb, what_if)
    except RulebookError as exc:
        raise typer.BadParameter(str(exc), param_hint="--set") from None


def _year(text: str, hint: str = "--year"):
    from .periods import FinancialYear, PeriodError

    try:
        return FinancialYear.parse(text)
    except PeriodError as exc:
        raise typer.BadParameter(str(exc), param_hint=hint) from None


def _engine(data: Path | None, db: str | None, library: RulebookLibrary) -> Engine:
    """The database to read: a data folder loaded into memory, or ``--db``."""
    from .inputs import read_data_folder
    from .store import is_empty, load_dataset, memory_store, open_store, resolve_db_url

    if data is not None and db is not None:
        raise typer.BadParameter("give either --data or --db, not both", param_hint="--data/--db")
    with _refusals():
        if data is not None:
            engine = memory_store()
            load_dataset(engine, read_data_folder(data, library))
            return engine
        engine = open_store(db)
        if is_empty(engine):
            typer.echo(
                f"Refused: the database {resolve_db_url(db)} is empty: load data with "
                "`oversight import DIR` or try `oversight demo`.",
                err=True,
            )
            raise typer.Exit(1)
        return engine


def _setup(
    data: Path | None,
    db: str | None,
    rulebook: str | None,
    set_: list[str] | None,
    regime: str,
    year: FinancialYear,
) -> tuple[RulebookLibrary, dict[str, object], Engine]:
    """What every assessment command needs: the library, checked what-if settings, the data."""
    library = _library()
    what_if = _what_if(set_)
    _check_rulebook(library, rulebook, what_if, regime, year)
    return library, what_if, _engine(data, db, library)


def _show_table(frame: pd.DataFrame, title: str | None = None, max_rows: int = 400) -> None:
    """Print a table that fits the terminal: headers wrap at underscores, the first column
    (a code) is never broken, and a ``reason`` column is listed below the table, one line
    per row, so that it reads as sentences."""
    from rich.table import Table

    reasons = frame["reason"] if "reason" in frame.columns else None
    shown = frame.drop(columns="reason") if reasons is not None else frame
    table = Table(title=title, show_lines=False, header_style="bold")
    for i, col in enumerate(shown.columns):
        numeric = shown[col].dtype.kind in "iuf"
        table.add_column(
            str(col).replace("_", " "),
            justify="right" if numeric else "left",
            no_wrap=i == 0,
            overflow="fold",
        )
    for row in shown.head(max_rows).itertuples(index=False):
        table.add_row(*[_cell(v) for v in row])
    console = _console()
    console.print(table)
    if reasons is not None:
        first = shown.columns[0]
        for key, reason in zip(shown[first].head(max_rows), reasons.head(max_rows)):
            console.print(f"  {key}: {reason}", soft_wrap=True)
    if len(frame) > max_rows:
        console.print(f"… {len(frame) - max_rows} more rows; use --out FILE for the whole table")


def _cell(value: object) -> str:
    """A cell as text: floats to 2 decimals, or 3 below 1 (probabilities)."""
    if _blank(value):
        return ""
    if isinstance(value, float):
        return f"{value:,.3f}" if abs(value) < 1 else f"{value:,.2f}"
    return str(value)


def _blank(value: object) -> bool:
    try:
        return value is None or value != value  # NaN is not equal to itself
    except (TypeError, ValueError):
        return False


def _emit(
    frame: pd.DataFrame,
    out: Path | None,
    title: str,
    metadata: dict[str, object],
    display: list[str] | None = None,
) -> None:
    """Write ``frame`` to ``--out``, or print it: on screen only the ``display`` columns,
    with the assumed values the rows rest on listed once below the table."""
    from .output import write_table

    if out is None:
        shown = frame[[c for c in display if c in frame.columns]] if display else frame
        _show_table(shown, title)
        if "assumed" in frame.columns:
            names = sorted({n for cell in frame["assumed"].dropna() for n in str(cell).split(";") if n})
            if names:
                _console().print(f"These results rest on assumed values: {', '.join(names)}.")
        if display:
            _console().print(f"(--out FILE writes all {len(frame.columns)} columns)")
        return
    try:
        write_table(frame, out, metadata)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--out") from None
    _console().print(f"Wrote {len(frame):,} rows to {out}")


@app.command("import")
def import_(
    folder: Annotated[Path, typer.Argument(help="A data folder (DATA.md).", file_okay=False)],
    db: DbOpt = None,
    replace: Annotated[
        bool, typer.Option("--replace", help="Empty the database first, so it holds exactly this folder.")
    ] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Validate only; write nothing.")] = False,
) -> None:
    """Validate a data folder and load it, all or nothing.

    A re-import merges: rows with a key already in the database replace it, new keys are
    added, other rows stay. With --replace the database holds exactly the folder.
    """
    import pandas as pd
    from rich.progress import Progress

    from .inputs import read_data_folder
    from .store import load_dataset, open_store, read_table, resolve_db_url

    library = _library()
    url = resolve_db_url(db)
    with _refusals(), Progress(transient=True, console=_console(stderr=True)) as progress:
        task = progress.add_task("Reading", total=None)
        # an embedded database that does not exist yet is created only once the folder is valid
        exists = not url.startswith("sqlite:///") or Path(url.removeprefix("sqlite:///")).exists()
        engine = open_store(url) if exists else None
        known = read_table(engine, "organisations") if engine is not None else None
        data = read_data_folder(
            folder, library, known_orgs=known, progress=lambda n: progress.update(task, description=f"Reading {n}")
        )
        if dry_run:
            progress.stop()
            _show_table(pd.DataFrame({"table": list(data.rows()), "rows": list(data.rows().values())}), "Valid")
            _console().print("Dry run: the folder is valid; nothing was written.")
            return
        engine = engine if engine is not None else open_store(url)
        summary = load_dataset(
            engine, data, replace=replace, progress=lambda n: progress.update(task, description=f"Writing {n}")
        )
    rows = data.rows()
    frame = pd.DataFrame(
        {
            "table": list(rows),
            "rows": list(rows.values()),
            "inserted": [summary.inserted.get(t, 0) for t in rows],
            "updated": [summary.updated.get(t, 0) for t in rows],
            "unchanged": [rows[t] - summary.inserted.get(t, 0) - summary.updated.get(t, 0) for t in rows],
        }
    )
    _show_table(frame, f"Import {summary.import_id} into {url} ({'replace' if replace else 'merge'})")


class PublishedOrganism(StrEnum):
    mrsa = "mrsa"
    cdiff = "cdiff"
    ecoli = "ecoli"


@app.command("import-published")
def import_published(
    file: Annotated[Path, typer.Argument(help="A published mandatory-surveillance table (DATA.md).", dir_okay=False)],
    organism: Annotated[
        PublishedOrganism | None, typer.Option("--organism", help="Default: from the table's title.")
    ] = None,
    db: DbOpt = None,
    out_dir: Annotated[
        Path | None, typer.Option("--out-dir", help="Write a data folder here instead of loading.", file_okay=False)
    ] = None,
) -> None:
    """Read a published table (wide trust or CCG tables, or the long tables from 2018-19).

    The Totals row is not imported: it is checked against the sum of the rows, and a
    mismatch is reported. Organisations already in the database keep their name and kind.
    """
    import pandas as pd

    from .inputs.published import read_published, write_data_folder
    from .store import load_dataset, open_store, read_table

    if not file.exists():
        raise typer.BadParameter(f"{file}: no such file", param_hint="FILE")
    with _refusals():
        table = read_published(file, organism.value if organism else None)
        if out_dir is not None:
            written = write_data_folder(table, out_dir)
        else:
            data = table.to_dataset()
            engine = open_store(db)
            known = read_table(engine, "organisations")
            orgs = data.tables["organisations"]
            data.tables["organisations"] = orgs[~orgs["code"].isin(known["code"])]
            summary = load_dataset(engine, data)
    console = _console()
    console.print(
        f"{file.name}: {table.layout} table of {table.organism}, {len(table.organisations):,} organisations, "
        f"{int(table.infections['cases'].sum()):,} cases in {table.infections['month'].nunique()} months"
    )
    bad = table.mismatches()
    if len(bad):
        console.print(f"[bold]{len(bad)} published total(s) differ from the sum of the rows:[/]", markup=True)
        _show_table(bad, "Totals that do not match")
    else:
        console.print(f"Every published total ({len(table.totals)}) equals the sum of the rows.")
    if out_dir is not None:
        console.print(f"Wrote {', '.join(str(p) for p in written.values())}")
    else:
        frame = pd.DataFrame(
            {
                "table": list(summary.inserted),
                "inserted": list(summary.inserted.values()),
                "updated": [summary.updated[t] for t in summary.inserted],
            }
        )
        _show_table(frame, f"Import {summary.import_id}")


@app.command("imports")
def imports_(db: DbOpt = None) -> None:
    """Show the import log: when, from where, which files, rows and checksums."""
    from .store import import_log, open_store

    with _refusals():
        log = import_log(open_store(db))
    _show_table(log, "Import log")


@rulebooks_app.callback()
def rulebooks_list(ctx: typer.Context) -> None:
    """List the rulebooks: id, regime, years in force, how many values are assumed."""
    if ctx.invoked_subcommand is not None:
        return
    import pandas as pd

    library = _library()
    frame = pd.DataFrame(
        [
            {
                "id": rb.id,
                "regime": rb.regime,
                "years in force": rb.in_force.years if rb.in_force else "only when named",
                "values": len(rb.values),
                "assumed": len(rb.assumed),
            }
            for rb in library.all()
        ]
    )
    _show_table(frame, "Rulebooks")


@rulebooks_app.command("show")
def rulebooks_show(
    rulebook: Annotated[str, typer.Argument(help="A rulebook id or a path to a rulebook file.")],
    set_: SetOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Print one rulebook with every value, its unit, status, source and note."""
    import json

    from .rulebooks import STATUS_MEANING, apply_what_if

    library = _library()
    what_if = _what_if(set_)
    _check_rulebook(library, rulebook, what_if)
    with _refusals():
        rb = apply_what_if(library.get(rulebook), what_if)
    if as_json:
        typer.echo(json.dumps(rb.model_dump(mode="json"), indent=2, default=str))
        return
    console = _console()
    console.print(f"[bold]{rb.label}[/] — {rb.title}", markup=True)
    console.print(
        f"regime {rb.regime}; in force {rb.in_force or 'only when named'}"
        + (f"; extends {' → '.join(rb.extends)}" if rb.extends else "")
    )
    if rb.description:
        console.print(rb.description.strip())
    for v in rb.values.values():
        console.print(
            f"\n[bold]{v.name}[/] = {v.value!r} {v.unit}  ({v.status}: {STATUS_MEANING[v.status]})", markup=True
        )
        console.print(f"  source: {v.source.title} <{v.source.address}>")
        console.print(f"  note: {' '.join(v.note.split())}")
        if v.rulebook != rb.id:
            console.print(f"  inherited from {v.rulebook}")
    console.print(f"\n{len(rb.assumed)} of {len(rb.values)} values are assumed.")


@app.command()
def rates(
    year: YearOpt,
    organism: OrganismOpt = None,
    kind: KindOpt = None,
    data: DataOpt = None,
    db: DbOpt = None,
    rulebook: RulebookOpt = None,
    set_: SetOpt = None,
    out: OutOpt = None,
) -> None:
    """Cases and rates by organisation for a financial year (RULES.md §0)."""
    from .service import rates_for_year

    fy = _year(year)
    library, what_if, engine = _setup(data, db, rulebook, set_, "hcai-counting", fy)
    with _refusals():
        frame, rb = rates_for_year(engine, library, fy, rulebook=rulebook, what_if=what_if)
    if organism:
        frame = frame[frame["organism"] == organism.value]
    if kind:
        frame = frame[frame["apportionment"] == ("trust" if kind is KindGroup.trust else "population")]
    meta: dict[str, object] = {"command": "rates", "financial_year": str(fy), "rulebook": rb.id, "what_if": what_if}
    display = [
        "org_code",
        "name",
        "kind",
        "organism",
        "cases",
        "denominator",
        "rate",
        "rate_lower",
        "rate_upper",
        "reason",
    ]
    _emit(frame.reset_index(drop=True), out, f"Cases and rates, {fy} ({rb.label})", meta, display)


@app.command()
def explain(
    org: Annotated[str, typer.Argument(help="Organisation code, e.g. RTH.")],
    period: Annotated[str, typer.Option("--period", help="Financial year (2012-13) or quarter (2012-13-Q2).")],
    regime: Annotated[
        Regime | None,
        typer.Option(
            "--regime",
            help="Which result: counts, mrsa-objective, cdiff-objective, monitor, governance, finance "
            "(default: counts for a year, governance for a quarter).",
        ),
    ] = None,
    organism: OrganismOpt = None,
    data: DataOpt = None,
    db: DbOpt = None,
    rulebook: RulebookOpt = None,
    set_: SetOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the trace as JSON.")] = False,
) -> None:
    """The full trace of one result: every input, rule and value with its source."""
    from .service import AssessmentError, explain_counts
    from .service.explain import explain_monitor, explain_objective
    from .periods import FinancialYear, PeriodError, Quarter, parse_period

    try:
        p = parse_period(period)
    except PeriodError as exc:
        raise typer.BadParameter(str(exc), param_hint="--period") from None
    regime = regime or (Regime.governance if isinstance(p, Quarter) else Regime.counts)
    quarterly = regime in (Regime.monitor, Regime.governance)
    if regime is not Regime.finance and quarterly != isinstance(p, Quarter):
        need = "a quarter, e.g. 2012-13-Q2" if quarterly else "a financial year, e.g. 2012-13"
        raise typer.BadParameter(f"--regime {regime.value} explains {need}", param_hint="--period")
    year = p.year if isinstance(p, Quarter) else p
    assert isinstance(year, FinancialYear)
    if regime is Regime.finance:
        from .service.finance import explain_finance

        library = _library()
        what_if = _what_if(set_)
        engine = _engine(data, db, library)
        with _refusals():
            trace = explain_finance(engine, library, org, p, rulebook=rulebook, what_if=what_if)
        typer.echo(trace.to_json() if as_json else trace.to_text())
        return
    rule_regime = {
        "counts": "hcai-counting",
        "monitor": f"{(organism or Organism.cdiff).value}-objective",
        "governance": "monitor-compliance",
    }.get(regime.value, regime.value)
    library, what_if, engine = _setup(data, db, rulebook, set_, rule_regime, year)
    with _refusals():
        if regime is Regime.governance:
            from .service.governance import governance_for_quarter

            assert isinstance(p, Quarter)
            code = org.upper()
            result = governance_for_quarter(engine, library, p, rulebook=rulebook, what_if=what_if, org_codes=[code])
            if code not in result.traces:
                raise AssessmentError(f"{code} is not a rated organisation in the database")
            trace = result.traces[code]
        elif regime is Regime.counts:
            organisms = (organism.value,) if organism else ("mrsa", "cdiff")
            trace = explain_counts(engine, library, org, year, organisms=organisms, rulebook=rulebook, what_if=what_if)
        elif regime is Regime.monitor:
            assert isinstance(p, Quarter)
            trace = explain_monitor(
                engine, library, org, p, (organism or Organism.cdiff).value, rulebook=rulebook, what_if=what_if
            )
        else:
            trace = explain_objective(
                engine, library, org, year, regime.value.split("-")[0], rulebook=rulebook, what_if=what_if
            )
    typer.echo(trace.to_json() if as_json else trace.to_text())


def _objectives(
    organism: str,
    year: str,
    baseline: str | None,
    kind: KindGroup | None,
    data: Path | None,
    db: str | None,
    rulebook: str | None,
    set_: list[str] | None,
    out: Path | None,
    method: Method | None = None,
    reduction: float | None = None,
) -> None:
    import pandas as pd

    from .service import objectives_for_year

    fy = _year(year)
    base = _year(baseline, "--baseline") if baseline else None
    library, what_if, engine = _setup(data, db, rulebook, set_, f"{organism}-objective", fy)
    with _refusals():
        result = objectives_for_year(
            engine,
            library,
            organism,
            fy,
            rulebook=rulebook,
            what_if=what_if,
            baseline=base,
            kind=kind.value if kind else None,
            method=method.value if method else None,
            reduction=reduction,
        )
    table = result.table
    meta: dict[str, object] = {
        "command": f"objectives {organism}",
        "financial_year": str(fy),
        "baseline_period": result.baseline_period,
        "rulebook": result.rulebook.id,
        "what_if": {k: new for k, (_, new) in result.rulebook.what_if.items()},
    }
    if result.national is not None:
        meta["national"] = result.national
        table = pd.concat([table, pd.DataFrame([_national_row(result)])], ignore_index=True)
    title = (
        f"{organism.upper() if organism == 'mrsa' else 'C. difficile'} objectives {fy} "
        f"(baseline {result.baseline_period}; {result.rulebook.label})"
    )
    display = [
        "org_code",
        "kind",
        "baseline_cases",
        "baseline_rate",
        "group",
        "target_rate",
        "target_cases",
        "small_organisation",
        "locally_set",
        "reason",
    ]
    _emit(table, out, title, meta, display)


def _national_row(result: ObjectivesResult) -> dict[str, object]:
    n = result.national or {}
    achieved = n.get("reduction_achieved")
    text = (
        f"national (trusts): baseline {n['baseline_total']:,} cases, objectives {n['objectives_total']:,}: "
        f"a reduction of {achieved:.2%} against {n['reduction_asked']:.0%} asked "
        f"({'meets' if n['meets_ambition'] else 'falls short of'} the ambition)"
    )
    if "national_ambition_cases" in n:
        text += f"; published: {n['national_baseline_cases']:,} → {n['national_ambition_cases']:,}"
    return {
        "org_code": "ENGLAND",
        "kind": "national",
        "baseline_cases": n["baseline_total"],
        "group": "national",
        "target_cases": n["objectives_total"],
        "reason": text,
        "organism": result.table["organism"].iloc[0],
        "financial_year": result.table["financial_year"].iloc[0],
        "baseline_period": result.baseline_period,
        "rulebook": result.rulebook.label,
    }


@objectives_app.command("mrsa")
def objectives_mrsa(
    year: YearOpt,
    baseline: BaselineOpt = None,
    kind: KindOpt = None,
    data: DataOpt = None,
    db: DbOpt = None,
    rulebook: RulebookOpt = None,
    set_: SetOpt = None,
    out: OutOpt = None,
) -> None:
    """MRSA objectives: median / best quartile / 20%, trusts against trusts, PCTs against PCTs."""
    _objectives("mrsa", year, baseline, kind, data, db, rulebook, set_, out)


@objectives_app.command("cdiff")
def objectives_cdiff(
    year: YearOpt,
    baseline: BaselineOpt = None,
    kind: KindOpt = None,
    reduction: Annotated[
        float | None, typer.Option("--reduction", min=0.0, max=1.0, help="National reduction, e.g. 0.18.")
    ] = None,
    method: Annotated[Method | None, typer.Option("--method", help="Allocation to organisations.")] = None,
    data: DataOpt = None,
    db: DbOpt = None,
    rulebook: RulebookOpt = None,
    set_: SetOpt = None,
    out: OutOpt = None,
) -> None:
    """C. difficile objectives for a national reduction, with a national line."""
    _objectives("cdiff", year, baseline, kind, data, db, rulebook, set_, out, method=method, reduction=reduction)


@app.command()
def monitor(
    quarter: Annotated[str, typer.Option("--quarter", help="Quarter, e.g. 2012-13-Q2.")],
    organism: OrganismOpt = None,
    kind: KindOpt = None,
    data: DataOpt = None,
    db: DbOpt = None,
    set_: SetOpt = None,
    out: OutOpt = None,
) -> None:
    """Year-to-date cases against trajectory and objective for every organisation."""
    from .service import monitor_quarter
    from .periods import PeriodError, Quarter

    try:
        q = Quarter.parse(quarter)
    except PeriodError as exc:
        raise typer.BadParameter(str(exc), param_hint="--quarter") from None
    organisms = (organism.value,) if organism else ("mrsa", "cdiff")
    library, what_if, engine = _setup(data, db, None, set_, f"{organisms[-1]}-objective", q.year)
    with _refusals():
        table = monitor_quarter(
            engine,
            library,
            q,
            organisms=organisms,
            kind=kind.value if kind else None,
            what_if={o: what_if for o in organisms},
        )
    display = ["org_code", "kind", "organism", "ytd_cases", "trajectory", "objective", "status", "reason"]
    meta: dict[str, object] = {"command": "monitor", "quarter": str(q), "what_if": what_if}
    _emit(table, out, f"Monitoring to the end of {q}", meta, display)


@app.command()
def savings(
    year: YearOpt,
    organism: Annotated[Organism, typer.Option("--organism")] = Organism.mrsa,
    baseline: BaselineOpt = None,
    data: DataOpt = None,
    db: DbOpt = None,
    rulebook: RulebookOpt = None,
    set_: SetOpt = None,
) -> None:
    """Cases the objectives would avoid and their cost, beside the seed's £160m claim."""
    from .service import savings_for_year

    fy = _year(year)
    base = _year(baseline, "--baseline") if baseline else None
    library, what_if, engine = _setup(data, db, rulebook, set_, f"{organism.value}-objective", fy)
    with _refusals():
        result, _, trace = savings_for_year(
            engine, library, organism.value, fy, rulebook=rulebook, what_if=what_if, baseline=base
        )
    typer.echo(trace.to_text())


@app.command()
def reviews(
    year: YearOpt,
    data: DataOpt = None,
    db: DbOpt = None,
    out: OutOpt = None,
) -> None:
    """Zero tolerance: MRSA cases by post-infection review assignment (trust, CCG, third party)."""
    from .service import reviews_for_year

    fy = _year(year)
    library, _, engine = _setup(data, db, None, None, "mrsa-objective", fy)
    with _refusals():
        table = reviews_for_year(engine, fy)
    _emit(table, out, f"MRSA post-infection reviews, {fy}", {"command": "reviews", "financial_year": str(fy)})


def _quarter(text: str, hint: str = "--quarter") -> Quarter:
    from .periods import PeriodError, Quarter

    try:
        return Quarter.parse(text)
    except PeriodError as exc:
        raise typer.BadParameter(str(exc), param_hint=hint) from None


@app.command()
def governance(
    quarter: Annotated[str, typer.Option("--quarter", help="Quarter, e.g. 2012-13-Q2.")],
    data: DataOpt = None,
    db: DbOpt = None,
    rulebook: RulebookOpt = None,
    set_: SetOpt = None,
    out: OutOpt = None,
) -> None:
    """Governance risk ratings (RULES.md §3): calculated and published, for every rated trust."""
    from .service.governance import governance_for_quarter

    q = _quarter(quarter)
    library = _library()
    what_if = _what_if(set_)
    _check_quarter_rulebook(library, rulebook, what_if, q)
    engine = _engine(data, db, library)
    with _refusals():
        result = governance_for_quarter(engine, library, q, rulebook=rulebook, what_if=what_if)
    meta: dict[str, object] = {
        "command": "governance",
        "quarter": str(q),
        "rulebook": result.rulebook.id,
        "what_if": what_if,
    }
    display = ["org_code", "kind", "score", "rating", "published_rating", "failed", "escalation", "reason"]
    _emit(result.table, out, f"Governance risk ratings, {q} ({result.rulebook.label})", meta, display)


def _check_quarter_rulebook(
    library: RulebookLibrary, rulebook: str | None, what_if: dict[str, object], q: Quarter
) -> None:
    """--rulebook and --set for a quarterly regime: checked against the rulebook in force then."""
    from .service.governance import governance_rulebook
    from .rulebooks import RulebookError

    _known_rulebook(library, rulebook)
    try:
        governance_rulebook(library, q, rulebook, what_if)
    except RulebookError as exc:
        if what_if and "--set" in str(exc):
            raise typer.BadParameter(str(exc), param_hint="--set") from None
        typer.echo(f"Refused: {exc}", err=True)
        raise typer.Exit(1) from None


@app.command()
def decide(
    org: Annotated[str, typer.Argument(help="Organisation code.")],
    quarter: Annotated[str, typer.Option("--quarter", help="Quarter, e.g. 2012-13-Q2.")],
    reason: Annotated[str, typer.Option("--reason", help="Why: kept in the audit log.")],
    by: Annotated[str, typer.Option("--by", help="Who decides: kept in the audit log.")],
    rating: Annotated[Rating | None, typer.Option("--rating", help="The rating to publish.")] = None,
    action: Annotated[
        Action | None,
        typer.Option(
            "--action",
            help="accept the calculated rating, hold at --rating, or escalate "
            "(default: accept if --rating is absent or equal to the calculated rating, else hold).",
        ),
    ] = None,
    db: DbOpt = None,
    rulebook: RulebookOpt = None,
) -> None:
    """Record an analyst's decision on a calculated rating (downgrades are not automatic).

    The decision, the calculated rating and score, who and why are appended to the audit log.
    """
    from .service.governance import governance_for_quarter
    from .store.decisions import Decision, record_decision

    q = _quarter(quarter)
    if action is Action.hold and rating is None:
        raise typer.BadParameter("--action hold needs --rating", param_hint="--rating")
    if not reason.strip() or not by.strip():
        raise typer.BadParameter("give a reason and who decides", param_hint="--reason/--by")
    library = _library()
    _check_quarter_rulebook(library, rulebook, {}, q)
    engine = _engine(None, db, library)
    code = org.upper()
    with _refusals():
        result = governance_for_quarter(engine, library, q, rulebook=rulebook, org_codes=[code])
    if result.table.empty:
        typer.echo(f"Refused: {code} is not a rated organisation in the database", err=True)
        raise typer.Exit(1)
    row = result.table.iloc[0]
    calculated = str(row["rating"])
    chosen = action or (Action.accept if rating is None or rating.value == calculated else Action.hold)
    if chosen is Action.accept and rating is not None and rating.value != calculated:
        raise typer.BadParameter(
            f"--action accept publishes the calculated rating {calculated}; "
            f"use --action hold to publish {rating.value}",
            param_hint="--rating",
        )
    published = rating.value if rating is not None else calculated
    decision_id = record_decision(
        engine,
        Decision(
            code,
            str(q),
            chosen.value,
            published,
            calculated,
            float(row["score"]),
            result.rulebook.id,
            reason.strip(),
            by.strip(),
        ),
    )
    typer.echo(
        f"Decision {decision_id}: {code} {q}: {chosen.value}; calculated {calculated} (score {row['score']:g}), "
        f"published {published}; by {by.strip()}: {reason.strip()}"
    )


@app.command()
def history(
    org: Annotated[str, typer.Argument(help="Organisation code.")],
    db: DbOpt = None,
    data: DataOpt = None,
    out: OutOpt = None,
) -> None:
    """A trust's governance ratings quarter by quarter, calculated and published, and its decisions."""
    from .service.governance import history as rating_history
    from .service.governance import quarters_with_data

    library = _library()
    engine = _engine(data, db, library)
    with _refusals():
        table, log = rating_history(engine, library, org, quarters_with_data(engine))
    _emit(table, out, f"Governance history of {org.upper()}", {"command": "history", "org_code": org.upper()})
    if out is None and len(log):
        _show_table(
            log[
                [
                    "id",
                    "quarter",
                    "action",
                    "calculated_rating",
                    "published_rating",
                    "decided_by",
                    "decided_at",
                    "reason",
                ]
            ],
            "Decisions (audit log)",
        )


FigureOpt = Annotated[
    Path | None, typer.Option("--figure", help="Also draw the figure to FILE (.png or .svg).", dir_okay=False)
]


@app.command()
def chance(
    year: YearOpt,
    quarter: Annotated[
        str | None, typer.Option("--quarter", help="Year to date to this quarter, e.g. 2012-13-Q2.")
    ] = None,
    data: DataOpt = None,
    db: DbOpt = None,
    rulebook: RulebookOpt = None,
    set_: SetOpt = None,
    out: OutOpt = None,
    figure: FigureOpt = None,
) -> None:
    """If its true rate were exactly on target: each organisation's chance of a breach and of a
    downgrade the governance rulebook scores (exact Poisson; RULES.md §6)."""
    from .service.chance import chance_for

    fy = _year(year)
    q = _quarter(quarter) if quarter else None
    if q is not None and q.year != fy:
        raise typer.BadParameter(f"{q} is not in {fy}", param_hint="--quarter")
    library = _library()
    what_if = _what_if(set_)
    _check_quarter_rulebook(library, rulebook, what_if, q or _quarter(f"{fy}-Q4"))
    engine = _engine(data, db, library)
    with _refusals():
        table, rb = chance_for(engine, library, fy, quarter=q, rulebook=rulebook, what_if=what_if)
    meta: dict[str, object] = {"command": "chance", "period": str(q or fy), "rulebook": rb.id, "what_if": what_if}
    display = ["org_code", "organism", "kind", "expected_cases", "objective", "p_breach", "p_downgrade", "size_band"]
    _emit(table, out, f"Chance of a breach and a downgrade on target, {q or fy} ({rb.label})", meta, display)
    if figure is not None:
        from .stats.figures import chance_by_size_plot, save

        wide = table.pivot_table(index=["org_code", "organism"], values=["expected_cases", "p_breach", "p_downgrade"])
        fig = chance_by_size_plot(
            wide.reset_index(),
            ["p_breach", "p_downgrade"],
            expected="expected_cases",
            title=f"Chance on target by size, {q or fy} ({rb.id})",
        )
        _console().print(f"Figure: {save(fig, figure)}")


@app.command()
def compare(
    rulebook_a: Annotated[str, typer.Argument(help="A governance rulebook id or file.")],
    rulebook_b: Annotated[str, typer.Argument(help="Another governance rulebook id or file.")],
    year: YearOpt,
    quarter: Annotated[
        str | None, typer.Option("--quarter", help="Year to date to this quarter (default: the year's end).")
    ] = None,
    set_: SetOpt = None,
    set_a: Annotated[list[str] | None, typer.Option("--set-a", help="name=value for rulebook A only.")] = None,
    set_b: Annotated[list[str] | None, typer.Option("--set-b", help="name=value for rulebook B only.")] = None,
    data: DataOpt = None,
    db: DbOpt = None,
    out: OutOpt = None,
    figure: FigureOpt = None,
) -> None:
    """Chance-downgrade rates by organisation size band under two rulebooks: who carries the
    risk of random variation (e.g. the 12-case de minimis against none, or a size-scaled limit)."""
    from .service.chance import chance_for, compare_rulebooks

    fy = _year(year)
    q = _quarter(quarter) if quarter else None
    library = _library()
    both = _what_if(set_)
    settings = {"a": {**both, **_what_if(set_a)}, "b": {**both, **_what_if(set_b)}}
    for name, rb_id in (("a", rulebook_a), ("b", rulebook_b)):
        _check_quarter_rulebook(library, rb_id, settings[name], q or _quarter(f"{fy}-Q4"))
    engine = _engine(data, db, library)
    with _refusals():
        a, rb_a = chance_for(engine, library, fy, quarter=q, rulebook=rulebook_a, what_if=settings["a"])
        b, rb_b = chance_for(engine, library, fy, quarter=q, rulebook=rulebook_b, what_if=settings["b"])
    table = compare_rulebooks(a, b)
    table.insert(2, "rulebook_a", rb_a.label)
    table.insert(3, "rulebook_b", rb_b.label)
    meta: dict[str, object] = {"command": "compare", "period": str(q or fy), "a": rb_a.label, "b": rb_b.label}
    display = [
        "organism",
        "size_band",
        "organisations",
        "mean_expected",
        "p_downgrade_a",
        "p_downgrade_b",
        "expected_downgrades_a",
        "expected_downgrades_b",
    ]
    _emit(table, out, f"Chance of a downgrade on target, {q or fy}: A = {rb_a.label}, B = {rb_b.label}", meta, display)
    if figure is not None:
        from .stats.figures import chance_by_size_plot, save

        both = a.merge(b[["org_code", "organism", "p_downgrade"]], on=["org_code", "organism"], suffixes=("_a", "_b"))
        both = both[both["organism"] == "cdiff"].rename(
            columns={"p_downgrade_a": f"A: {rb_a.label}", "p_downgrade_b": f"B: {rb_b.label}"}
        )
        fig = chance_by_size_plot(
            both,
            [f"A: {rb_a.label}", f"B: {rb_b.label}"],
            expected="expected_cases",
            ylabel="chance of a C. difficile downgrade on target",
            title=f"Who carries the risk of random variation, {q or fy}",
        )
        _console().print(f"Figure: {save(fig, figure)}")


class Dispersion(StrEnum):
    winsorised = "winsorised"
    truncated = "truncated"


@app.command()
def funnel(
    year: YearOpt,
    organism: Annotated[Organism, typer.Option("--organism")] = Organism.cdiff,
    kind: Annotated[KindGroup, typer.Option("--kind")] = KindGroup.trust,
    overdispersion: Annotated[
        Dispersion | None,
        typer.Option("--overdispersion", help="Widen the limits by an overdispersion estimate (Spiegelhalter 2005)."),
    ] = None,
    data: DataOpt = None,
    db: DbOpt = None,
    rulebook: RulebookOpt = None,
    set_: SetOpt = None,
    out: OutOpt = None,
    figure: FigureOpt = None,
) -> None:
    """Funnel plot: each organisation's cases against those expected at the national rate, with
    95% and 99.8% control limits (exact Poisson unless --overdispersion)."""
    from .service.funnel import funnel_for_year

    fy = _year(year)
    library, what_if, engine = _setup(data, db, rulebook, set_, "hcai-counting", fy)
    with _refusals():
        table, limits, rb = funnel_for_year(
            engine,
            library,
            fy,
            organism.value,
            kind=kind.value,
            dispersion=overdispersion.value if overdispersion else None,
            rulebook=rulebook,
            what_if=what_if,
        )
    meta: dict[str, object] = {"command": "funnel", "financial_year": str(fy), "rulebook": rb.id, "what_if": what_if}
    display = ["org_code", "kind", "observed", "expected", "ratio", "rate", "rate_lower", "rate_upper", "position"]
    _emit(table, out, f"Funnel: {organism.value}, {kind.value}s, {fy}", meta, display)
    if figure is not None:
        from .stats.figures import funnel_plot, save

        fig = funnel_plot(
            table,
            observed="observed",
            expected="expected",
            label="org_code",
            levels=limits.levels,
            method=limits.method,
            overdispersion=limits.overdispersion,
            effect=limits.effect,
            title=f"{'C. difficile' if organism is Organism.cdiff else 'MRSA'}, {kind.value}s, {fy}",
        )
        _console().print(f"Figure: {save(fig, figure)}")


@app.command()
def finance(
    period: Annotated[str, typer.Option("--period", help="Financial year (2012-13) or quarter (year to date).")],
    rulebook: RulebookOpt = None,
    two_star: Annotated[
        bool, typer.Option("--two-star", help="Continuity rating: mark a 2 unlikely to get worse as 2*.")
    ] = False,
    data: DataOpt = None,
    db: DbOpt = None,
    set_: SetOpt = None,
    out: OutOpt = None,
) -> None:
    """Financial ratings (RULES.md §4, §5, §7): Monitor's FRR 1–5, the 10-point scale with overrides
    (monitor-licence-consultation-2012), or the continuity of service rating (monitor-raf-2013)."""
    from .service import AssessmentError
    from .service.finance import finance_for_period, finance_rulebook
    from .periods import PeriodError, parse_period
    from .rulebooks import RulebookError

    try:
        p = parse_period(period)
    except PeriodError as exc:
        raise typer.BadParameter(str(exc), param_hint="--period") from None
    library = _library()
    what_if = _what_if(set_)
    _known_rulebook(library, rulebook)
    try:
        finance_rulebook(library, p, rulebook, what_if)
    except RulebookError as exc:
        raise typer.BadParameter(str(exc), param_hint="--set") from None
    except AssessmentError as exc:
        typer.echo(f"Refused: {exc}", err=True)
        raise typer.Exit(1) from None
    engine = _engine(data, db, library)
    with _refusals():
        table, _, rb = finance_for_period(engine, library, p, rulebook, what_if, two_star=two_star)
    meta: dict[str, object] = {"command": "finance", "period": str(p), "rulebook": rb.id, "what_if": what_if}
    display = [
        "org_code",
        "kind",
        "weighted_score",
        "uncapped_rating",
        "rating_label",
        "normalised_rating_label",
        "band",
        "overrides_applied",
        "reason",
    ]
    _emit(table, out, f"Financial ratings, {p} ({rb.label})", meta, display)


@app.command("demo-data")
def demo_data(
    out_dir: Annotated[Path, typer.Argument(help="Folder to write the demo data folder into.", file_okay=False)],
    seed: Annotated[int, typer.Option("--seed", help="Random seed; the same seed gives the same files.")] = 20121,
) -> None:
    """Write the bundled demo data set (fictional, realistic) as a data folder."""
    from .demo.generate import generate_demo

    rows = generate_demo(out_dir, seed=seed)
    for name, n in rows.items():
        typer.echo(f"{name}: {n:,} rows")
    typer.echo(f"Wrote the demo data folder to {out_dir}")


@app.command()
def demo(
    db: DbOpt = None,
    out_dir: Annotated[
        Path | None, typer.Option("--out-dir", help="Where to write the data folder and report.", file_okay=False)
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Random seed of the demo data.")] = 20121,
) -> None:
    """The main job on bundled demo data: build the database, assess, summarise, report.

    The demo uses its own database (demo.sqlite beside the embedded one) unless --db is
    given, so it never overwrites data you imported.
    """
    from .demo.run import run_demo

    with _refusals():
        result = run_demo(db=db, out_dir=out_dir, seed=seed, console=_console())
    _console().print(f"Report: {result.report}")


def main() -> None:
    """Entry point of the ``oversight`` command."""
    try:
        app()
    except KeyboardInterrupt:  # pragma: no cover
        sys.exit(130)


if __name__ == "__main__":  # pragma: no cover
    main()
