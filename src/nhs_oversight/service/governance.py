"""Governance risk ratings (RULES.md §3): the store's quarters → the governance rules.

For the quarter asked, every rated trust's targets are assessed for every quarter of the
published record up to it (and the two before the record starts, for the repeat rule). The
published rating is the latest analyst's decision for the quarter; without one, a rating no
worse than the previous quarter's *published* rating is published as calculated, and a
downgrade is held at the published rating, pending, until an analyst decides
(:mod:`nhs_oversight.rules.publication`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
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
    band,
    infection_target,
    is_downgrade,
    rate_quarter,
    safe_counts,
)
from ..rules.hcai import COUNTED_APPORTIONMENT
from ..rules.publication import DecisionMade, Published, publish
from ..rules.trajectories import contract_penalty, year_to_date_trajectory
from ..store import read_table
from ..store.decisions import read_decisions
from ..store.read import counted_cases_by_quarter, failed_indicators, indicators_reported
from .common import AssessmentError
from .frames import member
from .objectives import KIND_GROUPS, _frozen, cached, objectives_in_force, organisations
from .results import Result
from .rulebooks import choose_rulebook

__all__ = [
    "GOVERNANCE_COLUMNS",
    "HISTORY_COLUMNS",
    "governance_for_quarter",
    "governance_cached",
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
    engine: Engine,
    library: RulebookLibrary,
    organism: str,
    year: FinancialYear,
    cache: _ObjectiveCache,
    kinds: tuple[str, ...] = (),
) -> tuple[pd.DataFrame, Rulebook] | None:
    """The objectives in force for a year, computed once per run (and once per database
    state, :func:`.objectives.cached`): of the trusts' kind group only when every rated kind
    is in it, since no other organisation's objective changes theirs."""
    if (year, organism) not in cache:
        groups = [g for g, members in KIND_GROUPS.items() if set(kinds) & set(members)]
        group = groups[0] if len(groups) == 1 and set(kinds) <= set(KIND_GROUPS[groups[0]]) else None
        try:
            cache[(year, organism)] = objectives_in_force(engine, library, organism, year, kind=group)
        except (RulebookError, NotFound):
            cache[(year, organism)] = None  # no objective regime that year: the target cannot be assessed
    return cache[(year, organism)]


def _infections(
    engine: Engine, library: RulebookLibrary, quarter: Quarter, cache: _ObjectiveCache, shared: _Shared
) -> dict[tuple[str, str], _Infection]:
    """Year-to-date cases, trajectory and objective of every organisation and organism."""
    out: dict[tuple[str, str], _Infection] = {}
    for organism in INFECTION_TARGETS:
        found = shared.objectives(quarter.year, organism)
        if found is None:
            continue
        objectives, rb = found
        ytd = shared.ytd(quarter, organism).to_dict()
        shares, rounding = rb["trajectory_shares"], rb["trajectory_rounding"]
        # rules.trajectories.row_trajectory's figures, each distinct (objective, agreed
        # trajectory) computed once: thousands of trusts share an objective
        memo: dict[tuple[int, tuple[int, ...] | None], Decimal] = {}
        qs = objectives[["q1", "q2", "q3", "q4"]]
        has_agreed = qs.notna().all(axis=1).tolist()
        columns = zip(
            objectives["org_code"].tolist(),
            objectives["objective"].tolist(),
            objectives["objective_source"].tolist(),
            has_agreed,
            *(qs[q].tolist() for q in qs.columns),
        )
        for code, objective, source, agreed_given, *quarters in columns:
            agreed = tuple(int(v) for v in quarters) if agreed_given else None
            key = (int(objective), agreed)
            trajectory = memo.get(key)
            if trajectory is None:
                trajectory = memo[key] = year_to_date_trajectory(key[0], quarter.number, shares, rounding, agreed)
            out[(code, organism)] = _Infection(
                int(ytd.get(code, 0)),
                trajectory,
                key[0],
                source + "; agreed trajectory" if agreed else source,
                rb,
            )
    return out


@dataclass
class _Shared:
    """What every quarter of the record reads, read once: failed indicators, events, each
    trust's cases by quarter (summed in the database) and the objectives of each year."""

    engine: Engine
    library: RulebookLibrary
    codes: set[str]
    failed: dict[str, dict[str, list[str]]]  # quarter → org → indicators not met (by name)
    reported: dict[str, int]  # org → indicators reported in the last quarter
    events: pd.DataFrame
    cases: pd.DataFrame  # (org_code, organism, start_year) × quarter 1..4, cumulative
    cache: _ObjectiveCache
    kinds: tuple[str, ...]
    _trajectories: dict = field(default_factory=dict)
    _mine: dict = field(default_factory=dict)

    @classmethod
    def read(
        cls,
        engine: Engine,
        library: RulebookLibrary,
        quarters: list[Quarter],
        codes: list[str],
        kinds: dict[str, str],
        filtered: bool,
        cache: _ObjectiveCache,
    ) -> _Shared:
        wanted = set(codes)
        names = [str(q) for q in quarters]
        failed: dict[str, dict[str, list[str]]] = {q: {} for q in names}
        for q, org, indicator in failed_indicators(engine, names, codes if filtered else None):
            if org in wanted:
                failed[q].setdefault(org, []).append(indicator)
        reported = indicators_reported(engine, names[-1], codes if filtered else None)
        events = read_table(engine, "events", org_code=codes) if filtered else read_table(engine, "events")
        events = events[member(events["org_code"], wanted)].copy()
        first = quarters[0].year.months()[0]
        by_quarter = counted_cases_by_quarter(
            engine,
            INFECTION_TARGETS,
            str(first),
            str(quarters[-1].months()[-1]),
            COUNTED_APPORTIONMENT,
            kinds=sorted(set(kinds.values())),
            org_codes=codes if filtered else None,
        )
        cases = by_quarter.set_index(["org_code", "organism", "start_year"])[["q1", "q2", "q3", "q4"]]
        cases.columns = [1, 2, 3, 4]
        cases = cases.cumsum(axis=1)
        return cls(engine, library, wanted, failed, reported, events, cases, cache, tuple(sorted(set(kinds.values()))))

    def objectives(self, year: FinancialYear, organism: str) -> tuple[pd.DataFrame, Rulebook] | None:
        return _objectives(self.engine, self.library, organism, year, self.cache, self.kinds)

    def ytd(self, quarter: Quarter, organism: str) -> pd.Series:
        """Cases from 1 April to the end of ``quarter`` by organisation."""
        try:
            part = self.cases.xs((organism, quarter.year.start_year), level=("organism", "start_year"))
        except KeyError:
            return pd.Series(dtype="int64")
        return part[quarter.number]

    def event_kinds(self, quarter: Quarter) -> dict[str, list[str]]:
        """The kinds of the events dated in ``quarter``, by organisation, in the table's order."""
        events = self.events
        if not len(events):
            return {}
        if "_day" not in events:
            events["_day"] = [d.isoformat() for d in events["date"]]
        day = events["_day"]
        dated = events[(day >= quarter.start.isoformat()) & (day <= quarter.end.isoformat())]
        out: dict[str, list[str]] = {}
        for code, kind in zip(dated["org_code"].tolist(), dated["kind"].tolist()):
            out.setdefault(code, []).append(kind)
        return out

    def _infection_failures(self, quarter: Quarter, rb: Rulebook) -> Iterator[tuple[str, list[str], list[bool]]]:
        """For each infection target with an objective that year: the trusts held to it and
        whether each failed at ``quarter`` (year-to-date cases above the most that do not fail,
        :func:`rules.governance.safe_counts`)."""
        for organism in INFECTION_TARGETS:
            found = self.objectives(quarter.year, organism)
            if found is None:
                continue
            objectives, obj_rb = found
            if (quarter.year, organism) not in self._mine:
                self._mine[(quarter.year, organism)] = objectives[member(objectives["org_code"], self.codes)]
            mine = self._mine[(quarter.year, organism)]
            trajectories = self._trajectory_floats(quarter, organism, mine, obj_rb)
            cases = mine["org_code"].map(self.ytd(quarter, organism)).fillna(0).astype("int64").to_numpy()
            safe, _ = safe_counts(organism, trajectories, rb)
            yield organism, mine["org_code"].tolist(), (cases > safe["cases"]).tolist()

    def lean_statuses(self, quarter: Quarter, rb: Rulebook) -> dict[str, list[TargetStatus]]:
        """Each trust's target statuses without their words (the quarter asked, untraced)."""
        statuses: dict[str, list[TargetStatus]] = {}
        for organism, codes, failed in self._infection_failures(quarter, rb):
            for code, fails in zip(codes, failed):
                statuses.setdefault(code, []).append(TargetStatus(organism, fails, ""))
        for code, indicators in self.failed[str(quarter)].items():
            statuses.setdefault(code, []).extend(TargetStatus(i, True, "") for i in indicators)
        return statuses

    def lean_failed(self, quarter: Quarter, rb: Rulebook) -> dict[str, set[str]]:
        """The targets each trust failed in a quarter before the one asked (only those that
        failed: the published rating and the repeat rule need no more)."""
        failed: dict[str, set[str]] = {}
        for organism, codes, fails in self._infection_failures(quarter, rb):
            for code, fail in zip(codes, fails):
                if fail:
                    failed.setdefault(code, set()).add(organism)
        for code, indicators in self.failed[str(quarter)].items():
            failed.setdefault(code, set()).update(indicators)
        return failed

    def _trajectory_floats(
        self, quarter: Quarter, organism: str, objectives: pd.DataFrame, rb: Rulebook
    ) -> list[float]:
        """Each objectives row's year-to-date trajectory at the quarter, each distinct one computed once."""
        n = quarter.number
        shares, rounding = rb["trajectory_shares"], rb["trajectory_rounding"]
        memo = self._trajectories
        out = []
        qs = ("q1", "q2", "q3", "q4")
        agreed_rows = objectives[list(qs)].notna().all(axis=1).tolist()
        for objective, has, agreed_n in zip(
            objectives["objective"].tolist(), agreed_rows, objectives[qs[n - 1]].tolist()
        ):
            key = (rb.label, organism, n, int(objective), int(agreed_n) if has else None)
            value = memo.get(key)
            if value is None:
                agreed = (0,) * (n - 1) + (int(agreed_n),) if has else None
                value = memo[key] = float(year_to_date_trajectory(int(objective), n, shares, rounding, agreed))
            out.append(value)
        return out


def _headroom(infections: dict[tuple[str, str], _Infection], codes: list[str], rb: Rulebook) -> dict[str, int]:
    """Each trust's C. difficile de minimis headroom (:func:`rules.governance.de_minimis_headroom`),
    for all at once."""
    have = [c for c in codes if (c, "cdiff") in infections]
    if not have:
        return {}
    arrays, _ = safe_counts("cdiff", [float(infections[(c, "cdiff")].trajectory) for c in have], rb)
    return dict(zip(have, (arrays["cases"] - arrays["trajectory"]).tolist()))


class _AssumedLabel:
    """The ``assumed`` column of an untraced row: the names of the assumed or what-if values
    the traced computation would use (its trace's ``assumed_label``), from the same choices."""

    def __init__(self, rb: Rulebook, n_back: int) -> None:
        self.rb = rb
        self.repeat_n = int(rb.value("repeat_quarters"))
        self.safe_uses = {organism: safe_counts(organism, [0.0], rb)[1] for organism in INFECTION_TARGETS}
        self.concern = rb["cqc_concern_points"]

    def label(
        self,
        code: str,
        infections: dict[tuple[str, str], _Infection],
        statuses: list[TargetStatus],
        history: dict[str, list[bool]],
        events: list[str],
    ) -> str:
        rb = self.rb
        used: list = []
        for organism in INFECTION_TARGETS:
            inf = infections.get((code, organism))
            if inf is None:
                continue
            if "agreed trajectory" not in inf.source:
                used.append(inf.rulebook["trajectory_shares"])
            used.extend(self.safe_uses[organism])
        repeat = False
        for status in statuses:
            if status.failed:
                used.extend([rb["weights"], rb["repeat_quarters"], rb["repeat_factor"]])
                past = list(history.get(status.target, ()))[: self.repeat_n - 1]
                if len(past) == self.repeat_n - 1 and all(past) and not repeat:
                    repeat = True
                    used.append(rb["escalation_on_repeat"])
        if any(kind in self.concern.value for kind in events):
            used.append(self.concern)
        used.append(rb["band_edges"])
        if "significant_breach" in events:
            used.extend([rb["significant_breach_rating"], rb["events_apply_to"]])
        return ";".join(dict.fromkeys(v.name for v in used if v.status in ("assumed", "what-if")))


class _LeanScore:
    """:func:`rules.governance.rate_quarter`'s rating and significant breach, without its
    words or trace (a quarter before the one asked: only the published rating carries on)."""

    def __init__(self, rb: Rulebook, n_back: int) -> None:
        self.rb = rb
        self.weights = {k: Decimal(str(v)) for k, v in rb.value("weights").items()}
        self.n_back = int(rb.value("repeat_quarters")) - 1
        self.factor = Decimal(str(rb.value("repeat_factor")))
        self.concern = {k: Decimal(str(v)) for k, v in rb.value("cqc_concern_points").items()}
        self.override = str(rb.value("significant_breach_rating"))
        self.memo: dict[tuple, tuple[str, bool]] = {}

    def rating(self, failed: set[str], before: list, events: list[str]) -> tuple[str, bool]:
        """(rating, significant breach): ``before`` the failed targets of the quarters before,
        most recent first."""
        recent = before[: self.n_back]
        if len(recent) == self.n_back:
            repeats = frozenset(t for t in failed if all(t in b for b in recent))
        else:
            repeats = frozenset()
        key = (frozenset(failed), repeats, tuple(events))
        found = self.memo.get(key)
        if found is None:
            score = Decimal(0)
            for target in failed:
                weight = self.weights.get(target, Decimal(0))
                score += weight * (self.factor if target in repeats else 1)
            for kind in events:
                if kind in self.concern:
                    score += self.concern[kind]
            breach = "significant_breach" in events
            found = self.memo[key] = (self.override if breach else band(score, self.rb), breach)
        return found


_LEAN_PUBLISHED: dict[str, Published] = {}


def _lean(rating: str) -> Published:
    """A published rating without words (one frozen instance per rating)."""
    found = _LEAN_PUBLISHED.get(rating)
    if found is None:
        found = _LEAN_PUBLISHED[rating] = Published(rating, "")
    return found


def _published_rating(now: tuple[str, bool], before: Published | None, decision: DecisionMade | None) -> Published:
    """:func:`rules.publication.publish`'s rating, without its words (a quarter before the one asked)."""
    rating, breach = now
    if decision is not None:
        return _lean(decision.published_rating)
    if before is None:
        return _lean(rating)
    if breach or is_downgrade(rating, before.rating):
        return _lean(before.rating)
    return _lean(rating)


def _quarter_statuses(
    engine: Engine,
    library: RulebookLibrary,
    quarter: Quarter,
    codes: list[str],
    rb: Rulebook,
    cache: _ObjectiveCache,
    traces: dict[str, Trace] | None,
    shared: _Shared,
) -> tuple[dict[str, list[TargetStatus]], dict[str, list[str]], dict[tuple[str, str], _Infection]]:
    """Each trust's target statuses and events for one quarter."""
    infections = _infections(engine, library, quarter, cache, shared)
    by_org = shared.failed[str(quarter)]
    met_count = shared.reported
    event_kinds = shared.event_kinds(quarter)
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
    traces: bool | None = None,
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
    traces : bool, optional
        A trace per trust (``explain``, the API's explain route); without them the same rows
        are computed without the words of each step. Default: traced when ``org_codes`` names
        the trusts (``explain``, ``decide``), untraced for every rated trust.

    Returns
    -------
    Result
        ``GOVERNANCE_COLUMNS``, a trace per trust.
    """
    traced = org_codes is not None if traces is None else traces
    record = _record(engine, library, quarter, rulebook, what_if, org_codes, cache, traced=traced)
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


def governance_cached(
    engine: Engine,
    library: RulebookLibrary,
    quarter: Quarter,
    *,
    rulebook: str | None = None,
    what_if: dict[str, object] | None = None,
) -> Result:
    """:func:`governance_for_quarter` for every rated trust, untraced, computed once per
    database state: keyed by the database's ``data_version`` (raised by every import and
    decision), the quarter, the rulebook's label and the what-if values, so the report (this
    quarter, the previous one, a what-if) and a long-running server ask the database once.

    Returns a copy whose table may be changed freely.
    """
    rb = choose_rulebook(library, GOVERNANCE, quarter, rulebook, what_if)
    key = ("governance", str(quarter), rulebook, rb.label, _frozen(what_if))
    result = cached(
        engine,
        key,
        lambda: governance_for_quarter(engine, library, quarter, rulebook=rulebook, what_if=what_if, traces=False),
    )
    return replace(result, table=result.table.copy(), what_if=dict(result.what_if), traces={})


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
    all_rows: bool = False,
    traced: bool = True,
) -> _Record:
    """Calculated and published ratings of every quarter of the record up to ``quarter``.

    The record starts at the first quarter with data for which a governance rulebook is in
    force (any quarter with data when a rulebook or what-if is named): each quarter's
    published rating follows from the previous quarter's published rating, so a held
    downgrade stays held until an analyst decides (:func:`rules.publication.publish`).
    """
    cache = {} if cache is None else cache
    rb = choose_rulebook(library, GOVERNANCE, quarter, rulebook, what_if)
    orgs = organisations(engine)
    orgs = orgs[orgs["kind"].isin(rb.value("rated_kinds"))]
    if org_codes is not None:
        wanted = [c.upper() for c in org_codes]
        orgs = orgs[member(orgs["code"], wanted)]
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
    every = [start - k for k in range(n_back, 0, -1)] + chain
    full = set(chain) if all_rows else {quarter}
    traced = traced or all_rows
    traces = {c: Trace.start(c, str(quarter), "governance", rb) for c in codes} if traced else {}
    shared = _Shared.read(engine, library, every, codes, kinds, org_codes is not None, cache)
    statuses: dict[Quarter, tuple[dict[str, list[TargetStatus]], dict[str, list[str]], dict]] = {}
    for q in every:
        if q not in full:
            continue
        if traced:
            statuses[q] = _quarter_statuses(
                engine, library, q, codes, rb_for(q), cache, traces if q == quarter else None, shared
            )
        else:  # the quarter asked, untraced: every row's figures, no step's words
            statuses[q] = (
                shared.lean_statuses(q, rb_for(q)),
                shared.event_kinds(q),
                _infections(engine, library, q, cache, shared),
            )
    # the quarters before: which targets failed, no more
    failed_in: dict[Quarter, dict[str, set[str]]] = {
        q: shared.lean_failed(q, rb_for(q))
        if q not in statuses
        else {code: {st.target for st in found if st.failed} for code, found in statuses[q][0].items()}
        for q in every
    }

    def failures_before(q: Quarter, code: str) -> dict[str, list[bool]]:
        out: dict[str, list[bool]] = {}
        for k in range(1, n_back + 1):
            failed = failed_in.get(q - k, {}).get(code, set())
            for target in {s.target for s in statuses[q][0].get(code, [])}:
                out.setdefault(target, []).append(target in failed)
        return out

    decided = _latest_decisions(engine, codes, chain)
    published: dict[str, Published] = {}
    rows: dict[Quarter, list[dict[str, object]]] = {}
    for q in chain:
        rb_q = rb_for(q)
        if q not in full:
            events_q = shared.event_kinds(q)
            # only the published rating carries on, and only a failed target or an event moves it
            scorer = _LeanScore(rb_q, n_back)
            quiet_lean = scorer.rating(set(), [], [])
            before_sets = [failed_in.get(q - k, {}) for k in range(1, n_back + 1)]
            failed_q, label = failed_in[q], str(q)
            no_events: list[str] = []
            for code in codes:
                failed_now, lean_kinds = failed_q.get(code), events_q.get(code, no_events)
                if lean_kinds or failed_now:
                    lean = scorer.rating(failed_now or set(), [b.get(code, ()) for b in before_sets], lean_kinds)
                else:
                    lean = quiet_lean
                published[code] = _published_rating(lean, published.get(code), decided.get((code, label)))
            continue
        q_statuses, events, infections = statuses[q]
        rows[q] = []
        quiet = rate_quarter([], {}, [], rb_q)
        assumed = _AssumedLabel(rb_q, n_back) if not traced else None
        headroom = _headroom(infections, codes, rb_q)
        for code in codes:
            trace = traces[code] if traced and q == quarter else NO_TRACE
            found, kinds_q = q_statuses.get(code, []), events.get(code, [])
            history = failures_before(q, code)
            if traced or kinds_q or any(st.failed for st in found):
                now = rate_quarter(found, history, kinds_q, rb_q, trace)
            else:
                now = quiet
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
                    "cdiff_de_minimis_headroom": headroom.get(code) if cd else None,
                    "mrsa_ytd_cases": mr.ytd if mr else None,
                    "mrsa_trajectory": float(mr.trajectory) if mr else None,
                    "contract_penalty": _penalty(cd, mr),
                    "assumed": (
                        (trace.assumed_label() if traced else assumed.label(code, infections, found, history, kinds_q))  # type: ignore[union-attr]
                        if q == quarter
                        else ""
                    ),
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
    log = log[member(log["quarter"], {str(q) for q in quarters}) & member(log["org_code"], codes)]
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
    record = _record(engine, library, quarters[-1], None, None, [code], None, all_rows=True)
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
    from ..store.read import distinct_values

    return sorted(Quarter.parse(q) for q in distinct_values(engine, "indicators", "quarter"))
