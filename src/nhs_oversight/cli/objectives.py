"""Infection objectives: ``objectives mrsa|cdiff``, ``monitor``, ``savings``, ``reviews``."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from . import common as c
from .app import app, objectives_app


class Method(StrEnum):
    uniform = "uniform"
    median_quartile = "median-quartile"


def _objectives(
    organism: str,
    year: str,
    baseline: str | None,
    kind: c.KindGroup | None,
    data: Path | None,
    db: str | None,
    rulebook: str | None,
    set_: list[str] | None,
    out: Path | None,
    method: Method | None = None,
    reduction: float | None = None,
) -> None:
    fy = c.year(year)
    base = c.year(baseline, "--baseline") if baseline else None
    c.assess(
        data,
        db,
        out,
        set_,
        "Setting objectives",
        lambda uc, eng, lib, w: uc.objectives(
            eng,
            lib,
            organism,
            fy,
            baseline=base,
            kind=kind.value if kind else None,
            method=method.value if method else None,
            reduction=reduction,
            rulebook=rulebook,
            what_if=w,
        ),
    )


@objectives_app.command("mrsa")
def objectives_mrsa(
    year: c.YearOpt,
    baseline: c.BaselineOpt = None,
    kind: c.KindOpt = None,
    rates: Annotated[
        Path | None,
        typer.Option(
            "--rates",
            help="Run the rule on a published rates table (e.g. UKHSA's MRSA rates by ICB) instead of the data: "
            "groups and target rates; target cases need a population.",
        ),
    ] = None,
    data: c.DataOpt = None,
    db: c.DbOpt = None,
    rulebook: c.RulebookOpt = None,
    set_: c.SetOpt = None,
    out: c.OutOpt = None,
) -> None:
    """MRSA objectives: worse than the median, reduce to the median or by 20% (whichever is greater);
    better, to the best quartile or by 20% (whichever is less); trusts against trusts, PCTs against PCTs.

    \b
    Examples:
      oversight objectives mrsa --year 2012-13 --kind trust --out mrsa-objectives.xlsx
      oversight objectives mrsa --year 2023-24 --rates Trust_Rates_final_ICB_rates_by_organism.csv \\
        --rulebook mrsa-objective-2010-11
    """
    if rates is None:
        _objectives("mrsa", year, baseline, kind, data, db, rulebook, set_, out)
        return
    if data is not None or db is not None or baseline is not None or kind is not None:
        raise c.UsageError(
            "--rates reads a published table: give no --data, --db, --baseline or --kind", param="--rates"
        )
    fy = c.year(year)
    settings = c.what_if(set_)
    c.check_target(out, c.OUT_SUFFIXES, "--out")
    from ..service import usecases

    result = usecases.objectives_from_rates(c.library(), rates, fy, rulebook=rulebook, what_if=settings)
    c.emit(result, out, database=rates.name)


@objectives_app.command("cdiff")
def objectives_cdiff(
    year: c.YearOpt,
    baseline: c.BaselineOpt = None,
    kind: c.KindOpt = None,
    reduction: Annotated[
        float | None, typer.Option("--reduction", min=0.0, max=0.99, help="National reduction, e.g. 0.18.")
    ] = None,
    method: Annotated[
        Method | None, typer.Option("--method", help="Allocation to organisations: uniform or median-quartile.")
    ] = None,
    data: c.DataOpt = None,
    db: c.DbOpt = None,
    rulebook: c.RulebookOpt = None,
    set_: c.SetOpt = None,
    out: c.OutOpt = None,
) -> None:
    """C. difficile objectives for a national reduction, with the national line (ENGLAND).

    \b
    Example:
      oversight objectives cdiff --year 2012-13 --reduction 0.2 --method median-quartile
    """
    _objectives("cdiff", year, baseline, kind, data, db, rulebook, set_, out, method=method, reduction=reduction)


@app.command()
def monitor(
    quarter: c.QuarterOpt,
    organism: c.OrganismOpt = None,
    kind: c.KindOpt = None,
    data: c.DataOpt = None,
    db: c.DbOpt = None,
    set_: c.SetOpt = None,
    out: c.OutOpt = None,
) -> None:
    """Year-to-date cases against the trajectory and the annual objective of every organisation.

    \b
    Example:
      oversight monitor --quarter 2012-13-Q2 --organism cdiff
    """
    q = c.quarter(quarter)
    c.assess(
        data,
        db,
        out,
        set_,
        "Monitoring against trajectories",
        lambda uc, eng, lib, w: uc.monitor(
            eng,
            lib,
            q,
            organism=organism.value if organism else None,
            kind=kind.value if kind else None,
            what_if=w,
        ),
    )


@app.command()
def savings(
    year: c.YearOpt,
    organism: Annotated[c.Organism, typer.Option("--organism")] = c.Organism.mrsa,
    baseline: c.BaselineOpt = None,
    data: c.DataOpt = None,
    db: c.DbOpt = None,
    rulebook: c.RulebookOpt = None,
    set_: c.SetOpt = None,
) -> None:
    """Cases the objectives would avoid and their cost, beside the seed's £160m claim.

    \b
    Example:
      oversight savings --year 2012-13 --organism mrsa --set cost_per_case=12000
    """
    fy = c.year(year)
    base = c.year(baseline, "--baseline") if baseline else None
    result, _ = c.compute(
        data,
        db,
        set_,
        "Setting objectives",
        lambda uc, eng, lib, w: uc.savings(
            eng, lib, fy, organism=organism.value, baseline=base, rulebook=rulebook, what_if=w
        ),
    )
    typer.echo(result.traces["ENGLAND"].to_text())


@app.command()
def reviews(
    year: c.YearOpt,
    data: c.DataOpt = None,
    db: c.DbOpt = None,
    out: c.OutOpt = None,
) -> None:
    """Zero tolerance: MRSA cases by post-infection review assignment (trust, CCG, third party, awaiting).

    \b
    Example:
      oversight reviews --year 2013-14
    """
    fy = c.year(year)
    c.check_target(out, c.OUT_SUFFIXES, "--out")
    from ..service import usecases

    lib = c.library()
    eng = c.engine(data, db, lib)
    c.emit(usecases.reviews(eng, lib, fy), out, database=c.source_of(eng))
