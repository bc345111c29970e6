"""Cells of a spreadsheet (``.ods``, ``.xlsx``) or a text table, as strings, sheet by sheet.

Decisions
---------
Spreadsheets
    ``.ods`` files are read with pandas and odfpy, ``.xlsx`` with openpyxl; a missing engine
    is an :class:`InputError` that says what to install. Every cell is read as text (a
    number as pandas prints it, ``1.0`` for a whole float) and parsed by the reader that
    knows the column, so every problem names the sheet, the row as the spreadsheet numbers
    it, and the column's header.
Text
    A text table is one sheet named after the file; its separator is the one of ``,``,
    ``;``, tab that splits the header line into the most cells.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pandas as pd

from ..errors import InputError, Problem
from .text import NOT_PUBLISHED, decode, header_key, read_bytes

_ENGINES: dict[str, tuple[Literal["odf", "openpyxl"], str]] = {
    ".ods": ("odf", "odfpy>=1.4,<2"),
    ".xlsx": ("openpyxl", "openpyxl"),
}


@dataclass
class Sheet:
    """A sheet's cells as text (``""`` for empty), and where it came from.

    Attributes
    ----------
    where : str
        The file's name, with the sheet's in brackets for a spreadsheet.
    rows : list of list of str
        Row ``i`` is row ``i + 1`` of the spreadsheet (the line of a text file).
    """

    where: str
    rows: list[list[str]]

    def header_row(self, *wanted: str, scan: int = 15) -> int | None:
        """The index of the first row (of the first ``scan``) that has every wanted header."""
        for i, row in enumerate(self.rows[:scan]):
            keys = {header_key(c) for c in row}
            if all(w in keys for w in wanted):
                return i
        return None


def read_sheets(path: Path) -> list[Sheet]:
    """Every sheet of a spreadsheet, or the one table of a text file.

    Raises
    ------
    InputError
        When the file cannot be read, or the engine for its format is not installed.
    """
    path = Path(path)
    engine = _ENGINES.get(path.suffix.lower())
    if engine is None:
        return [_text_sheet(path)]
    try:
        frames = pd.read_excel(path, engine=engine[0], sheet_name=None, header=None, dtype=object)
    except ImportError:
        raise InputError(
            Problem(
                path.name, f"reading {path.suffix} files needs the package {engine[1]!r}: pip install '{engine[1]}'"
            )
        ) from None
    except (OSError, ValueError) as exc:
        raise InputError(Problem(path.name, f"cannot be read as {path.suffix}: {exc}")) from None
    return [Sheet(f"{path.name} [{name}]", [[_text(v) for v in row] for row in frame.itertuples(index=False)])
            for name, frame in frames.items()]  # fmt: skip


def _text(value: object) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    return str(value).strip()


def _text_sheet(path: Path) -> Sheet:
    text = decode(path, read_bytes(path))
    first = next((line for line in text.splitlines() if line.strip()), "")
    separator = max((",", ";", "\t"), key=lambda s: len(next(csv.reader([first], delimiter=s), [])))
    rows = [[c.strip() for c in row] for row in csv.reader(io.StringIO(text, newline=""), delimiter=separator)]
    return Sheet(path.name, rows)


def cell_at(row: list[str], index: int | None) -> str:
    """The cell of a row at ``index``, stripped (``""`` past the row's end or for None)."""
    return row[index].strip() if index is not None and index < len(row) else ""


def cell_float(text: str) -> float | None:
    """A published rate or denominator: None when not published (``[x]``, ``-``, empty).

    Raises
    ------
    ValueError
        With what was found, for a cell that is neither a number nor a not-published mark.
    """
    s = text.strip().replace(",", "")
    if s.lower() in NOT_PUBLISHED or s.lower() in ("[z]", "[u]", "[low]"):
        return None
    try:
        value = float(s)
    except ValueError:
        raise ValueError(f"{text!r} is not a number (empty or [x] = not published)") from None
    if value < 0 or value != value:
        raise ValueError(f"{text!r} is not a number ≥ 0")
    return value
