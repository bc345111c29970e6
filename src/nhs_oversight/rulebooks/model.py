"""What a rulebook says: the YAML file format and the resolved, typed rulebook.

A rulebook is a versioned file of dated values, one regime each. Every value carries
its number, unit, source (title and address), status and a note, following the
parameter files of OpenFisca (values keyed by date, each with a reference):

.. code-block:: yaml

    id: mrsa-objective-2010-11
    regime: mrsa-objective
    title: MRSA bloodstream infection objective, from 2010-11
    in_force: {from: 2010-04-01, to: 2013-03-31}
    extends: null                  # or the id of a rulebook whose values this one inherits
    sources:
      seed-001: {title: "HSJ: PCTs could struggle ...", address: "https://..."}
    values:
      worse_than_median_reduction:
        value: 0.2
        unit: proportion of the baseline rate
        source: seed-001           # a key of `sources`, or an inline {title, address}
        status: seed               # seed | confirmed | assumed
        note: reduce to the median or by 20%, whichever is greater

A rulebook without ``in_force`` is an alternative (a what-if or a variant for
comparison): it is used only when named, never chosen by date.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..periods import FinancialYear

Status = Literal["seed", "confirmed", "assumed"]
#: The status of a value replaced by ``--set`` for a what-if run.
WHAT_IF = "what-if"

STATUS_MEANING = {
    "seed": "stated in a seed document",
    "confirmed": "confirmed by a public secondary source",
    "assumed": "our assumption: no public source was found",
    WHAT_IF: "set by the user for a what-if run",
}


class Source(BaseModel):
    """Where a value comes from: a title and an address (URL or document path)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    title: str = Field(min_length=1)
    address: str = Field(min_length=1)


class ValueSpec(BaseModel):
    """One value as written in a rulebook file."""

    model_config = ConfigDict(extra="forbid")

    value: Any
    unit: str = Field(min_length=1)
    source: Source | str
    status: Status
    note: str = Field(min_length=1)


class InForce(BaseModel):
    """The dates a rulebook is in force, inclusive; ``to`` empty means still in force."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    from_: dt.date = Field(alias="from")
    to: dt.date | None = None

    @model_validator(mode="after")
    def _ordered(self) -> InForce:
        if self.to is not None and self.to < self.from_:
            raise ValueError(f"in_force.to {self.to} is before in_force.from {self.from_}")
        return self

    def contains(self, date: dt.date) -> bool:
        return self.from_ <= date and (self.to is None or date <= self.to)

    def overlaps(self, other: InForce) -> bool:
        end_a = self.to or dt.date.max
        end_b = other.to or dt.date.max
        return self.from_ <= end_b and other.from_ <= end_a

    def __str__(self) -> str:
        return f"{self.from_} to {self.to or 'now'}"

    @property
    def years(self) -> str:
        """The financial years in force, e.g. ``2010-11 to 2012-13`` or ``from 2013-14``."""
        first = FinancialYear.containing(self.from_)
        if self.to is None:
            return f"from {first}"
        last = FinancialYear.containing(self.to)
        return str(first) if last == first else f"{first} to {last}"


class RulebookFile(BaseModel):
    """A rulebook file exactly as written; unknown keys are errors."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, pattern=r"^[a-z0-9][a-z0-9.\-_]*$")
    regime: str | None = None
    title: str | None = None
    description: str = ""
    in_force: InForce | None = None
    extends: str | None = None
    sources: dict[str, Source] = Field(default_factory=dict)
    values: dict[str, ValueSpec] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _sources_resolve(self) -> RulebookFile:
        for name, spec in self.values.items():
            if isinstance(spec.source, str) and spec.source not in self.sources:
                raise ValueError(
                    f"values.{name}.source: {spec.source!r} is not a key of `sources` "
                    f"(known: {', '.join(sorted(self.sources)) or 'none'})"
                )
        if self.extends is None and (self.regime is None or self.title is None):
            raise ValueError("a rulebook that extends no other must give `regime` and `title`")
        return self


class RuleValue(BaseModel):
    """A resolved value: what a rule uses and what a trace shows."""

    model_config = ConfigDict(frozen=True)

    name: str
    value: Any
    unit: str
    source: Source
    status: str
    note: str
    rulebook: str = Field(description="the id of the rulebook that defines this value")

    @property
    def assumed(self) -> bool:
        return self.status == "assumed"


class Rulebook(BaseModel):
    """A resolved rulebook: its own values merged over those of the rulebooks it extends."""

    model_config = ConfigDict(frozen=True)

    id: str
    regime: str
    title: str
    description: str = ""
    in_force: InForce | None
    extends: tuple[str, ...] = Field(description="the chain of ancestors, nearest first")
    values: dict[str, RuleValue]
    path: Path | None = None
    what_if: dict[str, tuple[Any, Any]] = Field(
        default_factory=dict, description="name → (value in the rulebook, value set)"
    )

    def __getitem__(self, name: str) -> RuleValue:
        try:
            return self.values[name]
        except KeyError:
            raise KeyError(f"rulebook {self.id!r} has no value {name!r}") from None

    def value(self, name: str) -> Any:
        """The bare value of ``name``."""
        return self[name].value

    @property
    def assumed(self) -> list[RuleValue]:
        """The values that rest on our assumption."""
        return [v for v in self.values.values() if v.assumed]

    @property
    def label(self) -> str:
        """The id, with the what-if settings when there are any."""
        if not self.what_if:
            return self.id
        sets = ", ".join(f"{k}={new!r}" for k, (_, new) in sorted(self.what_if.items()))
        return f"{self.id} (what-if: {sets})"

    def covers(self, date: dt.date) -> bool:
        return self.in_force is not None and self.in_force.contains(date)
