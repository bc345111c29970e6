"""The engine that runs what rulebooks say: load, validate, resolve ``extends``,
choose by date, and apply ``--set`` what-if values.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from ..errors import Refused
from .model import WHAT_IF, Rulebook, RulebookFile, RuleValue, Source

#: libyaml's parser when PyYAML was built with it (ten times faster than the pure-Python one:
#: rulebooks are read by every command), else the pure-Python safe loader; both are safe.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

#: The largest magnitude a ``--set`` number may have: as the data folder's counts, 15 digits
#: (beyond them integers overflow the rules' 64-bit arrays and floats lose whole units).
_LARGEST_SET = 10**15

__all__ = [
    "RulebookError",
    "RulebookLibrary",
    "load_library",
    "parse_set",
    "apply_what_if",
]


class RulebookError(Refused, ValueError):
    """A rulebook file that is malformed, inconsistent or cannot be found."""


def _shipped_dir() -> Path:
    return Path(str(resources.files("nhs_oversight.rulebooks")))


def _user_dirs() -> list[Path]:
    extra = os.environ.get("OVERSIGHT_RULEBOOKS")
    return [Path(p) for p in extra.split(os.pathsep) if p] if extra else []


def _format_pydantic(path: Path, err: ValidationError) -> str:
    lines = []
    for e in err.errors():
        where = ".".join(str(p) for p in e["loc"]) or "(top level)"
        msg = e["msg"]
        if e["type"] == "extra_forbidden":
            msg = "unknown key"
        elif e["type"] == "missing":
            msg = "required key is missing"
        lines.append(f"  {where}: {msg}")
    return f"{path}: invalid rulebook\n" + "\n".join(lines)


def read_rulebook_file(path: Path) -> RulebookFile:
    """Parse and validate one rulebook file (no ``extends`` resolution)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RulebookError(f"{path}: no such rulebook file") from None
    except UnicodeDecodeError:
        raise RulebookError(f"{path}: not a UTF-8 text file") from None
    try:
        raw = yaml.load(text, Loader=_LOADER)  # noqa: S506 (a safe loader)
    except yaml.YAMLError as exc:
        raise RulebookError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise RulebookError(f"{path}: a rulebook must be a YAML mapping with id, regime, values")
    try:
        return RulebookFile.model_validate(raw)
    except ValidationError as exc:
        raise RulebookError(_format_pydantic(path, exc)) from None


@dataclass
class RulebookLibrary:
    """Every rulebook known: the shipped ones and those in ``$OVERSIGHT_RULEBOOKS``."""

    files: dict[str, tuple[Path, RulebookFile]] = field(default_factory=dict)
    #: Resolved rulebooks by id (rulebooks are immutable): resolving through pydantic once,
    #: not on every ``get`` and ``in_force`` (which a per-quarter loop calls many times).
    _resolved: dict[str, Rulebook] = field(default_factory=dict, repr=False, compare=False)

    def add(self, path: Path, rb: RulebookFile) -> None:
        if rb.id in self.files:
            other = self.files[rb.id][0]
            raise RulebookError(f"{path}: rulebook id {rb.id!r} is already defined in {other}")
        self.files[rb.id] = (path, rb)
        self._resolved.clear()

    def ids(self) -> list[str]:
        return sorted(self.files)

    def all(self) -> list[Rulebook]:
        return [self.get(i) for i in self.ids()]

    def get(self, id_or_path: str | Path) -> Rulebook:
        """A rulebook by id, or from a file path (which may extend a known id)."""
        key = str(id_or_path)
        if key in self.files:
            return self._resolve(key, ())
        path = Path(key)
        if path.suffix in (".yaml", ".yml") or path.exists():
            rb = read_rulebook_file(path)
            return self._resolve_file(path, rb, ())
        known = ", ".join(self.ids())
        raise RulebookError(f"no rulebook {key!r}; known rulebooks: {known}")

    def in_force(self, regime: str, date: dt.date) -> Rulebook:
        """The rulebook of ``regime`` in force on ``date``."""
        matches = [r for r in self.all() if r.regime == regime and r.covers(date)]
        if not matches:
            raise RulebookError(f"no rulebook of regime {regime!r} is in force on {date}")
        return matches[0]

    def check(self) -> None:
        """Resolve every rulebook and refuse overlapping dates within a regime."""
        books = self.all()
        for i, a in enumerate(books):
            for b in books[i + 1 :]:
                if (
                    a.regime == b.regime
                    and a.in_force is not None
                    and b.in_force is not None
                    and a.in_force.overlaps(b.in_force)
                ):
                    raise RulebookError(
                        f"{b.path}: rulebooks {a.id!r} ({a.in_force}) and {b.id!r} "
                        f"({b.in_force}) of regime {a.regime!r} are in force on the same dates"
                    )

    def _resolve(self, rid: str, seen: tuple[str, ...]) -> Rulebook:
        if rid in self._resolved:
            return self._resolved[rid]
        path, rb = self.files[rid]
        resolved = self._resolve_file(path, rb, seen)
        self._resolved[rid] = resolved
        return resolved

    def _resolve_file(self, path: Path, rb: RulebookFile, seen: tuple[str, ...]) -> Rulebook:
        if rb.id in seen:
            chain = " → ".join((*seen, rb.id))
            raise RulebookError(f"{path}: `extends` makes a cycle: {chain}")
        parent: Rulebook | None = None
        if rb.extends is not None:
            if rb.extends not in self.files:
                raise RulebookError(f"{path}: extends {rb.extends!r}, which is not a known rulebook")
            parent = self._resolve(rb.extends, (*seen, rb.id))
        values: dict[str, RuleValue] = dict(parent.values) if parent else {}
        for name, spec in rb.values.items():
            source = rb.sources[spec.source] if isinstance(spec.source, str) else spec.source
            values[name] = RuleValue(
                name=name,
                value=spec.value,
                unit=spec.unit,
                source=source,
                status=spec.status,
                note=spec.note,
                rulebook=rb.id,
            )
        regime = rb.regime or (parent.regime if parent else None)
        title = rb.title or (parent.title if parent else None)
        if parent is not None and rb.regime is not None and rb.regime != parent.regime:
            raise RulebookError(f"{path}: regime {rb.regime!r} differs from {parent.regime!r} of {parent.id!r}")
        assert regime is not None and title is not None  # checked by RulebookFile
        return Rulebook(
            id=rb.id,
            regime=regime,
            title=title,
            description=rb.description,
            in_force=rb.in_force,
            extends=((parent.id, *parent.extends) if parent else ()),
            values=values,
            path=path,
        )


def load_library(extra_dirs: Iterable[Path] = ()) -> RulebookLibrary:
    """Load the shipped rulebooks, those in ``$OVERSIGHT_RULEBOOKS`` and ``extra_dirs``."""
    lib = RulebookLibrary()
    for d in [_shipped_dir(), *_user_dirs(), *extra_dirs]:
        if not d.is_dir():
            raise RulebookError(f"{d}: rulebook folder does not exist")
        for path in sorted(d.glob("*.yaml")):
            lib.add(path, read_rulebook_file(path))
    lib.check()
    return lib


def parse_set(items: Iterable[str]) -> dict[str, Any]:
    """Parse ``--set name=value`` items; the value is read as a YAML scalar."""
    out: dict[str, Any] = {}
    for item in items:
        name, sep, text = item.partition("=")
        if not sep or not name.strip():
            raise RulebookError(f"--set {item!r}: expected name=value, e.g. de_minimis_cases=6")
        try:
            out[name.strip()] = yaml.load(text, Loader=_LOADER) if text.strip() else None  # noqa: S506
        except yaml.YAMLError:
            out[name.strip()] = text
    return out


def _same_kind(old: Any, new: Any) -> bool:
    numeric = (int, float)
    if isinstance(old, bool) or isinstance(new, bool):
        return isinstance(old, bool) and isinstance(new, bool)
    if old is None or new is None:
        return True
    if isinstance(old, numeric):
        return isinstance(new, numeric)
    return type(old) is type(new)


def apply_what_if(rulebook: Rulebook, settings: dict[str, Any]) -> Rulebook:
    """A copy of ``rulebook`` with values replaced for a what-if run.

    Each replaced value keeps its unit, takes the status ``what-if`` and a source that
    says it was set on the command line; the rulebook's ``what_if`` records old and new.
    """
    if not settings:
        return rulebook
    values = dict(rulebook.values)
    what_if = dict(rulebook.what_if)
    for name, new in settings.items():
        if name not in values:
            known = ", ".join(sorted(values))
            raise RulebookError(f"--set {name}: rulebook {rulebook.id!r} has no such value; it has: {known}")
        old = values[name]
        if not _same_kind(old.value, new):
            raise RulebookError(f"--set {name}={new!r}: expected a value like {old.value!r} ({old.unit})")
        if isinstance(new, (int, float)) and not isinstance(new, bool) and not abs(new) <= _LARGEST_SET:
            raise RulebookError(f"--set {name}={new!r}: out of range (a finite number of at most 15 digits)")
        values[name] = old.model_copy(
            update={
                "value": new,
                "status": WHAT_IF,
                "source": Source(title="set for a what-if run (--set)", address="command line"),
                "note": f"was {old.value!r} ({old.status}, {old.source.title})",
            }
        )
        what_if[name] = (old.value, new)
    return rulebook.model_copy(update={"values": values, "what_if": what_if})
