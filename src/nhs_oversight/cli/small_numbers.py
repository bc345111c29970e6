"""The statistics of small numbers: ``chance``, ``compare``, ``funnel``."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from . import common as c
from .app import app

QuarterOfYearOpt = Annotated[
    str | None, typer.Option("--quarter", help="Year to date to this quarter, e.g. 2012-13-Q2 (default: the year).")
]


def _figure_done(path: Path) -> None:
    c.console().print(f"Figure: {path}")


@app.command()
def chance(
    year: c.YearOpt,
    quarter: QuarterOfYearOpt = None,
    kind: Annotated[
        c.KindGroup, typer.Option("--kind", help="trust (rated by Monitor) or pct (PCTs and CCGs: objectives only).")
    ] = c.KindGroup.trust,
    data: c.DataOpt = None,
    db: c.DbOpt = None,
    rulebook: c.RulebookOpt = None,
    set_: c.SetOpt = None,
    out: c.OutOpt = None,
    figure: c.FigureOpt = None,
) -> None:
    """If its true rate were exactly on target: each organisation's chance of a breach, and of a
    downgrade the governance rulebook scores (exact Poisson); with --kind pct, each PCT's or
    CCG's chance of missing its objective by chance alone.

    \b
    Example:
      oversight chance --year 2012-13 --quarter 2012-13-Q4 --figure chance.png
    """
    fy = c.year(year)
    q = c.quarter(quarter) if quarter else None
    c.check_target(figure, c.FIGURE_SUFFIXES, "--figure")
    result = c.assess(
        data,
        db,
        out,
        set_,
        "Computing chances on target",
        lambda uc, eng, lib, w: uc.chance(eng, lib, fy, quarter=q, rulebook=rulebook, what_if=w, kind=kind.value),
    )
    if figure is not None:
        from ..stats.figures import chance_by_size_plot, save

        wide = result.table.pivot_table(
            index=["org_code", "organism"], values=["expected_cases", "p_breach", "p_downgrade"]
        )
        fig = chance_by_size_plot(
            wide.reset_index(),
            ["p_breach", "p_downgrade"],
            expected="expected_cases",
            title=f"Chance on target by size, {result.period} ({result.rulebook_label})",
        )
        _figure_done(save(fig, figure))


@app.command()
def compare(
    rulebook_a: Annotated[str, typer.Argument(help="A governance rulebook id or file.")],
    rulebook_b: Annotated[str, typer.Argument(help="Another governance rulebook id or file.")],
    year: c.YearOpt,
    quarter: QuarterOfYearOpt = None,
    set_: c.SetOpt = None,
    set_a: Annotated[
        list[str] | None, typer.Option("--set-a", metavar="NAME=VALUE", help="name=value for rulebook A only.")
    ] = None,
    set_b: Annotated[
        list[str] | None, typer.Option("--set-b", metavar="NAME=VALUE", help="name=value for rulebook B only.")
    ] = None,
    data: c.DataOpt = None,
    db: c.DbOpt = None,
    out: c.OutOpt = None,
    figure: c.FigureOpt = None,
) -> None:
    """Chance-downgrade rates by organisation size band under two rulebooks: who carries the risk
    of random variation (e.g. the 12-case de minimis against none, or a size-scaled limit).

    \b
    Example:
      oversight compare monitor-compliance-2012-13 monitor-compliance-2012-13 --year 2012-13 --set-b cdiff_de_minimis=0
    """
    fy = c.year(year)
    q = c.quarter(quarter) if quarter else None
    both = c.what_if(set_)
    settings_a = {**both, **c.what_if(set_a, "--set-a")}
    settings_b = {**both, **c.what_if(set_b, "--set-b")}
    c.check_target(out, c.OUT_SUFFIXES, "--out")
    c.check_target(figure, c.FIGURE_SUFFIXES, "--figure")
    from ..service import usecases

    lib = c.library()
    eng = c.engine(data, db, lib)
    with c.busy("Computing chances under both rulebooks"):
        result = usecases.compare(
            eng, lib, rulebook_a, rulebook_b, fy, quarter=q, what_if_a=settings_a, what_if_b=settings_b
        )
    c.emit(result, out, database=c.source_of(eng))
    if figure is not None:
        from ..stats.figures import chance_by_size_plot, save

        a, b = result.extra["tables"]["a"], result.extra["tables"]["b"]
        label_a, label_b = f"A: {result.extra['a']}", f"B: {result.extra['b']}"
        merged = a.merge(b[["org_code", "organism", "p_downgrade"]], on=["org_code", "organism"], suffixes=("_a", "_b"))
        merged = merged[merged["organism"] == "cdiff"].rename(
            columns={"p_downgrade_a": label_a, "p_downgrade_b": label_b}
        )
        fig = chance_by_size_plot(
            merged,
            [label_a, label_b],
            expected="expected_cases",
            ylabel="chance of a C. difficile downgrade on target",
            title=f"Who carries the risk of random variation, {result.period}",
        )
        _figure_done(save(fig, figure))


class Dispersion(StrEnum):
    winsorised = "winsorised"
    truncated = "truncated"
    shmi = "shmi"


@app.command()
def funnel(
    year: c.YearOpt,
    organism: Annotated[c.Organism, typer.Option("--organism")] = c.Organism.cdiff,
    kind: Annotated[c.KindGroup, typer.Option("--kind")] = c.KindGroup.trust,
    overdispersion: Annotated[
        Dispersion | None,
        typer.Option(
            "--overdispersion",
            help="Widen the limits by an overdispersion estimate (Spiegelhalter 2005): winsorised or truncated "
            "z-scores, or shmi (SHMI practice: log scale, 10%% trimmed by rank).",
        ),
    ] = None,
    data: c.DataOpt = None,
    db: c.DbOpt = None,
    rulebook: c.RulebookOpt = None,
    set_: c.SetOpt = None,
    out: c.OutOpt = None,
    figure: c.FigureOpt = None,
) -> None:
    """Funnel plot: each organisation's cases against those expected at the national rate, with
    95% and 99.8% control limits (exact Poisson by the rulebook's funnel_method unless --overdispersion).

    \b
    Example:
      oversight funnel --year 2012-13 --organism cdiff --figure funnel.png
    """
    fy = c.year(year)
    c.check_target(figure, c.FIGURE_SUFFIXES, "--figure")
    result = c.assess(
        data,
        db,
        out,
        set_,
        "Placing organisations on the funnel",
        lambda uc, eng, lib, w: uc.funnel(
            eng,
            lib,
            fy,
            organism=organism.value,
            kind=kind.value,
            overdispersion=overdispersion.value if overdispersion else None,
            rulebook=rulebook,
            what_if=w,
        ),
    )
    if figure is not None:
        from ..stats.figures import funnel_plot, save

        limits = result.extra["limits"]
        fig = funnel_plot(
            result.table,
            observed="observed",
            expected="expected",
            label="org_code",
            levels=limits.levels,
            method=limits.method,
            overdispersion=limits.overdispersion,
            effect=limits.effect,
            title=f"{'C. difficile' if organism is c.Organism.cdiff else 'MRSA'}, {kind.value}s, {fy}",
        )
        _figure_done(save(fig, figure))


class Chart(StrEnum):
    xmr = "xmr"
    c = "c"
    u = "u"
    t = "t"


@app.command()
def spc(
    org: Annotated[str, typer.Argument(help="Organisation code, e.g. RTH.")],
    organism: Annotated[c.Organism, typer.Option("--organism")] = c.Organism.cdiff,
    first: Annotated[str | None, typer.Option("--from", metavar="MONTH", help="First month, e.g. 2010-04.")] = None,
    last: Annotated[str | None, typer.Option("--to", metavar="MONTH", help="Last month, e.g. 2013-03.")] = None,
    chart: Annotated[
        Chart | None,
        typer.Option(
            "--chart",
            help="xmr (default), c (Poisson), u (per bed-day, trusts) or t (days between cases, for rare events).",
        ),
    ] = None,
    data: c.DataOpt = None,
    db: c.DbOpt = None,
    rulebook: c.RulebookOpt = None,
    set_: c.SetOpt = None,
    out: c.OutOpt = None,
) -> None:
    """A statistical process control chart of an organisation's monthly cases (NHS "Making Data
    Count"): special causes are a point outside the limits, a shift, a trend, or two of three
    points beyond two sigma; fewer infections are better, so a high signal is a concern.

    \b
    Examples:
      oversight spc R0C --organism cdiff
      oversight spc R0C --organism mrsa --chart t --from 2013-04 --to 2014-03
    """
    result = c.assess(
        data,
        db,
        out,
        set_,
        "Charting the months",
        lambda uc, eng, lib, w: uc.spc(
            eng,
            lib,
            org,
            organism.value,
            first=first,
            last=last,
            chart=chart.value if chart else None,
            rulebook=rulebook,
            what_if=w,
        ),
        notes=None,
    )
    if "warning" in result.extra:
        c.console(stderr=True).print(f"Warning: {result.extra['warning']}", soft_wrap=True)
