"""``oversight rulebooks`` and ``oversight rulebooks show``."""

from __future__ import annotations

from typing import Annotated

import typer

from . import common as c
from .app import rulebooks_app


@rulebooks_app.callback()
def rulebooks_list(ctx: typer.Context) -> None:
    """List the rulebooks: id, regime, years in force, how many values are assumed."""
    if ctx.invoked_subcommand is not None:
        return
    from rich.table import Table

    lib = c.library()
    table = Table(title="Rulebooks", header_style="bold")
    for name, justify in (("id", "left"), ("regime", "left"), ("in force", "left"), ("values", "right")):
        table.add_column(name, justify=justify, no_wrap=name == "id")  # type: ignore[arg-type]
    table.add_column("assumed", justify="right")
    for rb in lib.all():
        years = rb.in_force.years if rb.in_force else "only when named"
        table.add_row(rb.id, rb.regime, years, str(len(rb.values)), str(len(rb.assumed)))
    c.console().print(table)
    c.console().print("`oversight rulebooks show ID` prints one with every value's source.")


@rulebooks_app.command("show")
def rulebooks_show(
    rulebook: Annotated[str, typer.Argument(help="A rulebook id or a path to a rulebook file.")],
    set_: c.SetOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Print one rulebook with every value, its unit, status, source and note.

    \b
    Examples:
      oversight rulebooks show monitor-compliance-2012-13
      oversight rulebooks show mrsa-objective-2010-11 --set reduction=0.25 --json
    """
    import json

    from ..rulebooks import STATUS_MEANING, RulebookError, apply_what_if
    from ..service.rulebooks import check_rulebook_name

    lib = c.library()
    settings = c.what_if(set_)
    check_rulebook_name(lib, rulebook, "RULEBOOK")
    try:
        rb = lib.get(rulebook)
    except RulebookError as exc:
        raise c.Refused(str(exc)) from None
    try:
        rb = apply_what_if(rb, settings)
    except RulebookError as exc:
        raise c.UsageError(str(exc), param="--set") from None
    if as_json:
        typer.echo(json.dumps(rb.model_dump(mode="json"), indent=2, default=str))
        return
    console = c.console()
    console.print(f"[bold]{rb.label}[/] — {rb.title}", markup=True, soft_wrap=True)
    console.print(
        f"regime {rb.regime}; in force {rb.in_force or 'only when named'}"
        + (f"; extends {' → '.join(rb.extends)}" if rb.extends else "")
    )
    if rb.description:
        console.print(" ".join(rb.description.split()))
    for v in rb.values.values():
        console.print(
            f"\n[bold]{v.name}[/] = {v.value!r} {v.unit}  ({v.status}: {STATUS_MEANING[v.status]})", markup=True
        )
        console.print(f"  source: {v.source.title} <{v.source.address}>")
        console.print(f"  note: {' '.join(v.note.split())}")
        if v.rulebook != rb.id:
            console.print(f"  inherited from {v.rulebook}")
    console.print(f"\n{len(rb.assumed)} of {len(rb.values)} values are assumed.")
