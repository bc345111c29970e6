"""Read one table file (CSV, XLSX or Parquet) into a frame of text cells.

Every cell is read as text so that the validator can say exactly what it found
("text in a number column") rather than letting a parser guess. Row numbers follow a
spreadsheet: the header is row 1, the first data row is row 2.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import math
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .errors import InputError, Problem

__all__ = ["RawTable", "read_table_file", "SUFFIXES"]

SUFFIXES = (".csv", ".xlsx", ".parquet")
_BINARY_SNIFF = 8192


@dataclass
class RawTable:
    """A file's cells as text, with what the import log records about it."""

    path: Path
    frame: pd.DataFrame  # every column of dtype object holding str
    sha256: str
    size: int

    @property
    def name(self) -> str:
        return self.path.name


def _cell_text(value: object) -> str:
    """One spreadsheet or Parquet cell as the text a CSV would hold."""
    if value is None:
        return ""
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (pd.Timestamp, dt.datetime)):
        if pd.isna(value):
            return ""
        return value.date().isoformat() if value.time() == dt.time(0) else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if value is pd.NaT or value is pd.NA:
        return ""
    return str(value)


def _normalise(frame: pd.DataFrame, text_cells: bool) -> pd.DataFrame:
    """Lower-case stripped headers, stripped text cells, index = spreadsheet row number;
    rows with every cell empty are dropped (their numbers are kept by the others)."""
    frame = frame.copy()
    frame.columns = [str(c).strip().lower().lstrip("\ufeff") for c in frame.columns]
    for col in frame.columns:
        cells = frame[col].fillna("") if text_cells else frame[col].map(_cell_text)
        frame[col] = cells.astype(object).str.strip()
    frame.index = pd.RangeIndex(2, len(frame) + 2)
    if len(frame.columns):
        frame = frame[frame.ne("").any(axis=1)]
    return frame


def _read_csv(path: Path, data: bytes) -> pd.DataFrame:
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise InputError(Problem(path.name, "is UTF-16 text; save it as UTF-8 CSV"))
    if b"\x00" in data[:_BINARY_SNIFF]:
        raise InputError(Problem(path.name, "this is a binary file, not CSV text"))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(
            Problem(
                path.name, f"not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start}); save it as UTF-8 CSV"
            )
        ) from None
    if not text.strip():
        raise InputError(Problem(path.name, "the file is empty; a header row and data rows were expected"))
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            skip_blank_lines=False,
            quoting=csv.QUOTE_MINIMAL,
        )
    except pd.errors.ParserError as exc:
        m = re.search(r"line (\d+), saw (\d+)", str(exc))
        expected = re.search(r"Expected (\d+) fields", str(exc))
        if m and expected:
            raise InputError(
                Problem(
                    path.name,
                    f"expected {expected.group(1)} fields as in the header, found {m.group(2)}",
                    row=int(m.group(1)),
                )
            ) from None
        raise InputError(Problem(path.name, f"cannot be read as CSV: {exc}")) from None
    except pd.errors.EmptyDataError:
        raise InputError(Problem(path.name, "the file is empty; a header row and data rows were expected")) from None
    return frame


def _read_xlsx(path: Path) -> pd.DataFrame:
    try:
        return pd.read_excel(path, sheet_name=0, dtype=object, engine="openpyxl")
    except Exception as exc:  # openpyxl raises many kinds for a corrupt file
        raise InputError(
            Problem(path.name, f"cannot be read as an .xlsx workbook ({type(exc).__name__}: {exc})")
        ) from None


def _read_parquet(path: Path) -> pd.DataFrame:
    try:
        return pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises ArrowInvalid and OSError subclasses
        raise InputError(Problem(path.name, f"cannot be read as Parquet ({type(exc).__name__}: {exc})")) from None


def _check_header(path: Path, frame: pd.DataFrame) -> None:
    """Refuse repeated column names (which readers rename ``x.1``) and ';'-separated files."""
    names = list(frame.columns)
    for name in names:
        base, dot, n = name.rpartition(".")
        if dot and n.isdigit() and base in names:
            raise InputError(Problem(path.name, f"column {base!r} appears more than once", row=1, column=base))
    if len(names) == 1 and ";" in names[0]:
        raise InputError(
            Problem(path.name, "the header is separated by ';'; data-folder files are comma-separated", row=1)
        )


def read_table_file(path: Path) -> RawTable:
    """Read a CSV, XLSX or Parquet file into text cells.

    Raises
    ------
    InputError
        The file is empty, binary where text was expected, not UTF-8, malformed, or has
        a header and no data rows.
    """
    data = path.read_bytes()
    if not data.strip():
        raise InputError(Problem(path.name, "the file is empty; a header row and data rows were expected"))
    suffix = path.suffix.lower()
    if suffix == ".csv":
        frame = _read_csv(path, data)
    elif suffix == ".xlsx":
        frame = _read_xlsx(path)
    elif suffix == ".parquet":
        frame = _read_parquet(path)
    else:
        raise InputError(Problem(path.name, f"unsupported file type {suffix!r}; use .csv, .xlsx or .parquet"))
    frame = _normalise(frame, text_cells=suffix == ".csv")
    _check_header(path, frame)
    blank = [c for c in frame.columns if c == "" or c.startswith("unnamed:")]
    if blank and frame[blank].eq("").all().all():
        frame = frame.drop(columns=blank)
    if frame.empty:
        raise InputError(
            Problem(path.name, "has a header row but no data rows; remove the file if it has nothing to say")
        )
    return RawTable(path=path, frame=frame, sha256=hashlib.sha256(data).hexdigest(), size=len(data))
