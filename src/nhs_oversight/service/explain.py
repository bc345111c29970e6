"""Traces of one organisation's objective and monitoring results."""

from __future__ import annotations

from sqlalchemy import Engine

from ..explain import Trace
from ..periods import FinancialYear, Quarter
from ..rulebooks import RulebookLibrary
from ..rules.trajectories import monitor
from ..store import read_table
from .common import AssessmentError
from .objectives import KIND_GROUPS, objectives_for_year, objectives_in_force, year_to_date_cases

__all__ = ["explain_objective", "explain_monitor"]


def _kind_group(engine: Engine, org_code: str) -> tuple[str, str]:
    orgs = read_table(engine, "organisations", code=org_code.upper())
    if orgs.empty:
        raise AssessmentError(f"no organisation {org_code!r} in the database")
    kind = orgs.iloc[0]["kind"]
    group = next(g for g, kinds in KIND_GROUPS.items() if kind in kinds)
    return orgs.iloc[0]["code"], group


def explain_objective(
    engine: Engine,
    library: RulebookLibrary,
    org_code: str,
    year: FinancialYear,
    organism: str,
    **options: object,
) -> Trace:
    """The trace of one organisation's MRSA or C. difficile objective for ``year``.

    The organisation's whole kind group is computed, since its median and quartile decide
    the organisation's group.
    """
    code, group = _kind_group(engine, org_code)
    result = objectives_for_year(engine, library, organism, year, kind=group, **options)  # type: ignore[arg-type]
    return result.traces[code]


def explain_monitor(
    engine: Engine,
    library: RulebookLibrary,
    org_code: str,
    quarter: Quarter,
    organism: str,
    **options: object,
) -> Trace:
    """The trace of one organisation's year-to-date position against its trajectory."""
    code, group = _kind_group(engine, org_code)
    objectives, rb = objectives_in_force(engine, library, organism, quarter.year, **options)  # type: ignore[arg-type]
    row = objectives[objectives["org_code"] == code]
    if row.empty:
        raise AssessmentError(f"{code} has no {organism} objective for {quarter.year}")
    if row.iloc[0]["objective_source"].startswith("agreed"):
        trace = Trace.start(code, str(quarter), "monitor", rb)
        trace.add(
            "monitor.objective",
            f"annual objective {int(row.iloc[0]['objective'])} cases, agreed",
            value=int(row.iloc[0]["objective"]),
            source="objectives.csv",
        )
    else:
        result = objectives_for_year(engine, library, organism, quarter.year, kind=group, **options)  # type: ignore[arg-type]
        trace = result.traces[code]
        trace.period = str(quarter)
        trace.regime = "monitor"
    ytd = year_to_date_cases(engine, organism, quarter, codes=[code])
    cases = int(ytd["cases"].sum())
    trace.add(
        "monitor.cases",
        f"{cases} cases from {quarter.year_to_date_months()[0]} to {quarter.months()[-1]}",
        inputs={"months": [str(m) for m in quarter.year_to_date_months()]},
        value=cases,
        source="infections",
    )
    monitor(row, ytd, quarter, {organism: rb}, traces={(code, organism): trace})
    return trace
