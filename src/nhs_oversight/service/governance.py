"""Governance risk ratings (RULES.md §3): the store's quarters → the governance rules.

For the quarter asked, every rated trust's targets are assessed for every quarter of the
published record up to it (and the two before the record starts, for the repeat rule). The
published rating is the latest analyst's decision for the quarter; without one, a rating no
worse than the previous quarter's *published* rating is published as calculated, and a
downgrade is held at the published rating, pending, until an analyst decides
(:mod:`nhs_oversight.rules.publication`).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pandas as pd
from sqlalchemy import Engine

from ..errors import NotFound
from ..explain import NO_TRACE, Trace
from ..periods import FinancialYear, Quarter
from ..regimes import GOVERNANCE
from ..rulebooks import Rulebook, RulebookError, RulebookLibrary
from ..rules.governance import (
    INFECTION_TARGETS,
    TargetStatus,
    de_minimis_headroom,
    infection_target,
    rate_quarter,
)
from ..rules.publication import DecisionMade, Published, publish
from ..rules.trajectories import contract_penalty, row_trajectory
from ..store import read_table
from ..store.decisions import read_decisions
from .common import AssessmentError
from .objectives import objectives_in_force, year_to_date_cases
from .results import Result
from .rulebooks import choose_rulebook

__all__ = [
    "GOVERNANCE_COLUMNS",
    "HISTORY_COLUMNS",
    "governance_for_quarter",
    "history",
    "quarters_with_data",
]

GOVERNANCE_COLUMNS = [
    "org_code",
    "quarter",
    "score",
    "rating",
    "failed",
    "escalation",
    "reason",
    "published_rating",
    "decision",
    "pending",
    "kind",
    "rulebook",
    "cdiff_ytd_cases",
    "cdiff_trajectory",
    "cdiff_de_minimis_headroom",
    "mrsa_ytd_cases",
    "mrsa_trajectory",
    "contract_penalty",
    "assumed",
]


@dataclass
class _Infection:
    """A trust's infection figures for one quarter."""

    ytd: int
    trajectory: Decimal
    objective: int
    source: str
    rulebook: Rulebook


_ObjectiveCache = dict[tuple[FinancialYear, str], "tuple[pd.DataFrame, Rulebook] | None"]


def _objectives(
    engine: Engine, library: RulebookLibrary, organism: str, year: FinancialYear, cache: _ObjectiveCache
) -> tuple[pd.DataFrame, Rulebook] | None:
    """The objectives in force for a year, computed once per run."""
    if (year, organism) not in cache:
        try:
            cache[(year, organism)] = objectives_in_force(engine, library, organism, year)
        except (RulebookError, NotFound):
            cache[(year, organism)] = None  # no objective regime that year: the target cannot be assessed
    return cache[(year, organism)]


def _infections(
    engine: Engine, library: RulebookLibrary, quarter: Quarter, cache: _ObjectiveCache
) -> dict[tuple[str, str], _Infection]:
    """Year-to-date cases, trajectory and objective of every organisation and organism."""
    out: dict[tuple[str, str], _Infection] = {}
    for organism in INFECTION_TARGETS:
        found = _objectives(engine, library, organism, quarter.year, cache)
        if found is None:
            continue
        objectives, rb = found
        ytd = year_to_date_cases(engine, organism, quarter).set_index("org_code")["cases"]
        for r in objectives.itertuples(index=False):
            trajectory, agreed = row_trajectory(r, quarter.number, rb)
            source = r.objective_source + ("; agreed trajectory" if agreed else "")
            out[(r.org_code, organism)] = _Infection(
                int(ytd.get(r.org_code, 0)), trajectory, int(r.objective), source, rb
            )
    return out


def _quarter_statuses(
    engine: Engine,
    library: RulebookLibrary,
    quarter: Quarter,
    codes: list[str],
    rb: Rulebook,
    cache: _ObjectiveCache,
    traces: dict[str, Trace] | None = None,
) -> tuple[dict[str, list[TargetStatus]], dict[str, list[str]], dict[tuple[str, str], _Infection]]:
    """Each trust's target statuses and events for one quarter."""
    infections = _infections(engine, library, quarter, cache)
    indicators = read_table(engine, "indicators", quarter=str(quarter), org_code=codes)
    failed_indicators = indicators[~indicators["met"].astype(bool)]
    by_org = failed_indicators.groupby("org_code")["indicator"].apply(list).to_dict()
    met_count = indicators.groupby("org_code").size().to_dict()
    events = read_table(engine, "events", org_code=codes)
    dated = events["date"].map(lambda d: quarter.start <= d <= quarter.end).astype(bool)
    in_quarter = events[dated] if len(events) else events
    event_kinds = in_quarter.groupby("org_code")["kind"].apply(list).to_dict()
    statuses: dict[str, list[TargetStatus]] = {}
    for code in codes:
        trace = traces[code] if traces is not None else NO_TRACE
        found: list[TargetStatus] = []
        for organism in INFECTION_TARGETS:
            inf = infections.get((code, organism))
            if inf is None:
                continue
            trace.add(
                f"governance.{organism}.trajectory",
                f"{'C. difficile' if organism == 'cdiff' else 'MRSA'} objective {inf.objective} cases ({inf.source}); "
                f"year-to-date trajectory to the end of {quarter}: {inf.trajectory.normalize():f}",
                inputs={"objective": inf.objective, "ytd_cases": inf.ytd},
                value=float(inf.trajectory),
                source="objectives and infections",
                uses=[] if "agreed trajectory" in inf.source else [inf.rulebook["trajectory_shares"]],
            )
            found.append(infection_target(organism, inf.ytd, inf.trajectory, inf.objective, rb, trace))
        for indicator in by_org.get(code, []):
            found.append(TargetStatus(indicator, True, f"{indicator}: not met"))
        if traces is not None:
            failed = by_org.get(code, [])
            trace.add(
                "governance.indicators",
                f"{met_count.get(code, 0)} indicators reported for {quarter}; not met: "
                + (", ".join(failed) if failed else "none"),
                inputs={"not_met": failed},
                source="indicators",
            )
        statuses[code] = found
    return statuses, event_kinds, infections


def governance_for_quarter(
    engine: Engine,
    library: RulebookLibrary,
    quarter: Quarter,
    *,
    rulebook: str | None = None,
    what_if: dict[str, object] | None = None,
    org_codes: list[str] | None = None,
    cache: _ObjectiveCache | None = None,
) -> Result:
    """Every rated trust's calculated and published governance rating for ``quarter``.

    Parameters
    ----------
    quarter : Quarter
    rulebook, what_if
        ``--rulebook`` (default: the one in force at the start of the quarter) and ``--set``.
        By default each earlier quarter (for the repeat rule and the published record) is
        scored by the rulebook in force then; a named rulebook or a what-if scores them all.
    org_codes : list of str, optional
        Only these organisations (``explain``, ``decide``).
    cache : dict, optional
        Objectives by year and organism, shared between calls.

    Returns
    -------
    Result
        ``GOVERNANCE_COLUMNS``, a trace per trust.
    """
    record = _record(engine, library, quarter, rulebook, what_if, org_codes, cache)
    rows = record.rows[quarter]
    table = pd.DataFrame(rows, columns=GOVERNANCE_COLUMNS)
    return Result(
        table,
        f"Governance risk ratings, {quarter} ({record.rulebook.label})",
        "governance",
        str(quarter),
        record.rulebook,
        dict(what_if or {}),
        record.traces,
        display=["org_code", "kind", "score", "rating", "published_rating", "failed", "escalation", "reason"],
    )


@dataclass
class _Record:
    """The published record up to a quarter: rows by quarter, the last quarter's traces."""

    rulebook: Rulebook
    rows: dict[Quarter, list[dict[str, object]]]
    traces: dict[str, Trace]


def _record(
    engine: Engine,
    library: RulebookLibrary,
    quarter: Quarter,
    rulebook: str | None,
    what_if: dict[str, object] | None,
    org_codes: list[str] | None,
    cache: _ObjectiveCache | None,
) -> _Record:
    """Calculated and published ratings of every quarter of the record up to ``quarter``.

    The record starts at the first quarter with data for which a governance rulebook is in
    force (any quarter with data when a rulebook or what-if is named): each quarter's
    published rating follows from the previous quarter's published rating, so a held
    downgrade stays held until an analyst decides (:func:`rules.publication.publish`).
    """
    cache = {} if cache is None else cache
    rb = choose_rulebook(library, GOVERNANCE, quarter, rulebook, what_if)
    orgs = read_table(engine, "organisations")
    orgs = orgs[orgs["kind"].isin(rb.value("rated_kinds"))]
    if org_codes is not None:
        wanted = [c.upper() for c in org_codes]
        orgs = orgs[orgs["code"].isin(wanted)]
        if orgs.empty:
            raise AssessmentError(f"{', '.join(wanted)}: not a rated organisation in the database")
    if orgs.empty:
        raise AssessmentError("no organisations of a rated kind in the database")
    codes = list(orgs["code"])
    kinds = dict(zip(orgs["code"], orgs["kind"]))
    n_back = int(rb.value("repeat_quarters")) - 1
    explicit = rulebook is not None or bool(what_if)

    def rb_for(q: Quarter) -> Rulebook:
        if explicit or q == quarter:
            return rb
        try:
            return library.in_force(GOVERNANCE.id, q.start)
        except RulebookError:
            return rb

    held = [q for q in quarters_with_data(engine) if q <= quarter]
    if not explicit:
        held = [q for q in held if _in_force(library, q)]
    start = held[0] if held else quarter
    chain = [start + k for k in range(_distance(start, quarter) + 1)]
    traces = {c: Trace.start(c, str(quarter), "governance", rb) for c in codes}
    statuses = {
        q: _quarter_statuses(engine, library, q, codes, rb_for(q), cache, traces if q == quarter else None)
        for q in [start - k for k in range(n_back, 0, -1)] + chain
    }

    def failures_before(q: Quarter, code: str) -> dict[str, list[bool]]:
        out: dict[str, list[bool]] = {}
        for k in range(1, n_back + 1):
            earlier = statuses.get(q - k)
            failed = {s.target for s in earlier[0].get(code, []) if s.failed} if earlier else set()
            for target in {s.target for s in statuses[q][0].get(code, [])}:
                out.setdefault(target, []).append(target in failed)
        return out

    decided = _latest_decisions(engine, codes, chain)
    published: dict[str, Published] = {}
    rows: dict[Quarter, list[dict[str, object]]] = {}
    for q in chain:
        rows[q] = []
        q_statuses, events, infections = statuses[q]
        rb_q = rb_for(q)
        for code in codes:
            trace = traces[code] if q == quarter else NO_TRACE
            now = rate_quarter(q_statuses.get(code, []), failures_before(q, code), events.get(code, []), rb_q, trace)
            before = published.get(code)
            pub = publish(now.rating, now.significant_breach, before, str(q - 1), decided.get((code, str(q))))
            published[code] = pub
            trace.add(
                "governance.published",
                pub.decision,
                inputs={"calculated": now.rating, "previous_published": before.rating if before else None},
                value=pub.rating,
                source="decisions" if (code, str(q)) in decided else "the published record",
            )
            cd, mr = infections.get((code, "cdiff")), infections.get((code, "mrsa"))
            rows[q].append(
                {
                    "org_code": code,
                    "quarter": str(q),
                    "score": float(now.score),
                    "rating": now.rating,
                    "failed": ";".join(now.failed),
                    "escalation": now.escalation,
                    "reason": now.reason,
                    "published_rating": pub.rating,
                    "decision": pub.decision,
                    "pending": pub.pending,
                    "kind": kinds[code],
                    "rulebook": rb_q.label,
                    "cdiff_ytd_cases": cd.ytd if cd else None,
                    "cdiff_trajectory": float(cd.trajectory) if cd else None,
                    "cdiff_de_minimis_headroom": de_minimis_headroom(cd.trajectory, rb_q) if cd else None,
                    "mrsa_ytd_cases": mr.ytd if mr else None,
                    "mrsa_trajectory": float(mr.trajectory) if mr else None,
                    "contract_penalty": _penalty(cd, mr),
                    "assumed": trace.assumed_label() if q == quarter else "",
                }
            )
    return _Record(rb, rows, traces)


def _distance(first: Quarter, last: Quarter) -> int:
    """How many quarters ``last`` is after ``first``."""
    return (last.year.start_year - first.year.start_year) * 4 + last.number - first.number


def _in_force(library: RulebookLibrary, q: Quarter) -> bool:
    try:
        library.in_force(GOVERNANCE.id, q.start)
    except RulebookError:
        return False
    return True


def _latest_decisions(engine: Engine, codes: list[str], quarters: list[Quarter]) -> dict[tuple[str, str], DecisionMade]:
    """The latest decision for each trust and quarter of the record."""
    log = read_decisions(engine)
    log = log[log["quarter"].isin([str(q) for q in quarters]) & log["org_code"].isin(codes)]
    latest = log.groupby(["org_code", "quarter"]).tail(1)
    return {
        (r.org_code, r.quarter): DecisionMade(
            str(r.action), str(r.published_rating), str(r.decided_by), pd.Timestamp(r.decided_at), str(r.reason)
        )
        for r in latest.itertuples(index=False)
    }


def _penalty(*infections: _Infection | None) -> float | None:
    """Contract penalties where the objective's rulebook sets one: cases above the objective × rate."""
    penalties = [contract_penalty(i.ytd, i.objective, i.rulebook) for i in infections if i is not None]
    set_ = [p for p in penalties if p is not None]
    return sum(set_) if set_ else None


HISTORY_COLUMNS = [
    "quarter",
    "score",
    "rating",
    "failed",
    "escalation",
    "published_rating",
    "decision",
    "pending",
    "rulebook",
]


def history(engine: Engine, library: RulebookLibrary, org_code: str) -> Result:
    """A trust's calculated and published ratings quarter by quarter (the whole published
    record), with its decisions in ``extra["decisions"]``."""
    code = org_code.upper()
    quarters = [q for q in quarters_with_data(engine) if _in_force(library, q)]
    if not quarters:
        raise AssessmentError("no quarter with data has a governance rulebook in force")
    record = _record(engine, library, quarters[-1], None, None, [code], None)
    rows = [row for q in sorted(record.rows) for row in record.rows[q]]
    table = pd.DataFrame(rows)[HISTORY_COLUMNS]
    log = read_decisions(engine, org_code=code)
    return Result(
        table.reset_index(drop=True),
        f"Governance history of {code}",
        "history",
        rulebook=None,
        display=list(HISTORY_COLUMNS),
        extra={"org_code": code, "decisions": log},
    )


def quarters_with_data(engine: Engine) -> list[Quarter]:
    """Every quarter of the indicators table, in order."""
    from sqlalchemy import select

    from ..store.tables import DATA_TABLES

    column = DATA_TABLES["indicators"].c.quarter
    with engine.connect() as conn:
        held = conn.execute(select(column).distinct()).scalars().all()
    return sorted(Quarter.parse(q) for q in held)
