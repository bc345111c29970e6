"""Objectives and monitoring (RULES.md §1, §2): store frames → objective rules → results."""

from __future__ import annotations

import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any, Protocol, TypeVar, cast

import pandas as pd
from sqlalchemy import Engine

from ..errors import NotFound
from ..explain import Trace
from ..periods import FinancialYear, Month, Quarter
from ..regimes import COUNTING, objective_regime
from ..rulebooks import Rulebook, RulebookLibrary
from ..rules.hcai import COUNTED_APPORTIONMENT, period_rates_from_totals, review_assignments
from ..rules.objectives import (
    OBJECTIVE_COLUMNS,
    Baseline,
    median_quartile_objectives,
    median_quartile_table,
    national_line,
    savings,
    uniform_objectives,
    uniform_table,
    zero_tolerance_objectives,
    zero_tolerance_table,
)
from ..rules.trajectories import monitor_table
from ..store import read_table
from ..store.read import counted_cases_by_quarter, data_version, infection_totals
from .common import AssessmentError
from .data import organisations_of_year
from .frames import member
from .rulebooks import choose_rulebook

__all__ = [
    "KIND_GROUPS",
    "ObjectivesResult",
    "baseline_months",
    "objectives_for_year",
    "objectives_in_force",
    "monitor_quarter",
    "savings_for_year",
    "reviews_for_year",
    "year_to_date_cases",
    "cached",
]

#: Organisations are compared within their group: trusts with trusts, PCTs with PCTs.
KIND_GROUPS = {"trust": ("foundation_trust", "nhs_trust", "independent"), "pct": ("pct", "ccg")}
_UNIT = {"bed_days": "bed-days", "population": "population"}


class _RateRow(Protocol):
    """A row of :func:`~nhs_oversight.rules.hcai.period_rates_from_totals`' frame as
    :meth:`pandas.DataFrame.itertuples` yields it (the columns the baselines read)."""

    org_code: str
    kind: str
    cases: int
    denominator: float | None  # NaN (or None) where the period has no denominator
    per: float
    denominator_name: str


T = TypeVar("T")

#: Results computed at one ``data_version`` of a database, by engine (dropped with it) and
#: key; the oldest go first beyond :data:`_CACHE_SIZE` per engine.
_CACHE: weakref.WeakKeyDictionary[Engine, OrderedDict[Hashable, Any]] = weakref.WeakKeyDictionary()
_CACHE_SIZE = 64


def cached(engine: Engine, key: Hashable, compute: Callable[[], T]) -> T:
    """``compute()`` once per database state: a result keyed by ``key`` (the use case, the
    period, the rulebook's label and the what-if values) and the database's ``data_version``,
    which every import and decision raises. Callers must not change what it returns."""
    store = _CACHE.setdefault(engine, OrderedDict())
    full = (data_version(engine), key)
    if full in store:
        store.move_to_end(full)
        return store[full]  # type: ignore[no-any-return]
    value = compute()
    store[full] = value
    while len(store) > _CACHE_SIZE:
        store.popitem(last=False)
    return value


def organisations(engine: Engine) -> pd.DataFrame:
    """The organisations table, read once per database state (a copy: change it freely)."""
    return cached(engine, ("table", "organisations"), lambda: read_table(engine, "organisations")).copy()


def stored_table(engine: Engine, name: str, **equals: str | list[str]) -> pd.DataFrame:
    """:func:`store.read_table`, read once per database state for the same filters (a copy:
    change it freely): the MRSA and C. difficile objectives of a year read the same
    denominators, governance reads each year's agreed objectives twice."""
    key = ("table", name, tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in equals.items())))
    return cached(engine, key, lambda: read_table(engine, name, **equals)).copy()


def _frozen(settings: dict[str, object] | None) -> tuple:
    """What-if settings as a hashable key."""
    return tuple(sorted((k, repr(v)) for k, v in (settings or {}).items()))


@dataclass
class ObjectivesResult:
    """Objectives for one organism and year, with the traces behind every row."""

    table: pd.DataFrame
    rulebook: Rulebook
    baseline_period: str
    national: dict[str, object] | None = None
    traces: dict[str, Trace] = field(default_factory=dict)


def baseline_months(rulebook: Rulebook, year: FinancialYear, baseline: FinancialYear | None = None) -> list[Month]:
    """The baseline months: ``--baseline FY``, else the rulebook's offset and length.

    The 2012-13 objectives' baseline is 2011-12 (offset −12 months); the 2011-12
    C. difficile baseline began in September 2009 (offset −19).
    """
    if baseline is not None:
        return baseline.months()
    start = Month(year.start_year, 4) + int(rulebook.value("baseline_start_offset_months"))
    return start.range(int(rulebook.value("baseline_months")))


def _period_label(months: list[Month]) -> str:
    first, last = months[0], months[-1]
    if len(months) == 12 and first.month == 4:
        return str(first.financial_year)
    return f"{first} to {last}"


def _what_if(what_if: dict[str, object] | None, **cli: object) -> dict[str, object]:
    """Command options that replace a rulebook value (``--reduction``, ``--method``) are
    what-if settings too, so every output records them."""
    out = dict(what_if or {})
    out.update({k: v for k, v in cli.items() if v is not None})
    return out


def objectives_for_year(
    engine: Engine,
    library: RulebookLibrary,
    organism: str,
    year: FinancialYear,
    *,
    rulebook: str | None = None,
    what_if: dict[str, object] | None = None,
    baseline: FinancialYear | None = None,
    kind: str | None = None,
    method: str | None = None,
    reduction: float | None = None,
    traces: bool = True,
) -> ObjectivesResult:
    """MRSA or C. difficile objectives for every organisation (INTERFACE.md columns).

    Parameters
    ----------
    organism : {'mrsa', 'cdiff'}
    year : FinancialYear
        The objective year.
    rulebook, what_if
        ``--rulebook`` and ``--set``.
    baseline : FinancialYear, optional
        ``--baseline``; default from the rulebook.
    kind : {'trust', 'pct'}, optional
        One group only; default both, each compared within itself.
    method : {'uniform', 'median-quartile'}, optional
        C. difficile allocation (``--method``), recorded as a what-if of ``allocation_method``.
    reduction : float, optional
        C. difficile national reduction (``--reduction``), recorded as a what-if.
    traces : bool
        Build a trace per organisation (``explain``); without them the same numbers are
        computed in one pass, and computed once per database state (:func:`cached`).
    """
    settings = _what_if(what_if, allocation_method=method, national_reduction=reduction)
    rb = choose_rulebook(library, objective_regime(organism), year, rulebook, settings)
    if traces:
        return _objectives_for_year(engine, library, organism, year, rb, baseline, kind, traces=True)
    key = ("objectives", organism, str(year), rb.label, _frozen(settings), str(baseline), kind)
    result = cached(
        engine, key, lambda: _objectives_for_year(engine, library, organism, year, rb, baseline, kind, traces=False)
    )
    return replace(result, table=result.table.copy(), national=dict(result.national) if result.national else None)


def _objectives_for_year(
    engine: Engine,
    library: RulebookLibrary,
    organism: str,
    year: FinancialYear,
    rb: Rulebook,
    baseline: FinancialYear | None,
    kind: str | None,
    *,
    traces: bool,
) -> ObjectivesResult:
    counting = choose_rulebook(library, COUNTING, year)
    months = baseline_months(rb, year, baseline)
    period = _period_label(months)
    orgs = organisations(engine)
    if kind is not None:
        orgs = orgs[orgs["kind"].isin(KIND_GROUPS[kind])]
    if orgs.empty:
        raise AssessmentError("no organisations in the database" + (f" of kind {kind}" if kind else ""))
    orgs = organisations_of_year(orgs, year, counting)
    if orgs.empty:
        raise AssessmentError(
            f"none of these organisations existed in {year} (PCTs to March 2013, CCGs from April 2013: "
            f"{counting.id} kinds_in_force)"
        )
    totals = infection_totals(
        engine, (organism,), [str(m) for m in months], kinds=None if kind is None else KIND_GROUPS[kind]
    )
    years = sorted({str(m.financial_year) for m in months})
    denominators = stored_table(engine, "denominators", financial_year=years)
    if kind is not None:  # only the group's own denominators: each organisation's rate is its own
        denominators = denominators[member(denominators["org_code"], set(orgs["code"].tolist()))]
    agreed = stored_table(engine, "objectives", organism=organism, financial_year=str(year))
    agreed_cases = dict(zip(agreed["org_code"], agreed["objective_cases"].astype(int)))
    rates = period_rates_from_totals(orgs, totals, denominators, months, counting, organisms=(organism,))
    trace_of: dict[str, Trace] = {}
    frames = []
    for kinds in KIND_GROUPS.values():
        part = rates[rates["kind"].isin(kinds)]
        if part.empty:
            continue
        if not traces:
            frame = pd.DataFrame(
                {
                    "org_code": part["org_code"],
                    "kind": part["kind"],
                    "cases": part["cases"],
                    "denominator": part["denominator"],
                    "per": part["per"],
                    "unit": part["denominator_name"].map(_UNIT),
                    "agreed": [agreed_cases.get(c) for c in part["org_code"]],
                }
            )
            frames.append(_apply_method_untraced(organism, rb, frame, period))
            continue
        baselines = [
            Baseline(
                org_code=r.org_code,
                kind=r.kind,
                cases=int(r.cases),
                denominator=None if pd.isna(r.denominator) else float(r.denominator),
                per=float(r.per),
                unit=_UNIT[r.denominator_name],
                agreed=agreed_cases.get(r.org_code),
            )
            for r in cast(Iterator[_RateRow], part.itertuples(index=False))
        ]
        frames.append(_apply_method(organism, rb, baselines, period, trace_of))
    table = pd.concat(frames, ignore_index=True)
    table["organism"] = organism
    table["financial_year"] = str(year)
    table["baseline_period"] = period
    table["rulebook"] = rb.label
    if traces:
        table["assumed"] = [trace_of[c].assumed_label() for c in table["org_code"]]
    for trace in trace_of.values():
        trace.period = str(year)
    trusts = table[table["kind"].isin(KIND_GROUPS["trust"])]
    national = None
    zero_tolerance = "reduction_method" in rb.values and rb.value("reduction_method") == "zero-tolerance"
    if len(trusts) and not zero_tolerance:  # under zero tolerance every objective is 0: no national line
        # like with like: every case trusts reported in the baseline, as the published national figures count
        all_cases = int(totals.loc[totals["apportionment"] != "population", "cases"].sum())
        asked = rb.values.get("national_reduction")
        national = national_line(trusts, rb, None if asked is None else float(asked.value), all_cases)
    return ObjectivesResult(table[OBJECTIVE_COLUMNS], rb, period, national, trace_of)


def _apply_method_untraced(organism: str, rb: Rulebook, frame: pd.DataFrame, period: str) -> pd.DataFrame:
    """:func:`_apply_method` without traces (the same numbers and reasons, and ``assumed``)."""
    if organism == "mrsa":
        method = rb.value("reduction_method")
        if method == "zero-tolerance":
            return zero_tolerance_table(frame, rb, period=period)
        if method == "median-quartile":
            return median_quartile_table(frame, rb, period=period)
        raise AssessmentError(f"{rb.id}: unknown reduction_method {method!r}")
    method = rb.value("allocation_method")
    if method == "uniform":
        return uniform_table(frame, rb, float(rb.value("national_reduction")), period=period)
    if method == "median-quartile":
        return median_quartile_table(
            frame, rb, reduction_name=("median_quartile_reduction", "median_quartile_reduction"), period=period
        )
    raise AssessmentError(f"{rb.id}: unknown allocation_method {method!r}; expected uniform or median-quartile")


def _apply_method(
    organism: str, rb: Rulebook, baselines: list[Baseline], period: str, traces: dict[str, Trace]
) -> pd.DataFrame:
    if organism == "mrsa":
        method = rb.value("reduction_method")
        if method == "zero-tolerance":
            return zero_tolerance_objectives(baselines, rb, period=period, traces=traces)
        if method == "median-quartile":
            return median_quartile_objectives(baselines, rb, period=period, traces=traces)
        raise AssessmentError(f"{rb.id}: unknown reduction_method {method!r}")
    method = rb.value("allocation_method")
    if method == "uniform":
        return uniform_objectives(baselines, rb, float(rb.value("national_reduction")), period=period, traces=traces)
    if method == "median-quartile":
        return median_quartile_objectives(
            baselines,
            rb,
            reduction_name=("median_quartile_reduction", "median_quartile_reduction"),
            period=period,
            traces=traces,
        )
    raise AssessmentError(f"{rb.id}: unknown allocation_method {method!r}; expected uniform or median-quartile")


def objectives_in_force(
    engine: Engine,
    library: RulebookLibrary,
    organism: str,
    year: FinancialYear,
    rulebook: str | None = None,
    what_if: dict[str, object] | None = None,
    kind: str | None = None,
) -> tuple[pd.DataFrame, Rulebook]:
    """Each organisation's objective for the year: the agreed one of ``objectives.csv``
    where there is one, else the engine's (of one kind group, ``trust`` or ``pct``, when
    ``kind`` is given: the others' objectives do not change theirs).

    Returns
    -------
    (pandas.DataFrame, Rulebook)
        ``org_code, kind, organism, objective, objective_source, q1..q4``, and the rulebook.
    """
    rb = choose_rulebook(library, objective_regime(organism), year, rulebook, what_if)
    key = ("objectives in force", organism, str(year), rb.label, _frozen(what_if), kind)
    table, chosen = cached(
        engine, key, lambda: _objectives_in_force(engine, library, organism, year, rulebook, what_if, kind)
    )
    return table.copy(), chosen


def _objectives_in_force(
    engine: Engine,
    library: RulebookLibrary,
    organism: str,
    year: FinancialYear,
    rulebook: str | None,
    what_if: dict[str, object] | None,
    kind: str | None,
) -> tuple[pd.DataFrame, Rulebook]:
    result = objectives_for_year(
        engine, library, organism, year, rulebook=rulebook, what_if=what_if, kind=kind, traces=False
    )
    engine_rows = result.table[result.table["target_cases"].notna()]
    out = pd.DataFrame(
        {
            "org_code": engine_rows["org_code"],
            "kind": engine_rows["kind"],
            "organism": organism,
            "objective": engine_rows["target_cases"].astype(int),
            "objective_source": f"engine ({result.rulebook.id})",
        }
    )
    agreed = stored_table(engine, "objectives", organism=organism, financial_year=str(year))
    if len(agreed):
        kinds = organisations(engine)[["code", "kind"]].rename(columns={"code": "org_code"})
        agreed = agreed.merge(kinds, on="org_code")
        if kind is not None:
            agreed = agreed[agreed["kind"].isin(KIND_GROUPS[kind])]
        agreed = pd.DataFrame(
            {
                "org_code": agreed["org_code"],
                "kind": agreed["kind"],
                "organism": organism,
                "objective": agreed["objective_cases"].astype(int),
                "objective_source": "agreed (objectives.csv)",
                "q1": agreed["q1"],
                "q2": agreed["q2"],
                "q3": agreed["q3"],
                "q4": agreed["q4"],
            }
        )
        out = pd.concat([agreed, out[~member(out["org_code"], agreed["org_code"])]], ignore_index=True)
    for q in ("q1", "q2", "q3", "q4"):
        if q not in out:
            out[q] = pd.NA
    return out.sort_values("org_code", ignore_index=True), result.rulebook


def monitor_quarter(
    engine: Engine,
    library: RulebookLibrary,
    quarter: Quarter,
    *,
    organisms: tuple[str, ...] = ("mrsa", "cdiff"),
    kind: str | None = None,
    what_if: dict[str, dict[str, object]] | None = None,
) -> pd.DataFrame:
    """Year-to-date cases against trajectory and objective for every organisation.

    Parameters
    ----------
    quarter : Quarter
    organisms : tuple of str
    kind : {'trust', 'pct'}, optional
    what_if : dict, optional
        ``--set`` settings by organism.
    """
    year = quarter.year
    frames = []
    for organism in organisms:
        try:
            objectives, rb = objectives_in_force(engine, library, organism, year, what_if=(what_if or {}).get(organism))
        except (NotFound, ValueError) as exc:
            raise AssessmentError(f"{organism}: {exc}") from None
        ytd = year_to_date_cases(engine, organism, quarter)
        frames.append(monitor_table(objectives, ytd, quarter, {organism: rb}))
    table = pd.concat(frames, ignore_index=True)
    if kind is not None:
        table = table[table["kind"].isin(KIND_GROUPS[kind])]
    return table.sort_values(["organism", "org_code"], ignore_index=True)


def savings_for_year(
    engine: Engine,
    library: RulebookLibrary,
    organism: str,
    year: FinancialYear,
    **options: object,
) -> tuple[dict[str, object], ObjectivesResult, Trace]:
    """The cases the year's objectives would avoid, and their cost (RULES.md §1.7).

    Counts trusts only: PCTs answer for the same cases again.
    """
    result = objectives_for_year(engine, library, organism, year, kind="trust", traces=False, **options)  # type: ignore[arg-type]
    trace = Trace.start("England (trusts)", str(year), f"{organism}-savings", result.rulebook)
    return savings(result.table, result.rulebook, trace), result, trace


def reviews_for_year(engine: Engine, year: FinancialYear) -> pd.DataFrame:
    """MRSA cases of ``year`` by post-infection review assignment (zero tolerance)."""
    cases = read_table(engine, "cases", organism="mrsa")
    if cases.empty:
        raise AssessmentError("no case-level MRSA reports (cases.csv) in the database")
    dates = pd.to_datetime(cases["specimen_date"])
    in_year = (dates >= pd.Timestamp(year.start)) & (dates <= pd.Timestamp(year.end))
    if not in_year.any():
        raise AssessmentError(f"no case-level MRSA reports in {year}")
    table = review_assignments(cases[in_year], read_table(engine, "organisations"))
    table.insert(3, "financial_year", str(year))
    return table


def year_to_date_cases(engine: Engine, organism: str, quarter: Quarter, codes: list[str] | None = None) -> pd.DataFrame:
    """``org_code, organism, cases``: cases from 1 April to the end of ``quarter``, each
    organisation counting the apportionment of its kind (summed in the database)."""
    months = quarter.year_to_date_months()
    by_quarter = counted_cases_by_quarter(
        engine, (organism,), str(months[0]), str(months[-1]), COUNTED_APPORTIONMENT, org_codes=codes
    )
    by_quarter["cases"] = by_quarter[["q1", "q2", "q3", "q4"]].sum(axis=1)
    # as_index=False makes the sum a frame; pandas-stubs types any column's group sum as a Series
    return cast(pd.DataFrame, by_quarter.groupby(["org_code", "organism"], as_index=False)["cases"].sum())
