"""The one result type every use case returns, and every front end serialises the same way."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

from ..explain import Trace
from ..rulebooks import Rulebook

__all__ = ["Result", "plain", "rows_of"]


@dataclass
class Result:
    """A table and everything needed to say what it rests on.

    Attributes
    ----------
    table : pandas.DataFrame
        The rows, with exactly the columns of the command's ``--out`` file (codes, not labels).
    title : str
        What the table is, for people.
    command : str
        The use case (``governance``, ``objectives mrsa``, …).
    period : str
        The period asked, as written (``2012-13``, ``2012-13-Q2``), or empty.
    rulebook : Rulebook, optional
        The rulebook the rows were computed under (with any what-if settings).
    what_if : dict
        The what-if settings (``--set`` and options that replace a rulebook value).
    traces : dict of str to Trace
        A trace per organisation, when asked for.
    display : list of str
        The columns a terminal or a page shows first, most important first.
    extra : dict
        Anything else the use case reports beside the rows (e.g. the national line).
    """

    table: pd.DataFrame
    title: str
    command: str
    period: str = ""
    rulebook: Rulebook | None = None
    what_if: dict[str, Any] = field(default_factory=dict)
    traces: dict[str, Trace] = field(default_factory=dict)
    display: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def rulebook_label(self) -> str:
        """The rulebook id, with its what-if settings when there are any."""
        return self.rulebook.label if self.rulebook is not None else ""

    @property
    def assumed(self) -> list[str]:
        """The assumed and what-if values the rows rest on, each once, sorted."""
        if "assumed" in self.table.columns:
            cells = self.table["assumed"].dropna()
            return sorted({n for cell in cells for n in str(cell).split(";") if n})
        if self.rulebook is not None:
            return sorted(v.name for v in self.rulebook.assumed)
        return []

    def metadata(self) -> dict[str, Any]:
        """What a file written from the result carries beside its rows."""
        meta: dict[str, Any] = {"command": self.command}
        if self.period:
            meta["period"] = self.period
        if self.rulebook is not None:
            meta["rulebook"] = self.rulebook.id
        meta["what_if"] = self.what_if
        meta["assumed"] = self.assumed
        meta.update({k: v for k, v in self.extra.items() if _simple(v)})
        return meta

    def rows(self) -> list[dict[str, Any]]:
        """The rows as JSON-ready dicts (NaN → None, numpy scalars → Python, every digit kept)."""
        return rows_of(self.table)

    def payload(self) -> dict[str, Any]:
        """The API's table document: columns, rows, rulebook, what-if and assumed values."""
        return {
            "columns": [str(c) for c in self.table.columns],
            "rows": self.rows(),
            "rulebook": self.rulebook_label,
            "what_if": plain(self.what_if),
            "assumed": self.assumed,
        }


def _simple(value: Any) -> bool:
    """Whether a value can travel as metadata (JSON-like scalars, lists and dicts of them)."""
    if value is None or isinstance(value, str | int | float | bool):
        return True
    if isinstance(value, list | tuple):
        return all(_simple(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _simple(v) for k, v in value.items())
    return False


def plain(value: Any) -> Any:
    """A cell as JSON: NaN and NaT → null, numpy scalars → Python, times → ISO text.

    Floats keep every digit (Python's shortest round-trip form, as the CSV writes them), so a
    value read from the JSON equals the value read from the CSV.
    """
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else value
    if isinstance(value, pd.Timestamp | dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def rows_of(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """A frame's rows as JSON-ready dicts (:func:`plain` cells)."""
    columns = [str(c) for c in frame.columns]
    return [dict(zip(columns, (plain(v) for v in row), strict=True)) for row in frame.itertuples(index=False)]
