"""National series from the UKHSA annual data tables (England, by organism and financial year).

"Gram-negative, MRSA and MSSA bacteraemia and C. difficile infection data tables" (``.ods``):
sheet S1 gives all reported, community-onset and hospital-onset cases and rates by
financial year; S8 the cases and rates by prior healthcare exposure (HOHA, COHA, COCA,
COIA, COUN, COMI) from 2017-18.

Decisions
---------
Which sheets
    Every sheet whose header row (found by name in its first 15 rows) has ``Species`` and
    ``Financial year`` and otherwise only ``Genus``, denominators (``Mid-year population
    estimate``, ``Total bed-days``, ``Total day-admissions``, ``Total bed-days including
    day-admissions``) and ``<measure> cases`` / ``<measure> rate (per 100,000 <unit>)``
    columns. Sheets broken down further (by age, sex, region, ICB, onset time, focus,
    ethnicity, deprivation) or without species are not national series and are left
    out; so today S1 and S8 are read. Column positions do not matter; ``[Note n]`` marks
    and line breaks in headers are ignored.
Measures
    ``all_reported``, ``community_onset``, ``hospital_onset`` (S1) and ``hoha``, ``coha``,
    ``coca``, ``coia``, ``coun``, ``comi`` (S8); any other ``… cases`` column is kept under
    its own lowercase id.
Organisms
    As :mod:`.organism` says. S8 has no ``Genus`` column and writes ``Not speciated`` and
    ``Other named species`` alone; they take the genus S1 of the same file gives the same
    label (Klebsiella), so they are ``klebsiella_not_speciated`` in both sheets.
Apportionment
    ``hospital_onset`` → ``trust``, ``community_onset`` → ``non_trust``, ``all_reported``
    → ``reported`` (every case reported in England). The prior-exposure measures get none
    (NA): they split the same cases again, and giving HOHA ``trust`` beside
    ``hospital_onset`` would count those cases twice in any sum by apportionment.
Rates and denominators
    ``rate`` is as published [cases per 100,000 of ``rate_per``: ``population``,
    ``bed_days`` or ``bed_days_and_day_admissions``]; ``denominator`` is the sheet's
    figure for that unit in the same row (not per 100,000). ``[x]`` (not collected) is NA;
    a row with neither cases nor a rate is not written.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import pandas as pd

from ...periods import PeriodError
from ..errors import InputError, Problem, Problems
from .organism import organism_id
from .sheets import Sheet, cell_at, cell_float, read_sheets
from .text import financial_year_of, header_key, parse_count

__all__ = ["read_national_series", "SERIES_COLUMNS"]

SERIES_COLUMNS = ["organism", "species", "financial_year", "measure", "apportionment", "cases", "rate", "rate_per",
                  "denominator", "sheet"]  # fmt: skip
_DENOMINATORS = {
    "mid-year population estimate": "population",
    "total bed-days": "bed_days",
    "total day-admissions": "day_admissions",
    "total bed-days including day-admissions": "bed_days_and_day_admissions",
}
_UNITS = {
    "population": "population",
    "bed-days": "bed_days",
    "bed-days and day-admissions": "bed_days_and_day_admissions",
}
_APPORTIONMENT = {"hospital_onset": "trust", "community_onset": "non_trust", "all_reported": "reported"}
T = TypeVar("T")
_CASES_RE = re.compile(r"^(.+?) cases$")
_RATE_RE = re.compile(r"^(.+?) rate \(per 100,000 (.+?)\)$")


def _measure(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def read_national_series(path: Path) -> pd.DataFrame:
    """Read the national counts and rates by organism, financial year and measure.

    Parameters
    ----------
    path : Path
        The UKHSA annual data tables (``.ods``; reading it needs odfpy).

    Returns
    -------
    pandas.DataFrame
        ``organism, species (as published), financial_year ('2023-24'), measure,
        apportionment (or NA), cases (Int64, NA where not published), rate [cases per
        100,000 rate_per] (NA where not published), rate_per, denominator, sheet``.

    Raises
    ------
    InputError
        No sheet is a national series, a cell is wrong (file, sheet, row and column named),
        or odfpy is not installed.
    """
    path = Path(path)
    sheets = [(sheet, at) for sheet in read_sheets(path) if (at := _series_header(sheet)) is not None]
    genus_of = {label: genus for sheet, at in sheets for label, genus in _genera(sheet, at).items()}
    frames = [_read(sheet, at, genus_of) for sheet, at in sheets]
    if not frames:
        raise InputError(
            Problem(
                path.name,
                "has no national series: no sheet has a header with 'Species', 'Financial year' and "
                "'<measure> cases' columns only",
            )
        )
    frame = pd.concat(frames, ignore_index=True)
    dup = frame.duplicated(["organism", "financial_year", "measure"], keep=False)
    if dup.any():
        first = frame[dup].iloc[0]
        raise InputError(
            Problem(
                path.name,
                f"{first['organism']} {first['financial_year']} {first['measure']} is given by more than one "
                f"sheet or row ({', '.join(sorted(set(frame[dup]['sheet'])))})",
            )
        )
    return frame[SERIES_COLUMNS]


def _role(key: str) -> tuple[str, str | None] | None:
    """What a header is: ('dimension', name), ('denominator', unit), ('cases', measure),
    ('rate', measure + '|' + unit), or None when the sheet is not a national series."""
    if key in ("species", "financial year", "genus"):
        return "dimension", key
    if key in _DENOMINATORS:
        return "denominator", _DENOMINATORS[key]
    m = _RATE_RE.match(key)
    if m and m.group(2) in _UNITS:
        return "rate", f"{_measure(m.group(1))}|{_UNITS[m.group(2)]}"
    m = _CASES_RE.match(key)
    if m:
        return "cases", _measure(m.group(1))
    return None


def _series_header(sheet: Sheet) -> int | None:
    at = sheet.header_row("species", "financial year")
    if at is None:
        return None
    roles = [_role(header_key(c)) for c in sheet.rows[at] if c.strip()]
    if any(r is None for r in roles) or not any(r and r[0] == "cases" for r in roles):
        return None
    return at


def _genera(sheet: Sheet, at: int) -> dict[str, str]:
    """The genus of each species label of a sheet with a ``Genus`` column."""
    keys = [header_key(c) for c in sheet.rows[at]]
    if "genus" not in keys:
        return {}
    g, s = keys.index("genus"), keys.index("species")
    return {" ".join(row[s].split()): row[g].strip() for row in sheet.rows[at + 1 :]
            if len(row) > max(g, s) and row[s].strip() and row[g].strip()}  # fmt: skip


@dataclass
class _Cells:
    """A row's cells parsed one by one, a bad cell added to the problems (and read as None)."""

    sheet: Sheet
    header: list[str]
    row: list[str]
    number: int
    problems: Problems

    def value(self, parse: Callable[[str], T], index: int | None) -> T | None:
        if index is None:
            return None
        try:
            return parse(cell_at(self.row, index))
        except ValueError as exc:
            self.problems.add(self.sheet.where, str(exc), self.number, self.header[index])
            return None


def _read(sheet: Sheet, at: int, genus_of: dict[str, str]) -> pd.DataFrame:
    header = sheet.rows[at]
    roles = {i: _role(header_key(c)) for i, c in enumerate(header) if c.strip()}
    dims = {r[1]: i for i, r in roles.items() if r and r[0] == "dimension"}
    denominators = {r[1]: i for i, r in roles.items() if r and r[0] == "denominator"}
    cases = {str(r[1]): i for i, r in roles.items() if r and r[0] == "cases"}
    rates = {str(r[1]).split("|")[0]: (i, str(r[1]).split("|")[1]) for i, r in roles.items() if r and r[0] == "rate"}
    name = sheet.where.split("[")[-1].rstrip("]")
    problems = Problems()
    out = []
    order = sorted(set(cases) | set(rates), key=lambda m: min(cases.get(m, 999), rates.get(m, (999,))[0]))
    for r, row in enumerate(sheet.rows[at + 1 :], start=at + 2):
        species, year_text = cell_at(row, dims["species"]), cell_at(row, dims["financial year"])
        if not species or not year_text:
            continue  # blank rows and notes
        try:
            year = str(financial_year_of(year_text))
        except PeriodError as exc:
            problems.add(sheet.where, str(exc), r, header[dims["financial year"]])
            continue
        genus = cell_at(row, dims.get("genus")) or genus_of.get(" ".join(species.split()), "")
        organism = organism_id(species, genus)
        for measure in order:
            unit = rates[measure][1] if measure in rates else None
            found = _Cells(sheet, header, row, r, problems)
            count = found.value(parse_count, cases.get(measure))
            rate = found.value(cell_float, rates[measure][0] if measure in rates else None)
            denominator = found.value(cell_float, denominators.get(unit)) if unit else None
            if count is None and rate is None:
                continue
            out.append((organism, " ".join(species.split()), year, measure, _APPORTIONMENT.get(measure), count, rate,
                        unit, denominator, name))  # fmt: skip
    problems.raise_if_any()
    frame = pd.DataFrame(out, columns=SERIES_COLUMNS)
    frame["cases"] = pd.array(frame["cases"].tolist(), dtype="Int64")
    for col in ("rate", "denominator"):
        frame[col] = pd.array(frame[col].tolist(), dtype="Float64")
    return frame
