"""``oversight rates`` and ``oversight explain``."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from . import common as c
from .app import app


@app.command()
def rates(
    year: c.YearOpt,
    organism: c.OrganismOpt = None,
    kind: c.KindOpt = None,
    data: c.DataOpt = None,
    db: c.DbOpt = None,
    rulebook: c.RulebookOpt = None,
    set_: c.SetOpt = None,
    out: c.OutOpt = None,
) -> None:
    """Cases and rates by organisation for a financial year, each rate with an exact Poisson interval.

    \b
    Example:
      oversight rates --year 2012-13 --organism mrsa --kind trust --out mrsa.csv
    """
    fy = c.year(year)
    c.assess(
        data,
        db,
        out,
        set_,
        "Counting cases and rates",
        lambda uc, eng, lib, w: uc.rates(
            eng,
            lib,
            fy,
            organism=organism.value if organism else None,
            kind=kind.value if kind else None,
            rulebook=rulebook,
            what_if=w,
        ),
    )


class Regime(StrEnum):
    counts = "counts"
    mrsa_objective = "mrsa-objective"
    cdiff_objective = "cdiff-objective"
    monitor = "monitor"
    governance = "governance"
    finance = "finance"


@app.command()
def explain(
    org: Annotated[str, typer.Argument(help="Organisation code, e.g. RTH.")],
    period: Annotated[
        str, typer.Option("--period", metavar="PERIOD", help="Financial year (2012-13) or quarter (2012-13-Q2).")
    ],
    regime: Annotated[
        Regime | None,
        typer.Option(
            "--regime",
            help="Which result: counts, mrsa-objective, cdiff-objective, monitor, governance, finance "
            "(default: counts for a year, governance for a quarter).",
        ),
    ] = None,
    organism: c.OrganismOpt = None,
    data: c.DataOpt = None,
    db: c.DbOpt = None,
    rulebook: c.RulebookOpt = None,
    set_: c.SetOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the trace as JSON.")] = False,
) -> None:
    """The whole trace of one result: every input, rule and value with its source, and the
    assumed values it rests on.

    \b
    Examples:
      oversight explain R0C --period 2012-13 --regime mrsa-objective
      oversight explain R0C --period 2012-13-Q4 --json
    """
    p = c.period(period)
    trace, _ = c.compute(
        data,
        db,
        set_,
        "Tracing the result",
        lambda uc, eng, lib, w: uc.explain(
            eng,
            lib,
            org,
            p,
            regime=regime.value if regime else None,
            organism=organism.value if organism else None,
            rulebook=rulebook,
            what_if=w,
        ),
    )
    typer.echo(trace.to_json() if as_json else trace.to_text())
