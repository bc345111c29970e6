"""Traces: how a result was reached, step by step, with every input, value and source.

Every rule function fills a :class:`Trace` while it computes, so the trace is the
computation's own record, not a description written afterwards. A trace renders as
plain text (``oversight explain``) and as JSON (the API, ``--out x.json``).
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, Field

from .rulebooks.model import STATUS_MEANING, Rulebook, RuleValue

__all__ = ["Step", "Trace", "ValueUsed", "NullTrace", "NO_TRACE"]


class ValueUsed(BaseModel):
    """A rulebook value as a step used it."""

    name: str
    value: Any
    unit: str
    status: str
    rulebook: str
    source_title: str
    source_address: str
    note: str = ""

    @classmethod
    def of(cls, rv: RuleValue) -> ValueUsed:
        return cls(
            name=rv.name,
            value=rv.value,
            unit=rv.unit,
            status=rv.status,
            rulebook=rv.rulebook,
            source_title=rv.source.title,
            source_address=rv.source.address,
            note=rv.note,
        )


class Step(BaseModel):
    """One step of a computation.

    Attributes
    ----------
    rule : str
        A short id of the rule applied (``hcai.rate``).
    text : str
        The step in plain English, with its numbers.
    inputs : dict
        The figures the step read, by name.
    value : Any
        What the step produced.
    source : str, optional
        Where the inputs came from (a file, a table, an earlier step).
    uses : list of ValueUsed
        The rulebook values the step used.
    """

    rule: str
    text: str
    inputs: dict[str, Any] = Field(default_factory=dict)
    value: Any = None
    source: str | None = None
    uses: list[ValueUsed] = Field(default_factory=list)


class Trace(BaseModel):
    """The ordered steps behind one result for one organisation and period."""

    subject: str
    period: str
    regime: str
    rulebook: str | None = None
    what_if: dict[str, Any] = Field(default_factory=dict)
    steps: list[Step] = Field(default_factory=list)
    result: Any = None

    @classmethod
    def start(cls, subject: str, period: str, regime: str, rulebook: Rulebook | None) -> Trace:
        return cls(
            subject=subject,
            period=period,
            regime=regime,
            rulebook=rulebook.id if rulebook else None,
            what_if={k: new for k, (_, new) in rulebook.what_if.items()} if rulebook else {},
        )

    def add(
        self,
        rule: str,
        text: str,
        *,
        inputs: dict[str, Any] | None = None,
        value: Any = None,
        source: str | None = None,
        uses: list[RuleValue] | None = None,
    ) -> Any:
        """Append a step and return its value, so a rule can write ``x = trace.add(...)``."""
        # built without re-validation: the rule functions are the only writers
        self.steps.append(
            Step.model_construct(
                rule=rule,
                text=text,
                inputs=inputs or {},
                value=value,
                source=source,
                uses=[ValueUsed.of(u) for u in uses or []],
            )
        )
        return value

    def values_used(self) -> list[ValueUsed]:
        """Every distinct rulebook value the trace used, in order of first use."""
        seen: dict[tuple[str, str], ValueUsed] = {}
        for step in self.steps:
            for u in step.uses:
                seen.setdefault((u.rulebook, u.name), u)
        return list(seen.values())

    def assumptions(self) -> list[ValueUsed]:
        """The values used that rest on an assumption or a what-if setting."""
        return [u for u in self.values_used() if u.status in ("assumed", "what-if")]

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.model_dump(mode="json"), indent=indent, default=str)

    def to_text(self) -> str:
        """A readable rendering: header, numbered steps, then values and their sources."""
        head = f"{self.subject} · {self.period} · {self.regime}"
        if self.rulebook:
            head += f" · rulebook {self.rulebook}"
        lines = [head, "=" * len(head)]
        if self.what_if:
            sets = ", ".join(f"{k}={v!r}" for k, v in self.what_if.items())
            lines.append(f"WHAT-IF RUN: {sets}")
        for i, step in enumerate(self.steps, 1):
            lines.append(f"{i:>2}. [{step.rule}] {step.text}")
            for name, val in step.inputs.items():
                lines.append(f"      {name} = {_fmt(val)}")
            if step.source:
                lines.append(f"      from: {step.source}")
            for u in step.uses:
                lines.append(f"      uses {u.name} = {_fmt(u.value)} {u.unit} ({u.status})")
        if self.result is not None:
            lines.append(f"Result: {_fmt(self.result)}")
        used = self.values_used()
        if used:
            lines.append("")
            lines.append("Rule values and their sources")
            for u in used:
                lines.append(
                    f"  {u.name} = {_fmt(u.value)} {u.unit} — {u.status} ({STATUS_MEANING.get(u.status, u.status)})"
                )
                lines.append(f"      {u.source_title} <{u.source_address}>")
                if u.note:
                    lines.append(f"      note: {u.note.strip()}")
        assumed = self.assumptions()
        if assumed:
            lines.append("")
            names = ", ".join(u.name for u in assumed)
            lines.append(f"This result rests on {len(assumed)} assumed or what-if value(s): {names}.")
        return "\n".join(lines)


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 1e4 else f"{value:,.0f}"
    if isinstance(value, (list, tuple)) and len(value) > 12:
        return f"[{', '.join(map(str, value[:12]))}, … ({len(value)} items)]"
    return str(value)


class NullTrace(Trace):
    """A trace that records nothing: rule functions run untraced at full speed."""

    def add(self, rule: str, text: str, **_: Any) -> Any:  # type: ignore[override]
        return _.get("value")


#: Pass to a rule function's ``trace`` to skip tracing.
NO_TRACE = NullTrace(subject="", period="", regime="")
