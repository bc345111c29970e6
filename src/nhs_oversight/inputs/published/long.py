"""The long tables: one figure per organisation, month and metric (2018-19 on).

``long`` (2018-19, 2019-20)
    ``Collection;Organisation type;Organisation code;Organisation name;PHE Centre;Year;
    Month;Metric;Figure;…``. ``NHS Acute Trust`` rows give ``Hospital-onset`` and
    ``Community-onset``; ``CCG`` rows give ``Total cases``; ``National`` rows are the
    published totals.
``long-2020`` (2020-21 on)
    The same, with columns added (``STP``, later ``Region name``) and the onset split by
    prior healthcare exposure (:mod:`.onset` lists the metrics and how each is imported).

Decisions
---------
Columns by name
    Every column is found by its header, never by its position: ``Organisation type``,
    ``Organisation code``, ``Organisation name``, ``Year``, ``Month``, ``Metric`` and
    ``Figure`` are required (``Measure`` is read as ``Metric``, ``Value`` or ``Count`` as
    ``Figure``); ``Collection`` (the organism) and the region (``PHE Centre``, else
    ``UKHSA Centre``, ``UKHSA region``, ``Region name`` or ``Region``) are used when
    present; any other column (``STP``, ``Data signed off``, …) is ignored.
Months
    ``Year`` is the calendar year of the month (months 4-12 of 2018 and 1-3 of 2019, and
    both Marches, in the 2018-19 file: 13 months; likewise March 2020 to March 2021 in the
    2020-21 file); a ``Year`` written as a financial year (``2018-19``) is read as one.
Blank and footnote rows
    Empty rows (18k of them in the 2019-20 file, 2,379 in 2020-21) are skipped, and so is a
    row with nothing in its organisation code, metric and figure cells (a footnote or
    source line pasted under the table).
Organisation status
    The long tables say ``NHS Acute Trust`` (``NHS acute trust`` in 2020-21) for every trust
    without foundation-trust status, so all their trusts are imported as ``nhs_trust``;
    correct the kind from another source (e.g. an ``organisations.csv`` of the same codes)
    where it matters. From July 2022 the tables name the CCGs' successors: a ``Sub-ICB
    location`` keeps its CCG's code and population and is held to the same residents' cases, so
    it imports as ``ccg``; an ``ICB`` row is the sum of its sub-ICB locations, so it is not
    imported as an organisation (that would count every resident's case twice) but checked:
    the ICBs' total of each metric and month must equal the sub-ICB locations'. Other
    organisation types are refused by name.
Regions
    The region is imported as published (the 2020-21 table writes ``West Midlandst`` for
    one trust's PHE Centre; it is not corrected).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ...periods import Month, PeriodError
from ..errors import InputError, Problem, Problems
from .onset import METRICS, apportion, expected_metrics, label_of, metric_of, parts_of
from .table import Parsed, totals_frame
from .text import Record, clean_name, header_key, month_of_long, parse_count

#: Required columns of the long tables, each with the header texts it may have.
LONG_COLUMNS: dict[str, tuple[str, ...]] = {
    "Organisation type": ("organisation type", "organization type", "org type"),
    "Organisation code": ("organisation code", "organization code", "org code"),
    "Organisation name": ("organisation name", "organization name", "org name"),
    "Year": ("year",),
    "Month": ("month",),
    "Metric": ("metric", "measure"),
    "Figure": ("figure", "value", "count"),
}
#: Optional columns, each with the header texts it may have (the first found is used).
OPTIONAL_COLUMNS: dict[str, tuple[str, ...]] = {
    "Collection": ("collection", "data collection"),
    "Region": ("phe centre", "ukhsa centre", "ukhsa region", "region name", "region"),
}
_CODE_RE = re.compile(r"^[A-Za-z0-9]{2,10}$")
_LONG_TYPES = {
    "ccg": "ccg",
    "sub-icb location": "ccg",
    "sub icb location": "ccg",
    "sub-icb": "ccg",
    "nhs acute trust": "nhs_trust",
    "nhs trust": "nhs_trust",
    "acute trust": "nhs_trust",
    "national": "national",
    "icb": "icb",
    "integrated care board": "icb",
}
#: Rows that add up others (checked against their sums, never imported as organisations).
_AGGREGATES = ("national", "icb")


def long_columns(path: Path, header: Record) -> dict[str, tuple[int, str]]:
    """Each column's index and header text, by its name in :data:`LONG_COLUMNS`.

    Raises
    ------
    InputError
        Naming every required column the header lacks.
    """
    keys = [header_key(c) for c in header.cells]
    found: dict[str, tuple[int, str]] = {}
    for name, texts in (LONG_COLUMNS | OPTIONAL_COLUMNS).items():
        for text in texts:
            if text in keys:
                i = keys.index(text)
                found[name] = (i, header.cells[i].strip().lstrip("\ufeff"))
                break
    missing = [name for name in LONG_COLUMNS if name not in found]
    if missing:
        raise InputError(
            [Problem(path.name, f"the long table has no {name!r} column", header.line, name) for name in missing]
        )
    return found


def is_note(record: Record, col: dict[str, tuple[int, str]]) -> bool:
    """A blank row, or a footnote: nothing in the organisation code, metric and figure cells."""
    return record.blank() or not any(record.cell(col[name][0]) for name in ("Organisation code", "Metric", "Figure"))


def collection_of(path: Path, header: Record, body: list[Record]) -> tuple[str, int] | None:
    """The ``Collection`` named by every row, with the first row's line; mixed is an error."""
    col = long_columns(path, header)
    if "Collection" not in col:
        return None
    index, text = col["Collection"]
    first: tuple[str, int] | None = None
    for record in body:
        value = record.cell(index)
        if not value or is_note(record, col):
            continue
        if first is None:
            first = (value, record.line)
        elif value.lower() != first[0].lower():
            raise InputError(
                Problem(
                    path.name,
                    f"holds more than one collection ({first[0]!r} on line {first[1]}, {value!r} here); "
                    "import one organism per file",
                    record.line,
                    text,
                )
            )
    return first


@dataclass
class _LongRow:
    line: int
    kind: str
    code: str
    month: Month
    metric: str
    figure: int | None


_Key = tuple[str, str, Month]  # kind, code, month


def read_long(path: Path, header: Record, body: list[Record]) -> Parsed:
    """Read a long table (``long`` or ``long-2020``, by the metrics it holds)."""
    col = long_columns(path, header)
    problems = Problems()
    rows: list[_LongRow] = []
    organisations: dict[str, dict[str, str | None]] = {}
    for record in body:
        if is_note(record, col):
            continue
        row = _long_row(path, record, col, problems)
        if row is None:
            continue
        rows.append(row)
        if row.kind not in _AGGREGATES and row.code not in organisations:
            organisations[row.code] = {
                "code": row.code,
                "name": clean_name(record.cell(col["Organisation name"][0])),
                "kind": row.kind,
                "region": record.cell(col["Region"][0]) if "Region" in col else None,
            }
            organisations[row.code]["region"] = organisations[row.code]["region"] or None
    figures = _index_long(path, rows, organisations, col, problems)
    _check_parts(path, figures, col["Figure"][1], problems)
    if not organisations:
        problems.add(path.name, "has no CCG or NHS acute trust rows", header.line)
    problems.raise_if_any()
    metrics = {row.metric for row in rows}
    layout = "long-2020" if any(m.layout == "long-2020" and m.key in metrics for m in METRICS) else "long"
    infections = _long_infections(figures, list(organisations))
    totals = _long_totals(figures)
    return Parsed(list(organisations.values()), infections, totals, rows_read=len(rows), layout=layout)


def _long_row(path: Path, record: Record, col: dict[str, tuple[int, str]], problems: Problems) -> _LongRow | None:
    file, line = path.name, record.line

    def cell(name: str) -> str:
        return record.cell(col[name][0])

    type_text = cell("Organisation type")
    kind = _LONG_TYPES.get(" ".join(type_text.lower().split()))
    if kind is None:
        problems.add(
            file,
            f"unknown organisation type {type_text!r}; expected CCG, Sub-ICB location, NHS Acute Trust, ICB "
            "or National",
            line,
            col["Organisation type"][1],
        )
    code = cell("Organisation code").upper()
    if not _CODE_RE.match(code):
        problems.add(file, f"{code!r} is not an organisation code", line, col["Organisation code"][1])
    metric_text = cell("Metric")
    metric = metric_of(metric_text)
    if metric is None:
        problems.add(
            file, f"unknown metric {metric_text!r}; expected one of {expected_metrics()}", line, col["Metric"][1]
        )
    month: Month | None = None
    try:
        month = month_of_long(cell("Year"), cell("Month"))
    except PeriodError as exc:
        bad_year = not re.fullmatch(r"\d{4}|\d{4}[-/]\d{2}", cell("Year"))
        problems.add(file, str(exc), line, col["Year" if bad_year else "Month"][1])
    figure: int | None = None
    try:
        figure = parse_count(cell("Figure"))
    except ValueError as exc:
        problems.add(file, str(exc), line, col["Figure"][1])
    if kind is None or metric is None or month is None or not _CODE_RE.match(code):
        return None
    return _LongRow(line, kind, code, month, metric.key, figure)


def _index_long(
    path: Path,
    rows: list[_LongRow],
    organisations: dict[str, dict[str, str | None]],
    col: dict[str, tuple[int, str]],
    problems: Problems,
) -> dict[_Key, dict[str, _LongRow]]:
    """The rows by organisation-month and metric; duplicates and kind clashes are problems."""
    figures: dict[_Key, dict[str, _LongRow]] = {}
    for row in rows:
        if row.kind not in _AGGREGATES and organisations[row.code]["kind"] != row.kind:
            problems.add(
                path.name,
                f"{row.code} is a {organisations[row.code]['kind']} on an earlier line and a {row.kind} here",
                row.line,
                col["Organisation type"][1],
            )
            continue
        month_rows = figures.setdefault((row.kind, row.code, row.month), {})
        if row.metric in month_rows:
            problems.add(
                path.name,
                f"{row.code} {row.month} {label_of(row.metric)} is given twice "
                f"(also on line {month_rows[row.metric].line})",
                row.line,
                col["Metric"][1],
            )
            continue
        month_rows[row.metric] = row
    return figures


def _check_parts(path: Path, figures: dict[_Key, dict[str, _LongRow]], figure_header: str, problems: Problems) -> None:
    """Each figure given with any of its parts equals the sum of the parts given."""
    for (kind, code, month), month_rows in figures.items():
        if kind in _AGGREGATES:  # checked against the sums of the rows instead
            continue
        for key, whole in month_rows.items():
            parts = [month_rows[p] for p in parts_of(key) if p in month_rows]
            if whole.figure is None or not parts or any(p.figure is None for p in parts):
                continue
            if sum(p.figure or 0 for p in parts) != whole.figure:
                listed = " + ".join(f"{label_of(p.metric)} {p.figure} (line {p.line})" for p in parts)
                problems.add(
                    path.name,
                    f"{label_of(key)} {whole.figure} for {code} in {month} is not {listed}",
                    whole.line,
                    figure_header,
                )


def _long_infections(figures: dict[_Key, dict[str, _LongRow]], order: list[str]) -> list[tuple[str, str, str, int]]:
    """The infections rows of a long table, in the organisations' order, then by month."""
    rank = {code: i for i, code in enumerate(order)}
    out: list[tuple[str, str, str, int]] = []
    for (kind, code, month), month_rows in figures.items():
        if kind in _AGGREGATES:
            continue
        given = {key: row.figure for key, row in month_rows.items()}
        out += [(code, str(month), app, cases) for app, cases in apportion(kind, given)]
    order_of = {"trust": 0, "non_trust": 1, "reported": 2, "population": 3}
    out.sort(key=lambda r: (rank[r[0]], r[1], order_of[r[2]]))
    return out


def _long_totals(figures: dict[_Key, dict[str, _LongRow]]) -> pd.DataFrame:
    """Each National figure against the sum of the trusts' and of the CCGs' same metric."""
    scopes = {"nhs_trust": "NHS acute trusts", "ccg": "CCGs"}
    icb_sums: dict[tuple[Month, str], tuple[int, int]] = {}
    metric_order = [m.key for m in METRICS]
    sums: dict[tuple[str, Month, str], int] = {}
    for (kind, _, month), month_rows in figures.items():
        if kind in scopes or kind == "icb":
            for metric, row in month_rows.items():
                sums[(kind, month, metric)] = sums.get((kind, month, metric), 0) + (row.figure or 0)
                if kind == "icb":
                    icb_sums.setdefault((month, metric), (row.line, 0))
    nationals = sorted(
        (
            (month, metric, row)
            for (kind, _, month), rs in figures.items()
            if kind == "national"
            for metric, row in rs.items()
        ),
        key=lambda t: (t[0], metric_order.index(t[1])),
    )
    out = []
    for month, metric, row in nationals:
        for kind, scope in scopes.items():
            if (kind, month, metric) in sums:
                label = f"{row.code} {label_of(metric)} (line {row.line}) = sum of {scope}"
                out.append((month, row.figure, sums[(kind, month, metric)], label))
    for (month, metric), (line, _) in sorted(icb_sums.items(), key=lambda t: (t[0][0], metric_order.index(t[0][1]))):
        if ("icb", month, metric) in sums and ("ccg", month, metric) in sums:
            label = f"ICBs' {label_of(metric)} (from line {line}) = sum of sub-ICB locations"
            out.append((month, sums[("icb", month, metric)], sums[("ccg", month, metric)], label))
    return totals_frame(out)
