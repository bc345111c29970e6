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
    c.assess(
        data,
        db,
        out,
        set_,
        "Rating providers' finances",
        lambda uc, eng, lib, w: uc.finance(eng, lib, p, rulebook=rulebook, what_if=w, two_star=two_star),
    )
