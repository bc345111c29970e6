"""Financial risk ratings (RULES.md §4, §5, §7): store frames → finance rules → results.

``oversight finance --period P --rulebook ID`` rates every organisation with a row of
``financials.csv`` for the period — foundation trusts, NHS trusts, independent providers,
and PCTs or CCGs if they have financials — under one rulebook:

- ``monitor-frr-2012-13`` (in force April 2010 to September 2013): the FRR, 5 to 1;
- ``monitor-licence-consultation-2012`` (a proposal, only when named): the 10-point
  scale with its bands and overrides;
- ``monitor-raf-2013`` (from October 2013): the continuity of service rating, 4 to 1.

Without ``--rulebook`` the FRR or the RAF in force on the **last** day of the period is used:
a period is rated on its figures once it has ended, by the regime of that day (2013-14-Q2
under the FRR; 2013-14-Q3 and the year 2013-14 under the RAF).

A quarter's figures are year to date; the events that count are those dated from 1 April
to the end of the period (rulebook ``event_window``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterator
from typing import Any, Protocol, cast

import pandas as pd
from sqlalchemy import Engine

from ..explain import Trace
from ..periods import FinancialYear, Quarter, parse_period
from ..regimes import FINANCE
from ..rulebooks import Rulebook, RulebookLibrary
from ..rules.finance import (
    Event,
    FinanceRating,
    FormulaError,
    annualisation,
    continuity_rating,
    events_in_window,
    frr_rating,
    scheme_of,
    ten_point_rating,
)
from ..store import read_table
from .common import AssessmentError
from .rulebooks import choose_rulebook

__all__ = [
    "FINANCE_COLUMNS",
    "TEN_POINT_RULEBOOK",
    "finance_rulebook",
    "finance_for_period",
    "explain_finance",
    "finance_section",
]


class _EventRow(Protocol):
    """A row of the ``events`` table as :meth:`pandas.DataFrame.itertuples` yields it;
    the optional columns hold None or NaN where empty."""

    event_id: str
    org_code: str
    kind: str
    value: float | None
    estimated_cost: float | None
    exceptional: bool | None
    evidence: str | None


class _RatedRow(Protocol):
    """A row of :func:`finance_for_period`'s table as :meth:`pandas.DataFrame.itertuples`
    yields it (the columns the report's finance section reads)."""

    org_code: str
    name: str
    kind: str
    uncapped_rating: int
    rating: int
    band: str
    overrides_applied: str
    pfi_share: float  # read only where it is present (not NaN)


#: The columns of ``oversight finance`` (INTERFACE.md); the metric score columns
#: (``<metric>_score``) follow ``rulebook`` and depend on the rulebook.
FINANCE_COLUMNS = [
    "org_code",
    "period",
    "rulebook",
    "weighted_score",
    "uncapped_rating",
    "rating",
    "band",
    "overrides",
    "reason",
]
#: The 10-point rulebook the report shows beside the rating in force.
TEN_POINT_RULEBOOK = "monitor-licence-consultation-2012"

Period = FinancialYear | Quarter


def _period(period: Period | str) -> Period:
    return parse_period(period) if isinstance(period, str) else period


def finance_rulebook(
    library: RulebookLibrary,
    period: Period | str,
    rulebook: str | None = None,
    what_if: dict[str, Any] | None = None,
) -> Rulebook:
    """The named rulebook, or the FRR or RAF in force on the period's last day, with
    ``--set`` values applied (use it to check ``--rulebook`` and ``--set`` before a run).

    Raises
    ------
    AssessmentError
        When the named rulebook is no financial rating, or none is in force.
    """
    p = _period(period)
    chosen = choose_rulebook(library, FINANCE, p, rulebook)
    try:
        scheme_of(chosen)
    except FormulaError as exc:
        raise AssessmentError(str(exc)) from None
    return choose_rulebook(library, FINANCE, p, rulebook, what_if)


def _previous(period: Period) -> Period:
    if isinstance(period, Quarter):
        return Quarter(period.year - 1, period.number)
    return period - 1


def _events(engine: Engine, codes: list[str] | None) -> dict[str, list[Event]]:
    frame = read_table(engine, "events", **({"org_code": codes} if codes is not None else {}))
    out: dict[str, list[Event]] = {}
    if frame.empty:
        return out
    dates = pd.to_datetime(frame["date"]).dt.date
    for r, date in zip(cast(Iterator[_EventRow], frame.itertuples(index=False)), dates):
        exceptional = r.exceptional
        out.setdefault(r.org_code, []).append(
            Event(
                event_id=str(r.event_id),
                kind=str(r.kind),
                date=date,
                value=None if pd.isna(r.value) else float(r.value),
                estimated_cost=None if pd.isna(r.estimated_cost) else float(r.estimated_cost),
                exceptional=bool(exceptional) if exceptional is not None and not pd.isna(exceptional) else False,
                evidence="" if r.evidence is None or pd.isna(r.evidence) else str(r.evidence),
            )
        )
    return out


def _rate(
    rb: Rulebook,
    row: dict[str, Any],
    events: list[Event],
    *,
    normalised: bool,
    trace: Trace,
    previous: dict[str, Any] | None = None,
    two_star: bool = False,
    unlikely_to_worsen: bool | None = None,
) -> FinanceRating:
    scheme = scheme_of(rb)
    if scheme == "frr":
        return frr_rating(row, rb, events, normalised=normalised, trace=trace)
    if scheme == "ten_point":
        return ten_point_rating(row, rb, events, normalised=normalised, trace=trace)
    return continuity_rating(
        row,
        rb,
        normalised=normalised,
        two_star=two_star,
        previous=previous,
        unlikely_to_worsen=unlikely_to_worsen,
        trace=trace,
    )


def finance_for_period(
    engine: Engine,
    library: RulebookLibrary,
    period: Period | str,
    rulebook: str | None = None,
    what_if: dict[str, Any] | None = None,
    normalised_too: bool = True,
    *,
    two_star: bool | Collection[str] = False,
    codes: Collection[str] | None = None,
) -> tuple[pd.DataFrame, dict[str, Trace], Rulebook]:
    """Every provider's financial rating for a period (``oversight finance``).

    Parameters
    ----------
    engine : sqlalchemy.Engine
    library : RulebookLibrary
    period : FinancialYear, Quarter or str
        A year (annual figures) or a quarter (year-to-date figures).
    rulebook : str, optional
        A rulebook id or path (``--rulebook``); default the FRR or RAF in force.
    what_if : dict, optional
        ``--set`` values.
    normalised_too : bool
        Also rate with exceptional income removed (the ``normalised_*`` columns).
    two_star : bool or collection of str
        Continuity rating only: ``True`` asks for the ``2*`` mark by the rulebook's test
        (not worse than the same period a year before); a collection of codes gives the
        star to those an analyst names (when rated 2). Default: no stars.
    codes : collection of str, optional
        Only these organisations.

    Returns
    -------
    (pandas.DataFrame, dict of str to Trace, Rulebook)
        :data:`FINANCE_COLUMNS` with the metric score columns after ``rulebook``, then
        the extras (``kind``, ``name``, ``rating_label``, ``response``, ``net_movement``,
        ``overrides_applied``, ``exceptional`` (events applied beyond the net limit, with
        their evidence), the
        ``normalised_*`` columns, ``exceptional_income``, each metric's value under
        its own name, ``assumed``); one row per organisation, sorted by code. The traces
        are keyed by code.

    Raises
    ------
    AssessmentError
        No financials for the period, or a rulebook value the rules cannot use.
    """
    p = _period(period)
    rb = finance_rulebook(library, p, rulebook, what_if)
    wanted = sorted({c.upper() for c in codes}) if codes is not None else None
    filters: dict[str, Any] = {"period": str(p)}
    if wanted is not None:
        filters["org_code"] = wanted
    fin = read_table(engine, "financials", **filters)
    if fin.empty:
        held = sorted(read_table(engine, "financials")["period"].unique())
        which = f" for {', '.join(wanted)}" if wanted else ""
        raise AssessmentError(
            f"no financials{which} for {p} in the database"
            + (f"; periods held: {', '.join(held)}" if held else "; load a financials.csv first")
        )
    orgs = read_table(engine, "organisations").set_index("code")
    events = _events(engine, wanted)
    previous: dict[str, dict[str, Any]] = {}
    continuity = scheme_of(rb) == "continuity"
    star_asked = two_star is True or (two_star is not False and bool(two_star))
    named = set() if isinstance(two_star, bool) else {c.upper() for c in two_star}
    if star_asked and continuity:
        prior = _previous(p)
        before = read_table(engine, "financials", period=str(prior), **({"org_code": wanted} if wanted else {}))
        factor = annualisation(prior)
        # the columns of a stored table are names: str keys
        records = cast(list[dict[str, Any]], before.to_dict("records"))
        previous = {r["org_code"]: {**r, "annualisation": factor} for r in records}
    window = str(rb.value("event_window")) if "event_window" in rb.values else "year_to_date"
    factor = annualisation(p)
    rows: list[dict[str, Any]] = []
    traces: dict[str, Trace] = {}
    try:
        for record in cast(list[dict[str, Any]], fin.sort_values("org_code").to_dict("records")):
            code = record["org_code"]
            figures = {**record, "annualisation": factor}
            own = events_in_window(events.get(code, []), p, window)
            trace = Trace.start(code, str(p), rb.regime, rb)
            options: dict[str, Any] = {}
            if continuity and star_asked:
                analyst = two_star is not True
                options = {
                    "previous": previous.get(code),
                    "two_star": code in named if analyst else True,
                    "unlikely_to_worsen": True if analyst else None,
                }
            reported = _rate(rb, figures, own, normalised=False, trace=trace, **options)
            normalised = None
            if normalised_too and figures.get("exceptional_income"):
                normalised = _rate(rb, figures, own, normalised=True, trace=trace, **options)
            elif normalised_too:
                normalised = reported
                trace.add("finance.normalised.same", "no exceptional income: the normalised rating is the reported one")
            trace.result = {
                "rating": reported.label,
                "band": reported.band,
                "normalised_rating": None if normalised is None else normalised.label,
                "overrides": [o.to_dict() for o in reported.overrides],
            }
            traces[code] = trace
            rows.append(_row(code, p, rb, orgs, figures, reported, normalised, trace))
    except FormulaError as exc:
        raise AssessmentError(f"{rb.label}: {exc}") from None
    table = pd.DataFrame(rows)
    return table, traces, rb


def _row(
    code: str,
    period: Period,
    rb: Rulebook,
    orgs: pd.DataFrame,
    figures: dict[str, Any],
    reported: FinanceRating,
    normalised: FinanceRating | None,
    trace: Trace,
) -> dict[str, Any]:
    card = reported.card
    row: dict[str, Any] = {"org_code": code, "period": str(period), "rulebook": rb.label}
    row.update({f"{m}_score": s.score for m, s in card.scores.items()})
    row.update(
        {
            "weighted_score": float(card.weighted),
            "uncapped_rating": reported.uncapped_rating,
            "rating": reported.rating,
            "band": reported.band,
            "overrides": reported.overrides_text(),
            "reason": reported.reason
            + (
                f"; normalised (exceptional income £{figures.get('exceptional_income') or 0:,.0f}k removed): "
                f"{normalised.label}"
                if normalised is not None and (figures.get("exceptional_income") or 0)
                else ""
            ),
            "kind": orgs["kind"].get(code, ""),
            "name": orgs["name"].get(code, ""),
            "rating_label": reported.label,
            "response": reported.response,
            "net_movement": reported.net_movement,
            "overrides_applied": "; ".join(o.describe() for o in reported.overrides if o.applied),
            "exceptional": "; ".join(
                f"{o.event_id}: {o.evidence}" for o in reported.overrides if o.applied and o.exceptional
            ),
            "normalised_weighted_score": None if normalised is None else float(normalised.card.weighted),
            "normalised_uncapped_rating": None if normalised is None else normalised.uncapped_rating,
            "normalised_rating": None if normalised is None else normalised.rating,
            "normalised_rating_label": None if normalised is None else normalised.label,
            "normalised_band": None if normalised is None else normalised.band,
            "normalised_overrides": None if normalised is None else normalised.overrides_text(),
            "exceptional_income": float(figures.get("exceptional_income") or 0),
        }
    )
    for name, metric in card.metrics.items():
        row[name] = None if metric.value is None else float(metric.value)
    row["assumed"] = trace.assumed_label()
    return row


def explain_finance(
    engine: Engine,
    library: RulebookLibrary,
    org_code: str,
    period: Period | str,
    rulebook: str | None = None,
    what_if: dict[str, Any] | None = None,
) -> Trace:
    """The trace of one organisation's financial rating: every metric with its inputs,
    formula, score and weight, the weighted average and its rounding, every cap or
    override considered, reported then normalised (``oversight explain ORG --period P
    --regime finance``).

    Raises
    ------
    AssessmentError
        Unknown organisation, or no financials for it in the period.
    """
    code = org_code.strip().upper()
    if read_table(engine, "organisations", code=code).empty:
        raise AssessmentError(f"no organisation {org_code!r} in the database")
    _, traces, _ = finance_for_period(engine, library, period, rulebook, what_if, codes=[code])
    return traces[code]


# ------------------------------------------------------------------------------ report
def _distribution(table: pd.DataFrame, rb: Rulebook) -> list[list[Any]]:
    scale = [int(s) for s in rb.value("scores")]
    reported = Counter(table["rating"].astype(int))
    normalised = Counter(table["normalised_rating"].dropna().astype(int))
    responses = rb.values.get("rating_responses")
    rows = []
    for rating in scale:
        meaning = "" if responses is None else str(responses.value.get(rating, responses.value.get(str(rating), "")))
        rows.append([rating, reported.get(rating, 0), normalised.get(rating, 0), meaning])
    return rows


def _kind_counts(table: pd.DataFrame) -> list[list[Any]]:
    return [[k, int(n)] for k, n in sorted(Counter(table["kind"]).items())]


def finance_section(engine: Engine, library: RulebookLibrary, period: Period | str) -> dict[str, Any]:
    """The data of the report's finance section for a period.

    Returns
    -------
    dict
        ``period``, ``providers``, ``kinds`` ([kind, n]); ``rated`` — the rating in force
        (FRR or continuity, ``2*`` asked for): ``rulebook``, ``title``, ``scheme``,
        ``scale``, ``distribution`` ([rating, reported, normalised, meaning]), ``low``
        (rated ``low_edge`` = 2 or below), ``capped`` (by the FRR's overriding rules),
        ``normalised_differs``, ``starred`` (rated ``2*``); ``ten_point`` — the 10-point
        scale: ``rulebook``, ``bands`` ([band, ratings, core, after overrides, response]), ``moved`` (providers
        whose overrides moved the rating: code, name, kind, core, rating, band,
        overrides applied), ``exceptional`` (code, name, evidence of events applied as
        exceptional);
        ``pfi`` — ``limit``, ``above`` and ``providers`` above it (code, name, kind, share,
        core, rating); ``rows`` — every provider's ratings; ``assumed`` — the assumed
        values the results rest on.
    """
    p = _period(period)
    rated, rated_traces, rb = finance_for_period(engine, library, p, two_star=True)
    ten, ten_traces, rb10 = finance_for_period(engine, library, p, TEN_POINT_RULEBOOK)
    scale = [int(s) for s in rb.value("scores")]
    low_edge = sorted(scale)[1]
    bands = []
    for band, (first, last) in rb10.value("bands").items():
        span = f"{first}–{last}" if first != last else str(first)
        core = int(((ten["uncapped_rating"] >= first) & (ten["uncapped_rating"] <= last)).sum())
        final = int((ten["band"] == band).sum())
        bands.append([band, span, core, final, str(rb10.value("band_responses").get(band, ""))])
    moved = ten[ten["rating"] != ten["uncapped_rating"]].copy()
    moved["shift"] = (moved["rating"] - moved["uncapped_rating"]).abs()
    moved = moved.sort_values(["shift", "org_code"], ascending=[False, True])
    exceptional = [
        {"org_code": r.org_code, "name": r.name, "evidence": r.exceptional}
        for r in ten[ten["exceptional"] != ""].itertuples(index=False)
    ]
    limit = float(rb10.value("pfi_share_limit"))
    pfi = ten[ten["pfi_share"].notna() & (ten["pfi_share"] > limit)].sort_values("pfi_share", ascending=False)
    merged = rated[["org_code", "name", "kind", "rating_label", "normalised_rating_label", "reason"]].merge(
        ten[["org_code", "rating", "band"]].rename(columns={"rating": "ten_point", "band": "ten_point_band"}),
        on="org_code",
        how="left",
    )
    assumed = sorted({u.name for t in [*rated_traces.values(), *ten_traces.values()] for u in t.assumptions()})
    return {
        "period": str(p),
        "providers": len(rated),
        "kinds": _kind_counts(rated),
        "rated": {
            "rulebook": rb.label,
            "title": rb.title,
            "scheme": scheme_of(rb),
            "scale": f"{scale[0]} (lowest risk) to {scale[-1]}",
            "distribution": _distribution(rated, rb),
            "low": int((rated["rating"] <= low_edge).sum()) if scale[0] > scale[-1] else 0,
            "low_edge": low_edge,
            "capped": int((rated["rating"] != rated["uncapped_rating"]).sum()),
            "normalised_differs": int((rated["normalised_rating"] != rated["rating"]).sum()),
            "starred": int(rated["rating_label"].str.endswith("*").sum()),
        },
        "ten_point": {
            "rulebook": rb10.label,
            "bands": bands,
            "moved": [
                {
                    "org_code": r.org_code,
                    "name": r.name,
                    "kind": r.kind,
                    "core": int(r.uncapped_rating),
                    "rating": int(r.rating),
                    "band": r.band,
                    "overrides": r.overrides_applied,
                }
                for r in cast(Iterator[_RatedRow], moved.itertuples(index=False))
            ],
            "exceptional": exceptional,
        },
        "pfi": {
            "limit": limit,
            "above": len(pfi),
            "providers": [
                {
                    "org_code": r.org_code,
                    "name": r.name,
                    "kind": r.kind,
                    "share": float(r.pfi_share),
                    "core": int(r.uncapped_rating),
                    "rating": int(r.rating),
                }
                for r in cast(Iterator[_RatedRow], pfi.itertuples(index=False))
            ],
        },
        "rows": merged.to_dict("records"),
        "assumed": assumed,
    }
