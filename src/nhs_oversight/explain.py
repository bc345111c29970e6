"""Traces: how a result was reached, step by step, with every input, value and source.

Every rule function fills a :class:`Trace` while it computes, so the trace is the
computation's own record, not a description written afterwards. A trace renders as
plain text (``oversight explain``) and as JSON (the API, ``--out x.json``).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from .rulebooks.model import STATUS_MEANING, Rulebook, RuleValue

__all__ = ["Step", "Trace", "ValueUsed", "NullTrace", "NO_TRACE"]


@dataclass(frozen=True, slots=True)
class ValueUsed:
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
        return cls(rv.name, rv.value, rv.unit, rv.status, rv.rulebook, rv.source.title, rv.source.address, rv.note)


@dataclass(slots=True)
class Step:
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
    uses : list of RuleValue
        The rulebook values the step used.
    """

    rule: str
    text: str
    inputs: dict[str, Any] = field(default_factory=dict)
    value: Any = None
    source: str | None = None
    uses: list[RuleValue] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "text": self.text,
            "inputs": self.inputs,
            "value": self.value,
            "source": self.source,
            "uses": [asdict(ValueUsed.of(u)) for u in self.uses],
        }


@dataclass
class Trace:
    """The ordered steps behind one result for one organisation and period.

    Rule functions fill it while they compute (plain dataclasses: cheap enough to keep a
    trace for every organisation of a national run).
    """

    subject: str
    period: str
    regime: str
    rulebook: str | None = None
    what_if: dict[str, Any] = field(default_factory=dict)
    steps: list[Step] = field(default_factory=list)
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
        self.steps.append(Step(rule, text, inputs or {}, value, source, list(uses or ())))
        return value

    def values_used(self) -> list[ValueUsed]:
        """Every distinct rulebook value the trace used, in order of first use."""
        seen: dict[tuple[str, str], ValueUsed] = {}
        for step in self.steps:
            for u in step.uses:
                if (u.rulebook, u.name) not in seen:
                    seen[(u.rulebook, u.name)] = ValueUsed.of(u)
        return list(seen.values())

    def assumed_label(self) -> str:
        """The names of the assumed or what-if values used, each once, joined by ``;``
        (the ``assumed`` column of result tables)."""
        return ";".join(dict.fromkeys(u.name for u in self.assumptions()))

    def assumptions(self) -> list[ValueUsed]:
        """The values used that rest on an assumption or a what-if setting."""
        return [u for u in self.values_used() if u.status in ("assumed", "what-if")]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready rendering, with every value used and the assumptions."""
        return {
            "subject": self.subject,
            "period": self.period,
            "regime": self.regime,
            "rulebook": self.rulebook,
            "what_if": self.what_if,
            "steps": [s.to_dict() for s in self.steps],
            "result": self.result,
            "values_used": [asdict(u) for u in self.values_used()],
            "assumptions": [u.name for u in self.assumptions()],
        }

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, default=str)

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
            for rv in step.uses:
                lines.append(f"      uses {rv.name} = {_fmt(rv.value)} {rv.unit} ({rv.status})")
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
            counts: dict[str, int] = {}
            for u in assumed:
                counts[u.name] = counts.get(u.name, 0) + 1
            names = ", ".join(f"{u.name} ({u.rulebook})" if counts[u.name] > 1 else u.name for u in assumed)
            lines.append(f"This result rests on {len(assumed)} assumed or what-if value(s): {names}.")
        return "\n".join(lines)


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 1e4 else f"{value:,.0f}"
    if isinstance(value, (list, tuple)) and len(value) > 12:
        return f"[{', '.join(map(str, value[:12]))}, … ({len(value)} items)]"
    return str(value)


class NullTrace(Trace):
    """A trace that records nothing: rule functions run untraced."""

    def add(self, rule: str, text: str, **kwargs: Any) -> Any:  # type: ignore[override]
        return kwargs.get("value")


#: Pass to a rule function's ``trace`` to skip tracing.
NO_TRACE = NullTrace(subject="", period="", regime="")
