"""Governance risk ratings (RULES.md §3): the store's quarters → the governance rules.

For the quarter asked, every rated trust's targets are assessed for that quarter and the
three before it (the repeat rule looks back two quarters, and the previous quarter's
rating decides whether this one is a downgrade). The published rating is the latest
analyst's decision for the quarter; without one, a rating no worse than last quarter's
published rating is published as calculated, and a downgrade waits for a decision.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

import pandas as pd
from sqlalchemy import Engine

from ..explain import NO_TRACE, Trace
from ..periods import FinancialYear, Quarter
from ..rulebooks import Rulebook, RulebookError, RulebookLibrary, apply_what_if
from ..rules.governance import (
    INFECTION_TARGETS,
    QuarterRating,
    TargetStatus,
    de_minimis_headroom,
    infection_target,
    is_downgrade,
    rate_quarter,
)
from ..rules.trajectories import contract_penalty, row_trajectory
from ..store import read_table
from ..store.decisions import read_decisions
from .common import AssessmentError
from .objectives import objectives_in_force, year_to_date_cases

__all__ = [
    "GOVERNANCE_COLUMNS",
    "GovernanceResult",
    "governance_rulebook",
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
class GovernanceResult:
    """Ratings of one quarter, with a trace per trust."""

    table: pd.DataFrame
    rulebook: Rulebook
    traces: dict[str, Trace] = field(default_factory=dict)


def governance_rulebook(
    library: RulebookLibrary, quarter: Quarter, rulebook: str | None = None, what_if: dict | None = None
) -> Rulebook:
    """The named rulebook, or the ``monitor-compliance`` one in force at the start of the quarter."""
    chosen = library.get(rulebook) if rulebook else library.in_force("monitor-compliance", quarter.start)
    return apply_what_if(chosen, what_if or {})


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
        except (RulebookError, AssessmentError):
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
) -> GovernanceResult:
    """Every rated trust's calculated and published governance rating for ``quarter``.

    Parameters
    ----------
    quarter : Quarter
    rulebook, what_if
        ``--rulebook`` (default: the one in force at the start of the quarter) and ``--set``.
        By default each earlier quarter (for the repeat rule and the previous rating) is
        scored by the rulebook in force then; a named rulebook or a what-if scores them all.
    org_codes : list of str, optional
        Only these organisations (``explain``, ``history``).
    cache : dict, optional
        Objectives by year and organism, shared between calls (``history``).
    """
    cache = {} if cache is None else cache
    rb = governance_rulebook(library, quarter, rulebook, what_if)
    orgs = read_table(engine, "organisations")
    orgs = orgs[orgs["kind"].isin(rb.value("rated_kinds"))]
    if org_codes is not None:
        orgs = orgs[orgs["code"].isin(org_codes)]
    if orgs.empty:
        raise AssessmentError("no organisations of a rated kind in the database")
    codes = list(orgs["code"])
    kinds = dict(zip(orgs["code"], orgs["kind"]))
    n_back = int(rb.value("repeat_quarters")) - 1
    traces = {c: Trace.start(c, str(quarter), "governance", rb) for c in codes}
    # quarters from the oldest the previous quarter's repeat rule needs, to this one
    quarters = [quarter - k for k in range(n_back + 1, -1, -1)]
    explicit = rulebook is not None or bool(what_if)

    def rb_for(q: Quarter) -> Rulebook:
        if explicit or q == quarter:
            return rb
        try:
            return library.in_force("monitor-compliance", q.start)
        except RulebookError:
            return rb

    history: dict[Quarter, tuple[dict, dict, dict]] = {}
    for q in quarters:
        history[q] = _quarter_statuses(engine, library, q, codes, rb_for(q), cache, traces if q == quarter else None)

    def failures_before(q: Quarter, code: str) -> dict[str, list[bool]]:
        out: dict[str, list[bool]] = {}
        for k in range(1, n_back + 1):
            earlier = history.get(q - k)
            failed = {s.target for s in earlier[0].get(code, []) if s.failed} if earlier else set()
            for target in {s.target for s in history[q][0].get(code, [])}:
                out.setdefault(target, []).append(target in failed)
        return out

    previous_q = quarter - 1
    decided = read_decisions(engine)
    decided = decided[decided["quarter"].isin([str(quarter), str(previous_q)])]
    latest = decided.groupby(["org_code", "quarter"]).tail(1).set_index(["org_code", "quarter"])
    rows = []
    for code in codes:
        trace = traces[code]
        statuses, events, infections = history[quarter]
        before = rate_quarter(
            history[previous_q][0].get(code, []),
            failures_before(previous_q, code),
            history[previous_q][1].get(code, []),
            rb_for(previous_q),
        )
        now = rate_quarter(statuses.get(code, []), failures_before(quarter, code), events.get(code, []), rb, trace)
        published, decision = _published(code, quarter, previous_q, now, before, latest, trace)
        cd, mr = infections.get((code, "cdiff")), infections.get((code, "mrsa"))
        rows.append(
            {
                "org_code": code,
                "quarter": str(quarter),
                "score": float(now.score),
                "rating": now.rating,
                "failed": ";".join(now.failed),
                "escalation": now.escalation,
                "reason": now.reason,
                "published_rating": published,
                "decision": decision,
                "kind": kinds[code],
                "rulebook": rb.label,
                "cdiff_ytd_cases": cd.ytd if cd else None,
                "cdiff_trajectory": float(cd.trajectory) if cd else None,
                "cdiff_de_minimis_headroom": de_minimis_headroom(cd.trajectory, rb) if cd else None,
                "mrsa_ytd_cases": mr.ytd if mr else None,
                "mrsa_trajectory": float(mr.trajectory) if mr else None,
                "contract_penalty": _penalty(cd, mr),
                "assumed": trace.assumed_label(),
            }
        )
    return GovernanceResult(pd.DataFrame(rows, columns=GOVERNANCE_COLUMNS), rb, traces)


def _published(
    code: str,
    quarter: Quarter,
    previous: Quarter,
    now: QuarterRating,
    before: QuarterRating,
    latest: pd.DataFrame,
    trace: Trace,
) -> tuple[str, str]:
    """The published rating and how it came about (downgrades are not automatic)."""
    if (code, str(quarter)) in latest.index:
        d = latest.loc[(code, str(quarter))]
        text = (
            f"{d['action']} by {d['decided_by']} on {pd.Timestamp(d['decided_at']):%Y-%m-%d}: "
            f"published {d['published_rating']} ({d['reason']})"
        )
        trace.add("governance.decision", text, value=d["published_rating"], source="decisions")
        return str(d["published_rating"]), text
    prior = (
        str(latest.loc[(code, str(previous)), "published_rating"])
        if (code, str(previous)) in latest.index
        else before.rating
    )
    if is_downgrade(now.rating, prior):
        text = f"pending: a downgrade from {prior} ({previous}) awaits an analyst's decision"
        trace.add("governance.published", text, value=prior)
        return prior, text
    text = f"as calculated: no downgrade from {prior} ({previous})"
    trace.add("governance.published", text, value=now.rating)
    return now.rating, text


def _penalty(*infections: _Infection | None) -> float | None:
    """Contract penalties where the objective's rulebook sets one: cases above the objective × rate."""
    penalties = [contract_penalty(i.ytd, i.objective, i.rulebook) for i in infections if i is not None]
    set_ = [p for p in penalties if p is not None]
    return sum(set_) if set_ else None


def history(
    engine: Engine, library: RulebookLibrary, org_code: str, quarters: list[Quarter]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A trust's calculated and published ratings quarter by quarter, and its decisions."""
    code = org_code.upper()
    rows = []
    cache: _ObjectiveCache = {}
    for q in quarters:
        try:
            result = governance_for_quarter(engine, library, q, org_codes=[code], cache=cache)
        except (RulebookError, AssessmentError):
            continue
        rows.append(result.table.iloc[0])
    if not rows:
        raise AssessmentError(f"no governance ratings for {code}")
    table = pd.DataFrame(rows)[
        ["quarter", "score", "rating", "failed", "escalation", "published_rating", "decision", "rulebook"]
    ]
    log = read_decisions(engine, org_code=code)
    return table.reset_index(drop=True), log


def quarters_with_data(engine: Engine) -> list[Quarter]:
    """Every quarter of the indicators table, in order."""
    ind = read_table(engine, "indicators")
    return sorted({Quarter.parse(q) for q in ind["quarter"].unique()})
