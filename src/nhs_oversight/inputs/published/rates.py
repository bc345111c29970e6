"""Published rates by ICB: "All organisms rates by ICB and financial year" (UKHSA table S6).

The table has a row per organism and ICB and a column per financial year (``2009 to
2010`` … ``2023 to 2024``); each cell is a rate [cases per 100,000 population].
``Trust_Rates_final_ICB_rates_by_organism.csv`` is an extract of it (42 ICBs × 6
organisms); the annual data tables (``.ods``) hold it as sheet ``Table_S6``.

Decisions
---------
Columns by name
    ``Species``; ``Sustainability transformation partnerships code (NHS)`` (or ``ICB code``)
    is the ``org_code`` (``QYG``); ``… code (ONS)`` (``E54000008``) is kept as ``ons_code``;
    ``Integrated care board (ICB)`` (or ``ICB name``) is the name; every column whose header
    is a financial year is a year of rates, whatever its position.
Not published
    ``[x]`` ("not available": MRSA and C. difficile rates exist from 2009-10, the others
    from 2012-13 or later) and empty cells write no row. A cell that is not a number is an
    :class:`InputError` naming file, row and column.
Rates only
    The table publishes neither the cases nor the population: ``cases`` and
    ``denominator`` are NA. A rate per population needs the ICB's population to become
    cases (a target count); the rate itself can be compared with a target rate as it is.
Organisms
    Labels are mapped as :mod:`.organism` says (``Methicillin-resistant Staphylococcus
    aureus (MRSA)`` → ``mrsa``; the extract's mangled non-breaking space is read as a space;
    ``Klebsiella genus`` → ``klebsiella``).
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

import pandas as pd

from ...periods import PeriodError
from ..errors import InputError, Problem, Problems
from .organism import organism_id
from .sheets import Sheet, cell_at, cell_float, read_sheets
from .text import financial_year_of, header_key

__all__ = ["read_published_rates", "RATE_COLUMNS"]

RATE_COLUMNS = ["org_code", "ons_code", "name", "kind", "organism", "species", "financial_year", "rate",
                "rate_per", "cases", "denominator"]  # fmt: skip
_COLUMNS = {
    "species": ("species",),
    "org_code": ("sustainability transformation partnerships code (nhs)", "icb code", "icb code (nhs)"),
    "ons_code": ("sustainability transformation partnerships code (ons)", "icb code (ons)"),
    "name": ("integrated care board (icb)", "icb name", "integrated care board"),
}
_REQUIRED = ("species", "org_code", "name")


def read_published_rates(path: Path) -> pd.DataFrame:
    """Read the published rates by ICB, organism and financial year.

    Parameters
    ----------
    path : Path
        The ICB rates table as text (``Trust_Rates_final_ICB_rates_by_organism.csv``) or a
        spreadsheet holding it (the annual data tables ``.ods``, sheet ``Table_S6``).

    Returns
    -------
    pandas.DataFrame
        One row per ICB, organism and financial year with a published rate:
        ``org_code, ons_code, name, kind ('icb'), organism, species (as published),
        financial_year ('2023-24'), rate [cases per 100,000 population], rate_per
        ('population'), cases (NA: not published), denominator (NA: not published)``.

    Raises
    ------
    InputError
        No sheet has the table's columns, or a cell is wrong (file, row, column named).
    """
    path = Path(path)
    for sheet in read_sheets(path):
        at = _header(sheet)
        if at is not None:
            return _read(sheet, at)
    raise InputError(
        Problem(
            path.name,
            "has no ICB rates table: no header row with 'Species', 'Integrated care board (ICB)' and "
            "'Sustainability transformation partnerships code (NHS)' (or 'ICB code') was found",
        )
    )


def _header(sheet: Sheet) -> int | None:
    for i, row in enumerate(sheet.rows[:15]):
        keys = {header_key(c) for c in row}
        if all(any(t in keys for t in _COLUMNS[name]) for name in _REQUIRED):
            return i
    return None


def _read(sheet: Sheet, at: int) -> pd.DataFrame:
    header = sheet.rows[at]
    keys = [header_key(c) for c in header]
    col = {name: next(keys.index(t) for t in texts if t in keys)
           for name, texts in _COLUMNS.items() if any(t in keys for t in texts)}  # fmt: skip
    years: list[tuple[int, str, str]] = []
    for i, text in enumerate(header):
        try:
            years.append((i, str(financial_year_of(text)), text))
        except PeriodError:
            continue
    problems = Problems()
    if not years:
        problems.add(sheet.where, "the header names no financial years (expected '2023 to 2024')", at + 1)
    out = []
    seen: dict[tuple[str, str, str], int] = {}
    for r, row in enumerate(sheet.rows[at + 1 :], start=at + 2):
        cell = partial(cell_at, row)
        if not any(c.strip() for c in row):
            continue
        species, code, name = cell(col["species"]), cell(col["org_code"]).upper(), " ".join(cell(col["name"]).split())
        if not code and not name:  # a note under the table
            continue
        if not code.isalnum():
            problems.add(sheet.where, f"{code!r} is not an organisation code", r, header[col["org_code"]])
            continue
        organism = organism_id(species)
        for i, year, text in years:
            try:
                rate = cell_float(cell(i))
            except ValueError as exc:
                problems.add(sheet.where, str(exc), r, text)
                continue
            if rate is None:
                continue
            key = (code, organism, year)
            if key in seen:
                problems.add(sheet.where, f"{code} {organism} {year} is given twice (also on row {seen[key]})", r, text)
                continue
            seen[key] = r
            out.append((code, cell(col.get("ons_code")) or None, name, "icb", organism,
                        " ".join(species.replace("\u00a0", " ").split()), year, rate, "population"))  # fmt: skip
    problems.raise_if_any()
    frame = pd.DataFrame(out, columns=RATE_COLUMNS[:-2])
    frame["rate"] = frame["rate"].astype("float64")
    frame["cases"] = pd.array([pd.NA] * len(frame), dtype="Int64")
    frame["denominator"] = pd.array([pd.NA] * len(frame), dtype="Float64")
    return frame.sort_values(["organism", "org_code", "financial_year"], ignore_index=True)[RATE_COLUMNS]
