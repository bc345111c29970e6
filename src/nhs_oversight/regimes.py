"""Regimes: the families of rules, their ids, and the date rule that picks the rulebook in force.

A rulebook belongs to one regime and is in force over dates. Each regime declares once which
day of the period asked decides the rulebook in force: objectives and counting are set for
a financial year and take its first day; a governance quarter takes its first day; a
financial rating takes the period's last day (the accounts it rates end then). This module
has no heavy imports: the command line's usage checks and ``--help`` use it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:  # pragma: no cover
    from .periods import Period

__all__ = [
    "Regime",
    "COUNTING",
    "MRSA_OBJECTIVE",
    "CDIFF_OBJECTIVE",
    "GOVERNANCE",
    "FINANCE",
    "SPC",
    "REGIMES",
    "objective_regime",
]


@dataclass(frozen=True)
class Regime:
    """A family of rulebooks.

    Attributes
    ----------
    name : str
        What people call it.
    ids : tuple of str
        The rulebook regime ids it covers, in order of preference when more than one is in
        force (the FRR gives way to the continuity of service rating in October 2013).
    date_rule : {"start", "end"}
        Which day of the period asked picks the rulebook in force.
    """

    name: str
    ids: tuple[str, ...]
    date_rule: Literal["start", "end"] = "start"

    @property
    def id(self) -> str:
        """The main regime id (the first)."""
        return self.ids[0]

    def date(self, period: Period) -> dt.date:
        """The day of ``period`` whose rulebook in force applies."""
        return period.start if self.date_rule == "start" else period.end

    def __str__(self) -> str:
        return self.id


COUNTING = Regime("case counting and rates", ("hcai-counting",))
MRSA_OBJECTIVE = Regime("MRSA objective", ("mrsa-objective",))
CDIFF_OBJECTIVE = Regime("C. difficile objective", ("cdiff-objective",))
GOVERNANCE = Regime("governance risk rating", ("monitor-compliance",))
FINANCE = Regime("financial rating", ("monitor-frr", "monitor-raf", "monitor-licence-consultation"), "end")
SPC = Regime("statistical process control", ("spc",))

#: Every regime, by each of its ids.
REGIMES: dict[str, Regime] = {
    rid: regime
    for regime in (COUNTING, MRSA_OBJECTIVE, CDIFF_OBJECTIVE, GOVERNANCE, FINANCE, SPC)
    for rid in regime.ids
}


def objective_regime(organism: str) -> Regime:
    """The objective regime of an organism (``mrsa`` or ``cdiff``)."""
    return {"mrsa": MRSA_OBJECTIVE, "cdiff": CDIFF_OBJECTIVE}[organism]
