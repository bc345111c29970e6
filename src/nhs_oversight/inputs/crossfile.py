"""The checks of a data folder's files against each other (DATA.md), one chunk at a time.

Each check looks only at the rows it is given and at what they refer to: the organisations
and their kinds, the counting rulebook, the counts derived from case-level reports. Those
are small (one entry per organisation, per period, per derived count), so a big table is
checked chunk by chunk as it streams, with the problems the check of the whole table gives,
row for row and in the same order.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import numpy as np
import pandas as pd

from ..periods import FinancialYear, Month, PeriodError
from ..rulebooks import RulebookError, RulebookLibrary
from ..rules.hcai import attribute_cases
from .errors import Problems
from .schemas import COMMISSIONER_KINDS, TRUST_APPORTIONMENTS, TRUST_KINDS, TableSchema

__all__ = [
    "org_kinds",
    "check_org_codes",
    "check_apportionment",
    "check_case_orgs",
    "check_admissions",
    "check_trajectories",
    "Ceilings",
    "PLAUSIBLE",
    "derive_counts",
    "DerivedCounts",
]

#: The key of ``infections``, which counts derived from ``cases.csv`` are matched on.
COUNT_KEY = ["org_code", "organism", "month", "apportionment"]


def org_kinds(known_orgs: pd.DataFrame | None, organisations: pd.DataFrame | None) -> dict[str, str]:
    """Each organisation's kind: those already in the database, then the folder's own."""
    kinds: dict[str, str] = {}
    if known_orgs is not None and len(known_orgs):
        kinds.update(zip(known_orgs["code"], known_orgs["kind"]))
    if organisations is not None:
        kinds.update(zip(organisations["code"], organisations["kind"]))
    return kinds


def check_org_codes(
    frame: pd.DataFrame, schema: TableSchema, kinds: dict[str, str], problems: Problems, file: str
) -> None:
    """Every code in an organisation column must be an organisation."""
    for col in schema.org_columns:
        unknown = ~frame[col].isin(kinds)
        problems.add_rows(
            file,
            frame.index[unknown],
            col,
            (f"unknown organisation code {c!r}: it is not in organisations.csv" for c in frame.loc[unknown, col]),
        )


def check_apportionment(inf: pd.DataFrame, kinds: dict[str, str], problems: Problems, file: str) -> None:
    """Trusts report ``trust``, ``non_trust`` or ``reported`` counts; PCTs and CCGs ``population``."""
    k = inf["org_code"].map(kinds)
    wrong = ((inf["apportionment"] == "population") & k.isin(TRUST_KINDS)) | (
        inf["apportionment"].isin(TRUST_APPORTIONMENTS) & k.isin(COMMISSIONER_KINDS)
    )
    problems.add_rows(
        file,
        inf.index[wrong],
        "apportionment",
        (
            f"{a!r} counts do not apply to {c} (a {kk}): trusts report 'trust', 'non_trust' or 'reported' cases, "
            "PCTs and CCGs 'population' cases"
            for a, c, kk in zip(inf.loc[wrong, "apportionment"], inf.loc[wrong, "org_code"], k[wrong])
        ),
    )


def check_case_orgs(cases: pd.DataFrame, kinds: dict[str, str], problems: Problems, file: str) -> None:
    """A case is reported by a trust and belongs to a PCT or CCG."""
    for col, allowed, what in (
        ("reporting_org", TRUST_KINDS, "a trust"),
        ("responsible_org", COMMISSIONER_KINDS, "a PCT or CCG"),
    ):
        k = cases[col].map(kinds)
        wrong = k.notna() & ~k.isin(allowed)
        problems.add_rows(
            file,
            cases.index[wrong],
            col,
            (f"{c} is a {kk}; {col} must be {what}" for c, kk in zip(cases.loc[wrong, col], k[wrong])),
        )


def check_admissions(cases: pd.DataFrame, problems: Problems, file: str) -> None:
    """A patient is admitted on or before the day the specimen is taken."""
    has = cases["admission_date"].notna()
    late = [
        (row, a, s)
        for row, a, s in zip(cases.index[has], cases.loc[has, "admission_date"], cases.loc[has, "specimen_date"])
        if a > s
    ]
    for row, a, s in late:
        problems.add(file, f"admission {a} is after the specimen date {s}", int(row), "admission_date")


def check_trajectories(obj: pd.DataFrame, file: str, problems: Problems) -> None:
    """An agreed trajectory gives all four quarters, never falls, and ends at the objective."""
    qs = ["q1", "q2", "q3", "q4"]
    given = obj[qs].notna()
    partial = given.any(axis=1) & ~given.all(axis=1)
    for row in obj.index[partial].tolist():
        missing = [q for q in qs if not given.at[row, q]]
        problems.add(file, "a trajectory needs all of q1, q2, q3, q4 (cumulative cases)", row, missing[0])
    full = obj[given.all(axis=1)]
    for row, r in zip(full.index.tolist(), full.to_dict("records")):
        values = [int(r[q]) for q in qs]
        for i in range(1, 4):
            if values[i] < values[i - 1]:
                problems.add(
                    file,
                    f"the trajectory is cumulative, so {qs[i]} ({values[i]}) "
                    f"cannot be below {qs[i - 1]} ({values[i - 1]})",
                    int(row),
                    qs[i],
                )
        if values[3] != int(r["objective_cases"]):
            problems.add(
                file,
                f"q4 ({values[3]}) must equal objective_cases ({int(r['objective_cases'])}): "
                "the trajectory ends at the annual objective",
                int(row),
                "q4",
            )


#: The counts checked against the counting rulebook's ceiling: table -> (count column, period
#: column, period parser, months in the period, the period in words).
PLAUSIBLE: dict[str, tuple[str, str, Callable[[str], Month | FinancialYear], int, str]] = {
    "infections": ("cases", "month", Month.parse, 1, "a month"),
    "objectives": ("objective_cases", "financial_year", FinancialYear.parse, 12, "a year"),
}


class Ceilings:
    """The ceiling of plausibility of each period's counts (``hcai-counting``
    ``max_monthly_cases`` times the months of the period), looked up once per period."""

    def __init__(self, library: RulebookLibrary) -> None:
        self.library = library
        self._known: dict[tuple[str, str], float] = {}

    def _ceiling(self, name: str, period: str) -> float:
        key = (name, period)
        if key not in self._known:
            _, _, parse, months, _ = PLAUSIBLE[name]
            try:
                rulebook = self.library.in_force("hcai-counting", parse(period).start)
                self._known[key] = int(rulebook.value("max_monthly_cases")) * months
            except (PeriodError, RulebookError, KeyError, TypeError):
                self._known[key] = float("inf")  # a malformed period is reported by its own check
        return self._known[key]

    def check(self, name: str, frame: pd.DataFrame, problems: Problems, file: str) -> None:
        """Refuse the counts of ``frame`` (a chunk of table ``name``) above their period's ceiling."""
        column, period_column, _, _, span = PLAUSIBLE[name]
        if frame.empty:
            return
        ceilings = {period: self._ceiling(name, period) for period in frame[period_column].unique()}
        ceiling = frame[period_column].map(ceilings)
        over = frame[column] > ceiling
        problems.add_rows(
            file,
            frame.index[over],
            column,
            (
                f"{v:,} cases in {span} is implausible (the ceiling is {c:,.0f}: hcai-counting max_monthly_cases); "
                "check the figure"
                for v, c in zip(frame.loc[over, column], ceiling[over])
            ),
        )


def derive_counts(cases: pd.DataFrame, library: RulebookLibrary, problems: Problems, file: str) -> pd.DataFrame | None:
    """The monthly counts of case-level reports (RULES.md §0), each financial year by the
    counting rulebook in force; None when a year has no rulebook (a problem then says so)."""
    years = pd.to_datetime(cases["specimen_date"]).map(lambda d: d.year if d.month >= 4 else d.year - 1)
    derived = []
    for start_year, group in cases.groupby(years):
        try:
            rulebook = library.in_force("hcai-counting", dt.date(int(start_year), 4, 1))
        except ValueError as exc:
            problems.add(file, str(exc), int(group.index[0]), "specimen_date")
            continue
        derived.append(attribute_cases(group, rulebook))
    if problems or not derived:
        return None
    counts = pd.concat(derived, ignore_index=True)
    return counts.groupby(COUNT_KEY, as_index=False).agg(cases=("cases", "sum"))


class DerivedCounts:
    """Counts derived from ``cases.csv``, met by the rows of ``infections.csv`` chunk by chunk:
    a count given both ways must agree, and the derived counts no row gives are added."""

    def __init__(self, counts: pd.DataFrame) -> None:
        self.counts = counts.reset_index(drop=True)
        self._given = np.zeros(len(self.counts), dtype=bool)

    def check(self, given: pd.DataFrame, problems: Problems, file: str) -> None:
        """Refuse the rows of ``given`` (a chunk of ``infections.csv``) whose count the cases disagree with."""
        counts = self.counts.assign(_at=np.arange(len(self.counts)))
        merged = given.reset_index(names="row").merge(counts, on=COUNT_KEY, how="inner", suffixes=("", "_derived"))
        self._given[merged["_at"].to_numpy()] = True
        clash = merged[merged["cases"] != merged["cases_derived"]]
        for _, r in clash.iterrows():
            problems.add(
                file,
                f"gives {r['cases']} cases, but cases.csv gives {r['cases_derived']} for "
                f"{r['org_code']} {r['organism']} {r['month']} {r['apportionment']}",
                int(r["row"]),
                "cases",
            )

    def missing(self) -> pd.DataFrame:
        """The derived counts that no row of ``infections.csv`` gives (in their own order)."""
        return self.counts[~self._given].reset_index(drop=True)
