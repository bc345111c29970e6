"""The wide annual tables "Monthly counts of … by Acute Trust" and "… by CCG".

``wide-trust``
    Title lines (``Title:;…``, ``Reporting Period:;…``), then a header ``Trust Code;Trust
    Type;PHE Centre;Trust Name;<month>…;Trust Name``, a ``Totals`` row (often repeated at the
    bottom, sometimes spelled ``Total``), blank rows, one row per trust, footnotes.
``wide-ccg``
    "Monthly counts of … by CCG": ``CCG Code;PHE Centre;CCG Name;<month>…;CCG Name``, a blank
    row after every five CCGs. Kind ``ccg``, apportionment ``population``.

Columns are found by their header text, not their position.

Decisions
---------
Trust kind and apportionment
    Trust Type ``FT`` is a ``foundation_trust``, anything else (``--``) an ``nhs_trust``; the
    region is the PHE Centre. The counts are every case the trust reported (apportionment
    ``reported``) unless the title says the table holds trust-apportioned / trust-assigned /
    hospital-onset cases (``trust``) or non-trust / community-onset ones (``non_trust``).
    The 2016-17 title "… by Acute Trust - Trust Cases" means all cases reported by the trust:
    its totals equal the CCG tables' totals.
Specialist Commissioning Hubs
    The CCG tables' "Specialist Commissioning Hubs" row has no code in four of the five
    files; it gets ``13Q``, the code PHE gives it in the 2014-15 CCG table and the 2019-20
    long table (kind ``ccg``, since its cases are counted with the CCGs'). Any other row
    with figures and no code is an :class:`InputError`.
Totals rows
    Several ``Totals`` rows that agree are one check; rows that disagree are each checked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ...periods import Month
from ..errors import InputError, Problem, Problems
from .table import Parsed, totals_frame
from .text import Record, clean_name, declared_marks, header_key, month_of_header, parse_count

#: The code of the "Specialist Commissioning Hubs" row, which most CCG tables leave blank.
SPECIALIST_HUBS_CODE = "13Q"
_SPECIALIST_HUBS_NAME = "specialist commissioning hubs"
_CODE_RE = re.compile(r"^[A-Za-z0-9]{2,10}$")
_TOTAL_NAMES = frozenset({"total", "totals", "grand total", "england", "national total"})
_APPORTIONMENT_WORDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("non_trust", re.compile(r"non[- ]?trust|community[- ]onset", re.IGNORECASE)),
    ("trust", re.compile(r"apportioned|assigned|hospital[- ]onset", re.IGNORECASE)),
)


@dataclass
class _WideColumns:
    """Where things are in a wide header."""

    code: int
    name: int
    code_header: str
    name_header: str
    repeated: int | None
    trust_type: int | None
    region: int | None
    months: list[tuple[int, Month, str]]  # column, month, header text


def read_wide(path: Path, header: Record, body: list[Record], layout: str, title: str | None) -> Parsed:
    """Read a wide trust (``layout='wide-trust'``) or CCG (``'wide-ccg'``) table."""
    if layout == "wide-trust":
        apportionment, kind = trust_apportionment(title), None
    else:
        apportionment, kind = "population", "ccg"
    cols = _wide_columns(path, header)
    problems = Problems()
    rows: list[tuple[Record, str, dict[Month, int | None]]] = []  # record, code, counts
    total_rows: list[tuple[Record, dict[Month, int | None]]] = []
    notes: list[Record] = []
    first_line: dict[str, int] = {}
    for record in body:
        role, code = _wide_role(path, record, cols, problems)
        if role == "totals":
            total_rows.append((record, _wide_counts(path, record, cols, problems)))
        elif role == "note":
            notes.append(record)
        elif role == "organisation" and code in first_line:
            message = f"code {code} is given twice (also on line {first_line[code]})"
            problems.add(path.name, message, record.line, cols.code_header)
        elif role == "organisation":
            first_line[code] = record.line
            rows.append((record, code, _wide_counts(path, record, cols, problems)))
    if not rows:
        problems.add(path.name, "has no organisation rows under the header", header.line)
    problems.raise_if_any()
    marks = declared_marks(notes)
    organisations = [_wide_organisation(record, code, cols, kind, marks) for record, code, _ in rows]
    infections = [
        (code, str(month), apportionment, cases)
        for _, code, counts in rows
        for month, cases in counts.items()
        if cases is not None
    ]
    sums = {month: sum(c.get(month) or 0 for _, _, c in rows) for _, month, _ in cols.months}
    totals = _wide_totals(total_rows, sums)
    return Parsed(organisations, infections, totals, rows_read=len(rows) + len(total_rows), layout=layout)


def trust_apportionment(title: str | None) -> str:
    """``trust`` / ``non_trust`` when the title says so, else ``reported`` (every case)."""
    for apportionment, pattern in _APPORTIONMENT_WORDS:
        if title and pattern.search(title):
            return apportionment
    return "reported"


def _wide_columns(path: Path, header: Record) -> _WideColumns:
    problems = Problems()
    cells = [c.strip().lstrip("\ufeff") for c in header.cells]
    lower = [header_key(c) for c in cells]
    names = [i for i, c in enumerate(lower) if c in ("trust name", "ccg name")]
    codes = [i for i, c in enumerate(lower) if c in ("trust code", "ccg code")]
    if not names or not codes:
        missing = "'Trust Name' or 'CCG Name'" if not names else "'Trust Code' or 'CCG Code'"
        raise InputError(Problem(path.name, f"the header has no {missing} column", header.line, cells[0]))

    def find(*wanted: str) -> int | None:
        return next((i for i, c in enumerate(lower) if c in wanted), None)

    months: list[tuple[int, Month, str]] = []
    seen: dict[Month, str] = {}
    for i, c in enumerate(cells):
        month = month_of_header(c) if c else None
        if month is None:
            continue
        if month in seen:
            problems.add(path.name, f"month {month} is given twice (also by {seen[month]!r})", header.line, c)
        seen[month] = c
        months.append((i, month, c))
    if not months:
        problems.add(path.name, "the header names no months (expected headers like 'April 2017')", header.line)
    problems.raise_if_any()
    return _WideColumns(
        code=codes[0],
        name=names[0],
        code_header=cells[codes[0]],
        name_header=cells[names[0]],
        repeated=names[1] if len(names) > 1 else None,
        trust_type=find("trust type"),
        region=find("phe centre", "phe centre name", "phe region", "region"),
        months=months,
    )


def _wide_role(path: Path, record: Record, cols: _WideColumns, problems: Problems) -> tuple[str, str]:
    """What a row under the header is: ``organisation`` (with its code), ``totals``,
    ``note`` (blank rows and footnotes: nothing in the month columns), or ``bad``."""
    code, name = record.cell(cols.code), record.cell(cols.name)
    figures = any(record.cell(i) for i, _, _ in cols.months)
    if not code and name.lower() in _TOTAL_NAMES:
        return "totals", ""
    if code and _CODE_RE.match(code) and (name or figures):
        if not name:
            problems.add(path.name, f"the row of {code.upper()} has no name", record.line, cols.name_header)
            return "bad", ""
        return "organisation", code.upper()
    if not figures:
        return "note", ""
    if not code and clean_name(name).lower() == _SPECIALIST_HUBS_NAME:
        return "organisation", SPECIALIST_HUBS_CODE
    if not code:
        problems.add(path.name, f"the row of {name!r} has no organisation code", record.line, cols.code_header)
    else:
        problems.add(path.name, f"{code!r} is not an organisation code", record.line, cols.code_header)
    return "bad", ""


def _wide_counts(path: Path, record: Record, cols: _WideColumns, problems: Problems) -> dict[Month, int | None]:
    counts: dict[Month, int | None] = {}
    for i, month, header_text in cols.months:
        try:
            counts[month] = parse_count(record.cell(i))
        except ValueError as exc:
            problems.add(path.name, str(exc), record.line, header_text)
            counts[month] = None
    return counts


def _wide_organisation(
    record: Record, code: str, cols: _WideColumns, kind: str | None, marks: set[str]
) -> dict[str, str | None]:
    if kind is None:
        kind = "foundation_trust" if record.cell(cols.trust_type).upper() == "FT" else "nhs_trust"
    return {
        "code": code,
        "name": clean_name(record.cell(cols.name), record.cell(cols.repeated), marks),
        "kind": kind,
        "region": record.cell(cols.region) or None,
    }


def _wide_totals(total_rows: list[tuple[Record, dict[Month, int | None]]], sums: dict[Month, int]) -> pd.DataFrame:
    """One row per month for the Totals rows (one set when they all agree)."""
    groups: list[tuple[list[int], dict[Month, int | None]]] = []
    for record, counts in total_rows:
        same = next((g for g in groups if g[1] == counts), None)
        if same is None:
            groups.append(([record.line], counts))
        else:
            same[0].append(record.line)
    out = []
    for lines, counts in groups:
        label = "Totals row (line" + ("s " if len(lines) > 1 else " ") + ", ".join(map(str, lines)) + ")"
        out += [(month, counts.get(month), total, label) for month, total in sums.items()]
    return totals_frame(out)
