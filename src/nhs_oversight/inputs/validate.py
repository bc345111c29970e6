"""The engine that checks a table against its schema, vectorised with pandas.

It collects every problem (up to the cap) rather than stopping at the first, and
returns a typed frame whose index is still the spreadsheet row number, so that later
cross-file checks can name rows too.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import numpy as np
import pandas as pd
import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.compute as pc  # type: ignore[import-untyped]

from ..periods import FinancialYear, Month, PeriodError, Quarter, parse_period
from .errors import Problems
from .readers import RawTable
from .schemas import Column, TableSchema, Type

__all__ = ["validate_table", "check_duplicates", "duplicate_message"]

_COUNT_RE = r"^\+?\d+(?:\.0*)?$"
#: A count of more digits cannot be held exactly (nor be true); the rulebook's ceiling is far lower.
_MAX_COUNT_DIGITS = 15
_NUMBER_RE = r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$"
_CODE_RE = r"^[A-Z0-9]{2,10}$"
_ID_RE = r"^[A-Za-z0-9][A-Za-z0-9_.:/\-]{0,63}$"
_TRUE = {"true", "t", "yes", "y", "1"}
_FALSE = {"false", "f", "no", "n", "0"}


def _matches(cells: pd.Series, pattern: str) -> pd.Series:
    """Whether each cell matches ``pattern`` (anchored), in one vectorised pass (Arrow's RE2),
    not a Python regex call per cell."""
    if not len(cells):
        return pd.Series(False, index=cells.index, dtype=bool)
    try:
        arr = pa.array(cells.to_numpy(dtype=object), type=pa.string())
    except (pa.ArrowException, UnicodeError):  # a cell that is not valid Unicode text
        return cells.str.match(pattern).astype(bool)
    found = pc.match_substring_regex(arr, pattern)
    return pd.Series(found.to_numpy(zero_copy_only=False), index=cells.index, dtype=bool)


def _cased(cells: pd.Series, upper: bool) -> pd.Series:
    """Each cell upper- or lower-cased, each distinct value once (codes and words repeat)."""
    if not len(cells):
        return cells
    codes, uniques = pd.factorize(cells)
    done = np.array([u.upper() if upper else u.lower() for u in uniques], dtype=object)
    return pd.Series(done.take(codes), index=cells.index, dtype=object)


def _shown(text: str) -> str:
    return repr(text if len(text) <= 40 else text[:37] + "...")


def _parse_each(
    cells: pd.Series, parse: Callable[[str], object], problems: Problems, file: str, col: Column
) -> pd.Series:
    """Parse each distinct cell once; report the ones that fail with the parser's reason."""
    out: dict[str, object] = {}
    bad: dict[str, str] = {}
    for text in cells.unique():
        try:
            out[text] = parse(text)
        except (PeriodError, ValueError) as exc:
            bad[text] = str(exc)
    if bad:
        failing = cells[cells.isin(bad)]
        problems.add_rows(file, failing.index, col.name, (f"{bad[t]} (expected {col.expected()})" for t in failing))
    return cells.map(out)


def _parse_date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a real date") from None


def _check_column(cells: pd.Series, col: Column, problems: Problems, file: str) -> pd.Series:
    """Check the non-empty cells of one column and return them typed."""
    t = col.type
    if t is Type.CODE:
        up = _cased(cells, upper=True)
        bad = ~_matches(up, _CODE_RE)
        problems.add_rows(file, up[bad].index, col.name, (f"{_shown(v)} is not {t.value}" for v in cells[bad]))
        return up
    if t is Type.ID:
        bad = ~_matches(cells, _ID_RE)
        problems.add_rows(file, cells[bad].index, col.name, (f"{_shown(v)} is not {t.value}" for v in cells[bad]))
        return cells
    if t is Type.ENUM:
        low = _cased(cells, upper=False)
        bad = ~low.isin(col.choices)
        problems.add_rows(
            file,
            low[bad].index,
            col.name,
            (f"unknown {col.name} {_shown(v)}; expected {col.expected()}" for v in cells[bad]),
        )
        return low
    if t is Type.COUNT:
        ok = _matches(cells, _COUNT_RE)
        negative = _matches(cells, r"^-\d")
        huge = ok & _matches(cells, rf"^\+?0*[1-9]\d{{{_MAX_COUNT_DIGITS},}}(?:\.0*)?$")
        ok &= ~huge
        number = _matches(cells, _NUMBER_RE)
        for mask, why in (
            (huge, f"is implausibly large (more than {_MAX_COUNT_DIGITS} digits)"),
            (negative, "is negative; counts cannot be below 0"),
            (~ok & ~huge & ~negative & number, "is not a whole number"),
            (~ok & ~huge & ~number, "is not a number"),
        ):
            problems.add_rows(
                file, cells[mask].index, col.name, (f"{_shown(v)} {why} (expected {t.value})" for v in cells[mask])
            )
        return pd.to_numeric(cells.where(ok, "0")).astype("int64")
    if t in (Type.NUMBER, Type.NONNEG):
        ok = _matches(cells, _NUMBER_RE)
        problems.add_rows(
            file, cells[~ok].index, col.name, (f"{_shown(v)} is not a number (expected {t.value})" for v in cells[~ok])
        )
        values = pd.to_numeric(cells.where(ok, "0")).astype("float64")
        if t is Type.NONNEG:
            neg = values < 0
            problems.add_rows(
                file, values[neg].index, col.name, (f"{_shown(v)} is negative (expected {t.value})" for v in cells[neg])
            )
        return values
    if t is Type.BOOL:
        low = _cased(cells, upper=False)
        bad = ~low.isin(_TRUE | _FALSE)
        problems.add_rows(file, low[bad].index, col.name, (f"{_shown(v)} is not true or false" for v in cells[bad]))
        return low.isin(_TRUE)
    if t is Type.MONTH:
        return _parse_each(cells, lambda s: str(Month.parse(s)), problems, file, col)
    if t is Type.YEAR:
        return _parse_each(cells, lambda s: str(FinancialYear.parse(s)), problems, file, col)
    if t is Type.QUARTER:
        return _parse_each(cells, lambda s: str(Quarter.parse(s)), problems, file, col)
    if t is Type.PERIOD:
        return _parse_each(cells, lambda s: str(parse_period(s)), problems, file, col)
    if t is Type.DATE:
        return _parse_each(cells, _parse_date, problems, file, col)
    return cells  # TEXT


def _typed_empty(col: Column, index: pd.Index) -> pd.Series:
    if col.default is not None:
        return pd.Series(col.default, index=index)
    dtype = "Int64" if col.type is Type.COUNT else ("float64" if col.type in (Type.NUMBER, Type.NONNEG) else object)
    return pd.Series(pd.NA if dtype == "Int64" else (np.nan if dtype == "float64" else None), index=index, dtype=dtype)


def validate_table(
    raw: RawTable,
    schema: TableSchema,
    problems: Problems,
    *,
    check_header: bool = True,
    check_duplicates: bool = True,
) -> pd.DataFrame:
    """Check a raw table against its schema; add every problem found to ``problems``.

    ``check_header`` and ``check_duplicates`` off: a later chunk of a file whose header was
    checked with the first, and whose keys are checked once the whole file is read.

    Returns
    -------
    pandas.DataFrame
        The schema's columns, typed; index = the spreadsheet row numbers. Rows with
        problems are still present (the caller stops when ``problems`` is non-empty).
    """
    file = raw.name
    frame = raw.frame
    missing = [c.name for c in schema.columns if check_header and c.required and c.name not in frame.columns]
    for name in missing:
        problems.add(
            file,
            f"required column {name!r} is missing (found columns: {', '.join(frame.columns) or 'none'})",
            row=1,
            column=name,
        )
    out = pd.DataFrame(index=frame.index)
    for col in schema.columns:
        if col.name not in frame.columns:
            out[col.name] = _typed_empty(col, frame.index)
            continue
        cells = frame[col.name]
        empty = cells.eq("")
        if not col.nullable and empty.any():
            problems.add_rows(
                file,
                cells[empty].index,
                col.name,
                (f"is empty; expected {col.expected()}" for _ in range(int(empty.sum()))),
            )
        typed = _check_column(cells[~empty], col, problems, file)
        full = _typed_empty(col, frame.index)
        if len(typed):
            if full.dtype == object or typed.dtype == object:
                full = full.astype(object)
            full.loc[typed.index] = typed
            if col.type is Type.COUNT and not col.nullable:
                full = full.astype("int64")
            elif col.type is Type.COUNT:
                full = full.astype("Int64")
            elif col.type is Type.BOOL and not col.nullable:
                full = full.astype(bool)
        out[col.name] = full
    if check_duplicates:
        _check_duplicates(out, schema, problems, file)
    return out


def check_duplicates(frame: pd.DataFrame, schema: TableSchema, problems: Problems, file: str) -> None:
    """Refuse rows whose key is on an earlier row (a whole file, after its chunks)."""
    _check_duplicates(frame, schema, problems, file)


def _check_duplicates(frame: pd.DataFrame, schema: TableSchema, problems: Problems, file: str) -> None:
    keys = list(schema.key)
    dup = frame.duplicated(keys, keep=False)
    if not dup.any():
        return
    first_row: dict[tuple, int] = {}
    for row, key in zip(frame.index[dup], frame.loc[dup, keys].itertuples(index=False, name=None)):
        if key in first_row:
            problems.add(file, duplicate_message(keys, key, first_row[key]), row=row, column=keys[0])
        else:
            first_row[key] = row


def duplicate_message(keys: list[str] | tuple[str, ...], values: tuple, first_row: int) -> str:
    """What a row whose key is on an earlier row is told (the problem's column is the key's first)."""
    described = ", ".join(f"{k}={v}" for k, v in zip(keys, values))
    return f"duplicate key ({described}): the same key is on row {first_row}"
