"""Extracts of the HCAI Data Capture System, as the ``hcaidcs`` R package holds them.

``hcaidcs-ccg``
    ``data_collection,ccg_code,fyear6,year_no,month_no,total_cases,apportioned,
    nhs_trust_pir,ccg_pir,third_party_pir,fmonth,month_string``: MRSA counts by CCG and
    month (``monthly_ccg_data_raw``).
``hcaidcs-trust``
    ``org_code,year_no,month_no,data_collection,fyear6,total_cases,apportioned,…,hoha,coha,
    coia,coca,phc_all_blank,phc_unknown_3_mo,fmonth,month_string``: C. difficile counts of
    one trust by month (``cdi_prior_hc_data``).

Columns are found by name, in any order.

Decisions
---------
What is imported
    A CCG's ``total_cases`` → ``population``. A trust's ``apportioned`` (trust-apportioned
    under the rules of the year: these rows are 2016-17 and 2017-18) → ``trust`` and
    ``total_cases − apportioned`` → ``non_trust``.
What is knowingly skipped
    ``nhs_trust_pir``, ``ccg_pir``, ``third_party_pir``: MRSA cases by the organisation a
    post-infection review assigned them to; the data contract has no assignment at the level
    of counts. They are checked to add up to ``total_cases`` where all three are given (they
    do on all 714 real rows). A CCG's ``apportioned`` (the trust-apportioned share of its
    residents' cases) has no apportionment of a CCG in the contract. ``hoha``, ``coha``,
    ``coia``, ``coca``, ``phc_all_blank``, ``phc_unknown_3_mo``: cases by prior healthcare
    exposure, checked to add up to ``total_cases`` where all are given (they do on the 12
    rows that give them); they are not the ``trust`` figure of 2016-17 and 2017-18.
    ``fyear6`` and ``month_string`` are checked against ``year_no``/``month_no``; ``fmonth``
    is not read: ``monthly_ccg_data_raw`` numbers April 1 … December 9, January 12,
    February 11, March 0, while ``cdi_prior_hc_data`` numbers January 10 … March 12.
    A column not named here is refused by name: its figures might be counts.
Names and kinds
    The extracts carry codes, no names: the code is imported as the name (organisations
    already in the database keep theirs). Trusts are imported as ``nhs_trust`` (R0A, the
    only one, is a foundation trust: correct the kind from another source where it
    matters).
Months without a row
    ``monthly_ccg_data_raw`` lists only CCG-months with cases (901 cases in 714 rows, 193
    CCGs, July 2016 to July 2017). A month without a row had no case, but no zero row is
    written for it: the extract does not say which CCGs were counted, and the readers of the
    other layouts write no row for a figure not published either.
Totals
    The extracts publish no totals: :attr:`PublishedTable.totals` is empty.
Files of the package that carry no organisation counts
    ``mf_trend_data`` (national monthly counts for England) and ``age_trends_data``
    (national C. difficile counts by age group and sex) are refused with that reason.
"""

from __future__ import annotations

import calendar
from pathlib import Path

from ...periods import FinancialYear, Month, PeriodError
from ..errors import Problems
from .table import Parsed, totals_frame
from .text import Record, financial_year_of, header_key, parse_count

#: The columns that identify an hcaidcs extract of counts by organisation.
SIGNATURE = ("data_collection", "year_no", "month_no", "total_cases")
#: Extracts of the package that hold no counts by organisation, by a column only they have.
NATIONAL_EXTRACTS = {
    "ecoli_ta": "national monthly counts for England (hcaidcs mf_trend_data): no organisation rows",
    "age_group_new": "national C. difficile counts by age group and sex (hcaidcs age_trends_data): "
    "no organisation rows",
}
_PIR = ("nhs_trust_pir", "ccg_pir", "third_party_pir")
_PRIOR_HC = ("hoha", "coha", "coia", "coca", "phc_all_blank", "phc_unknown_3_mo")
_KNOWN = {
    *SIGNATURE,
    "ccg_code",
    "org_code",
    "fyear6",
    "apportioned",
    *_PIR,
    *_PRIOR_HC,
    "fmonth",
    "month_string",
}


def read_hcaidcs(path: Path, header: Record, body: list[Record]) -> Parsed:
    """Read an hcaidcs extract of monthly counts by CCG or by trust."""
    keys = [header_key(c) for c in header.cells]
    col = {k: i for i, k in enumerate(keys) if k}
    problems = Problems()
    for k, i in col.items():
        if k not in _KNOWN:
            problems.add(
                path.name,
                f"column {header.cells[i].strip()!r} is not one the hcaidcs reader knows "
                f"(known: {', '.join(sorted(_KNOWN))}); its figures might be counts, so the file is refused",
                header.line,
                header.cells[i].strip(),
            )
    code_col = "ccg_code" if "ccg_code" in col else "org_code" if "org_code" in col else None
    if code_col is None:
        problems.add(path.name, "the extract has no 'ccg_code' or 'org_code' column", header.line)
    problems.raise_if_any()
    kind = "ccg" if code_col == "ccg_code" else "nhs_trust"
    organisations: dict[str, dict[str, str | None]] = {}
    infections: list[tuple[str, str, str, int]] = []
    seen: dict[tuple[str, Month], int] = {}
    rows = 0
    for record in body:
        if record.blank():
            continue
        rows += 1
        row = _row(path, record, col, problems)
        code = record.cell(col[str(code_col)]).upper()
        if not code.isalnum() or not 2 <= len(code) <= 10:
            problems.add(path.name, f"{code!r} is not an organisation code", record.line, code_col)
            continue
        if row is None:
            continue
        month, total, apportioned = row
        if (code, month) in seen:
            problems.add(
                path.name,
                f"{code} {month} is given twice (also on line {seen[(code, month)]})",
                record.line,
                "month_no",
            )
            continue
        seen[(code, month)] = record.line
        organisations.setdefault(code, {"code": code, "name": code, "kind": kind, "region": None})
        if kind == "ccg" and total is not None:
            infections.append((code, str(month), "population", total))
        elif kind == "nhs_trust" and total is not None and apportioned is not None:
            if apportioned > total:
                problems.add(
                    path.name, f"apportioned {apportioned} is more than total_cases {total}", record.line, "apportioned"
                )
                continue
            infections += [
                (code, str(month), "trust", apportioned),
                (code, str(month), "non_trust", total - apportioned),
            ]
        elif kind == "nhs_trust" and total is not None:
            infections.append((code, str(month), "reported", total))
    if not organisations:
        problems.add(path.name, "has no rows under the header", header.line)
    problems.raise_if_any()
    infections.sort(key=lambda r: (r[0], r[1], r[2]))
    return Parsed(
        list(organisations.values()),
        infections,
        totals_frame([]),
        rows_read=rows,
        layout=f"hcaidcs-{kind.split('_')[-1]}",
    )


def _row(
    path: Path, record: Record, col: dict[str, int], problems: Problems
) -> tuple[Month, int | None, int | None] | None:
    """The month, total_cases and apportioned of a row, its checks made."""
    file, line = path.name, record.line

    def count(name: str) -> int | None:
        if name not in col:
            return None
        try:
            return parse_count(record.cell(col[name]))
        except ValueError as exc:
            problems.add(file, str(exc), line, name)
            return None

    try:
        month = Month(int(record.cell(col["year_no"])), int(record.cell(col["month_no"])))
    except (ValueError, PeriodError):
        problems.add(
            file,
            f"year_no {record.cell(col['year_no'])!r} and month_no {record.cell(col['month_no'])!r} are not a month",
            line,
            "month_no",
        )
        return None
    fy = FinancialYear(month.year if month.month >= 4 else month.year - 1)
    if "fyear6" in col and record.cell(col["fyear6"]):
        try:
            stated = financial_year_of(record.cell(col["fyear6"]))
        except PeriodError as exc:
            problems.add(file, str(exc), line, "fyear6")
        else:
            if stated != fy:
                problems.add(file, f"fyear6 {record.cell(col['fyear6'])} does not hold {month} ({fy})", line, "fyear6")
    if "month_string" in col and record.cell(col["month_string"]).lower() not in (
        "",
        calendar.month_name[month.month].lower(),
    ):
        problems.add(
            file, f"month_string {record.cell(col['month_string'])!r} is not month {month.month}", line, "month_string"
        )
    total = count("total_cases")
    apportioned = count("apportioned")
    for group in (_PIR, _PRIOR_HC):
        parts = [count(name) for name in group if name in col]
        if total is None or not parts or any(p is None for p in parts) or len(parts) < len(group):
            continue
        if sum(p or 0 for p in parts) != total:
            listed = " + ".join(f"{n} {record.cell(col[n])}" for n in group)
            problems.add(file, f"total_cases {total} is not {listed}", line, "total_cases")
    return month, total, apportioned


def national_extract_reason(keys: list[str]) -> str | None:
    """Why an hcaidcs extract without organisation counts cannot be imported (None if it is not one)."""
    for column, reason in NATIONAL_EXTRACTS.items():
        if column in keys:
            return reason
    return None
