"""``oversight finance``: Monitor's financial risk ratings."""

from __future__ import annotations

from typing import Annotated

import typer

from . import common as c
from .app import app


@app.command()
def finance(
    period: Annotated[
        str, typer.Option("--period", metavar="PERIOD", help="Financial year (2012-13) or quarter (year to date).")
    ],
    rulebook: c.RulebookOpt = None,
    two_star: Annotated[
        bool, typer.Option("--two-star", help="Continuity rating: mark a 2 unlikely to get worse as 2*.")
    ] = False,
    data: c.DataOpt = None,
    db: c.DbOpt = None,
    set_: c.SetOpt = None,
    out: c.OutOpt = None,
) -> None:
    """Financial ratings: Monitor's FRR 1-5 (monitor-frr-2012-13), the proposed 10-point scale with
    overrides (monitor-licence-consultation-2012), or the continuity of service rating (monitor-raf-2013).

    \b
    Examples:
      oversight finance --period 2012-13
      oversight finance --period 2012-13 --rulebook monitor-licence-consultation-2012 --out ten-point.xlsx
    """
    p = c.period(period)
    settings = c.what_if(set_)
    c.check_target(out, c.OUT_SUFFIXES, "--out")
    from ..service import usecases

    lib = c.library()
    eng = c.engine(data, db, lib)
    with c.busy("Rating providers' finances"):
        result = usecases.finance(eng, lib, p, rulebook=rulebook, what_if=settings, two_star=two_star)
    c.emit(result, out, database=c.source_of(eng))
