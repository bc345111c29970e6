"""Read one table file (CSV, XLSX or Parquet) into a frame of text cells.

Every cell is read as text so that the validator can say exactly what it found
("text in a number column") rather than letting a parser guess. Row numbers follow a
spreadsheet: the header is row 1, the first data row is row 2.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
import io
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from .errors import InputError, Problem

__all__ = ["RawTable", "read_table_file", "read_table_chunks", "chunk_rows", "SUFFIXES", "CHUNK_ROWS", "CHUNK_CELLS"]

SUFFIXES = (".csv", ".xlsx", ".parquet")
_BINARY_SNIFF = 8192
#: Rows of a CSV file read and checked at a time, so that memory does not grow with the file.
CHUNK_ROWS = 100_000
#: Cells of a CSV file read and checked at a time: a wide file (``financials.csv`` has 19
#: columns) is read in fewer rows at a time than a narrow one, so that a chunk's memory is
#: bounded whatever the file's width.
CHUNK_CELLS = 500_000
_BLOCK = 1 << 22


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


#: How every CSV is parsed: each cell as the text it holds (validation types it), blank lines
#: kept so that row numbers are the spreadsheet's.
_AS_TEXT: dict[str, Any] = {
    "dtype": str,
    "keep_default_na": False,
    "na_filter": False,
    "skip_blank_lines": False,
    "quoting": csv.QUOTE_MINIMAL,
}


def _parse_problem(path: Path, exc: pd.errors.ParserError) -> InputError:
    """pandas' parser error as one problem: a row with the wrong number of fields, by row."""
    m = re.search(r"line (\d+), saw (\d+)", str(exc))
    expected = re.search(r"Expected (\d+) fields", str(exc))
    if m and expected:
        return InputError(
            Problem(
                path.name,
                f"expected {expected.group(1)} fields as in the header, found {m.group(2)}",
                row=int(m.group(1)),
            )
        )
    return InputError(Problem(path.name, f"cannot be read as CSV: {exc}"))


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


#: The characters ``str.strip`` removes (``str.isspace``), as an RE2 class.
_SPACE = r"[\t\n\x0b\x0c\r\x1c-\x1f\x85\p{Z}]"


def _stripped(cells: pd.Series) -> pd.Series:
    """``cells.str.strip()``, calling ``strip`` only on the cells that start or end with
    white space (found in one vectorised pass)."""
    if not len(cells):
        return cells
    import pyarrow as pa  # type: ignore[import-untyped]
    import pyarrow.compute as pc  # type: ignore[import-untyped]

    try:
        arr = pa.array(cells.to_numpy(dtype=object), type=pa.string())
    except (pa.ArrowException, UnicodeError):  # a cell that is not valid Unicode text
        return cells.str.strip()
    padded = pc.match_substring_regex(arr, f"^{_SPACE}|{_SPACE}$").to_numpy(zero_copy_only=False)
    if not padded.any():
        return cells
    out = cells.copy()
    out[padded] = [c.strip() for c in cells[padded]]
    return out


def _normalise(frame: pd.DataFrame, text_cells: bool, first_row: int = 2) -> pd.DataFrame:
    """Lower-case stripped headers, stripped text cells, index = spreadsheet row number;
    rows with every cell empty are dropped (their numbers are kept by the others)."""
    frame = frame.copy()
    frame.columns = [str(c).strip().lower().lstrip("\ufeff") for c in frame.columns]
    for col in frame.columns:
        cells = frame[col].fillna("") if text_cells else frame[col].map(_cell_text)
        frame[col] = _stripped(cells.astype(object))
    frame.index = pd.RangeIndex(first_row, len(frame) + first_row)
    if len(frame.columns):
        frame = frame[(frame != "").any(axis=1)]
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
        frame = pd.read_csv(io.StringIO(text), **_AS_TEXT)
    except pd.errors.ParserError as exc:
        raise _parse_problem(path, exc) from None
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
    if blank and (frame[blank] == "").all().all():
        frame = frame.drop(columns=blank)
    if frame.empty:
        raise InputError(
            Problem(path.name, "has a header row but no data rows; remove the file if it has nothing to say")
        )
    return RawTable(path=path, frame=frame, sha256=hashlib.sha256(data).hexdigest(), size=len(data))


def _scan_csv(path: Path) -> tuple[str, int]:
    """One pass over a CSV file: its checksum and size, and the checks :func:`_read_csv`
    makes on the whole text (UTF-16, binary, UTF-8, empty), block by block.

    A file that fails a check is read whole by :func:`_read_csv`, for the same message.
    """
    digest, size = hashlib.sha256(), 0
    decoder = codecs.getincrementaldecoder("utf-8")()
    content = False
    with path.open("rb") as f:
        while block := f.read(_BLOCK):
            if size == 0 and (block[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in block[:_BINARY_SNIFF]):
                _read_csv(path, path.read_bytes())  # raises with the message
            digest.update(block)
            size += len(block)
            content = content or bool(block.strip())
            try:
                decoder.decode(block)
            except UnicodeDecodeError:
                _read_csv(path, path.read_bytes())  # raises with the byte and its offset
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        _read_csv(path, path.read_bytes())
    if not content:
        raise InputError(Problem(path.name, "the file is empty; a header row and data rows were expected"))
    return digest.hexdigest(), size


def _csv_chunks(path: Path, rows: int) -> Iterator[pd.DataFrame]:
    """The CSV file's rows, normalised, ``rows`` at a time (index = spreadsheet row number)."""
    try:
        reader = pd.read_csv(path, encoding="utf-8-sig", chunksize=rows, **_AS_TEXT)
    except pd.errors.EmptyDataError:
        raise InputError(Problem(path.name, "the file is empty; a header row and data rows were expected")) from None
    first_row, kept = 2, 0
    with reader:
        while True:
            try:
                chunk = next(reader)
            except StopIteration:
                break
            except pd.errors.ParserError as exc:
                raise _parse_problem(path, exc) from None
            frame = _normalise(chunk, text_cells=True, first_row=first_row)
            if first_row == 2:
                _check_header(path, frame)
            first_row += len(chunk)
            kept += len(frame)
            if len(frame):
                yield frame
    if not kept:
        raise InputError(
            Problem(path.name, "has a header row but no data rows; remove the file if it has nothing to say")
        )


def _header_width(path: Path) -> int:
    """The number of fields of a CSV file's header row."""
    with path.open(encoding="utf-8-sig", newline="") as f:
        return len(next(csv.reader(f), []))


def chunk_rows(columns: int) -> int:
    """Rows read at a time from a CSV file of ``columns`` columns: :data:`CHUNK_ROWS`, fewer
    when that would be more than :data:`CHUNK_CELLS` cells."""
    return max(1, min(CHUNK_ROWS, CHUNK_CELLS // max(columns, 1)))


def read_table_chunks(path: Path, rows: int | None = None) -> tuple[RawTable, Iterator[pd.DataFrame]]:
    """A table file's checksum and size (in a :class:`RawTable` with an empty frame), and its
    text cells ``rows`` (default :func:`chunk_rows` of its header's width) at a time: a CSV
    file is read in chunks, so memory does not grow with it; an .xlsx or .parquet file is
    read whole (:func:`read_table_file`).

    Raises
    ------
    InputError
        As :func:`read_table_file`; from the iterator too (a malformed row further down).
    """
    if path.suffix.lower() != ".csv":
        raw = read_table_file(path)
        return RawTable(path, raw.frame.iloc[:0], raw.sha256, raw.size), iter([raw.frame])
    sha256, size = _scan_csv(path)
    return RawTable(path, pd.DataFrame(), sha256, size), _csv_chunks(path, rows or chunk_rows(_header_width(path)))
