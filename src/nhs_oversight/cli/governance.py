"""Monitor's governance risk rating: ``governance``, ``decide``, ``history``."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from . import common as c
from .app import app


class Rating(StrEnum):
    green = "green"
    amber_green = "amber_green"
    amber_red = "amber_red"
    red = "red"


class Action(StrEnum):
    accept = "accept"
    hold = "hold"
    escalate = "escalate"


@app.command()
def governance(
    quarter: c.QuarterOpt,
    data: c.DataOpt = None,
    db: c.DbOpt = None,
    rulebook: c.RulebookOpt = None,
    set_: c.SetOpt = None,
    out: c.OutOpt = None,
) -> None:
    """Governance risk ratings of every rated trust: the calculated rating and score, the
    published rating and the decision behind it (downgrades wait for an analyst).

    \b
    Examples:
      oversight governance --quarter 2012-13-Q2
      oversight governance --quarter 2012-13-Q2 --set cdiff_de_minimis=0 --out what-if.csv
    """
    q = c.quarter(quarter)
    c.assess(
        data,
        db,
        out,
        set_,
        f"Rating every trust up to {q}",
        lambda uc, eng, lib, w: uc.governance(eng, lib, q, rulebook=rulebook, what_if=w),
    )


@app.command()
def decide(
    org: Annotated[str, typer.Argument(help="Organisation code.")],
    quarter: c.QuarterOpt,
    reason: Annotated[str, typer.Option("--reason", metavar="TEXT", help="Why: kept in the audit log.")],
    by: Annotated[str, typer.Option("--by", metavar="NAME", help="Who decides: kept in the audit log.")],
    rating: Annotated[Rating | None, typer.Option("--rating", help="The rating to publish.")] = None,
    action: Annotated[
        Action | None,
        typer.Option(
            "--action",
            help="accept the calculated rating, hold at --rating, or escalate "
            "(default: accept if --rating is absent or equal to the calculated rating, else hold).",
        ),
    ] = None,
    db: c.DbOpt = None,
    rulebook: c.RulebookOpt = None,
) -> None:
    """Record an analyst's decision on a calculated rating in the append-only audit log.

    \b
    Examples:
      oversight decide R0C --quarter 2012-13-Q2 --action accept --reason "Confirmed at review" --by "A. Analyst"
      oversight decide R0C --quarter 2012-13-Q2 --rating green --reason "Data error" --by "A. Analyst"
    """
    q = c.quarter(quarter)
    from ..service import usecases

    lib = c.library()
    eng = c.engine(None, db, lib)
    with c.busy("Rating the trust"):
        d = usecases.decide(
            eng,
            lib,
            org,
            q,
            reason=reason,
            decided_by=by,
            rating=rating.value if rating else None,
            action=action.value if action else None,
            rulebook=rulebook,
        )
    typer.echo(
        f"Decision {d['id']}: {d['org_code']} {d['quarter']}: {d['action']}; calculated {d['calculated_rating']} "
        f"(score {d['calculated_score']:g}), published {d['published_rating']}; by {d['decided_by']}: {d['reason']}"
    )


@app.command()
def history(
    org: Annotated[str, typer.Argument(help="Organisation code.")],
    db: c.DbOpt = None,
    data: c.DataOpt = None,
    out: c.OutOpt = None,
) -> None:
    """A trust's governance ratings quarter by quarter, calculated beside published, and its decisions.

    \b
    Example:
      oversight history R0C
    """
    from ..service.results import Result

    c.check_target(out, c.OUT_SUFFIXES, "--out")
    from ..service import usecases

    lib = c.library()
    eng = c.engine(data, db, lib)
    with c.busy("Rating every quarter of the record"):
        result = usecases.history(eng, lib, org)
    c.emit(result, out, database=c.source_of(eng), notes="decision")
    log = result.extra["decisions"]
    if out is None and len(log):
        cols = [
            "id",
            "quarter",
            "action",
            "calculated_rating",
            "published_rating",
            "decided_by",
            "decided_at",
            "reason",
        ]
        c.emit(Result(log[cols], "Decisions (audit log)", "history", display=cols), None)
