"""The routes of ``/api`` (WEB.md): each parses and checks its parameters before any work, asks
the service layer through the cache, and answers the table document or CSV, cut to the viewer.

Every route is on :data:`router`, whose one dependency (:func:`.auth.authorise`) enforces the
role table; ``tests/web/test_routes.py`` fails if a route escapes it.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.concurrency import run_in_threadpool

from .. import __version__
from ..errors import NotFound, UsageError
from ..periods import FinancialYear, Period, Quarter
from ..service import params, usecases
from ..service.results import Result
from .auth import ANALYST, OPEN, PUBLISHED, Viewer, access, authorise, current_viewer
from .cache import Entry, ResultCache
from .models import DecisionIn, DecisionOut, ErrorDoc, Health, HistoryTable, Me, Profile, RulebookDoc, Table, TraceDoc
from .respond import ALL_COLUMNS, dumps, json_response, table_response

__all__ = ["router", "use", "usecase_key", "warm_up"]

ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorDoc, "description": text}
    for code, text in (
        (401, "No or bad credentials"),
        (403, "Not allowed for this role or organisation"),
        (404, "Unknown organisation, rulebook, or a period without data"),
        (422, "A bad parameter (named in `detail`)"),
        (503, "Still computing: try again after Retry-After seconds"),
    )
}
TABLE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {"schema": {"type": "string"}}}, "description": "JSON, or CSV with format=csv"},
    **ERRORS,
}

router = APIRouter(prefix="/api", dependencies=[Depends(authorise)], responses=ERRORS)

ViewerDep = Annotated[Viewer, Depends(current_viewer)]
Format = Annotated[Literal["json", "csv"], Query(description="json (default) or csv: the command's --out file.")]
Organism = Literal["mrsa", "cdiff"]
Kind = Literal["trust", "pct"]
SetParam = Annotated[
    list[str] | None,
    Query(alias="set", description="name=value: change one rulebook value for a what-if run (repeatable)."),
]
RulebookParam = Annotated[str | None, Query(description="A rulebook id (see /api/rulebooks).", max_length=100)]
YearParam = Annotated[str, Query(description="Financial year, e.g. 2012-13.", max_length=16)]
QuarterParam = Annotated[str, Query(description="Quarter, e.g. 2012-13-Q4.", max_length=16)]
CodeParam = Annotated[str, Path(description="Organisation code, e.g. RTH.", max_length=10)]

#: The columns of each table an anonymous reader of a ``--public`` server sees.
PUBLIC_GOVERNANCE = ("org_code", "quarter", "kind", "published_rating")
PUBLIC_HISTORY = ("quarter", "published_rating")


# ------------------------------------------------------------------------- parameters
def _year(text: str, param: str = "year") -> FinancialYear:
    return params.year(text, param)


def _quarter(text: str, param: str = "quarter") -> Quarter:
    return params.quarter(text, param)


def _period(text: str, param: str = "period") -> Period:
    return params.period(text, param)


def _month(text: str, param: str) -> None:
    params.month(text, param)


def _what_if(items: list[str] | None, param: str = "set") -> dict[str, Any]:
    from ..service.rulebooks import parse_what_if

    return parse_what_if(items, param)


def _rulebook(request: Request, rulebook: str | None, param: str = "rulebook") -> str | None:
    """Only a known rulebook id (else 404): the API never reads a file a client names."""
    library = request.app.state.library
    if rulebook is not None and rulebook not in library.files:
        raise NotFound(f"no rulebook {rulebook!r}; known: {', '.join(library.ids())}", param=param)
    return rulebook


def _choices(request: Request, rulebook: str | None, set_: list[str] | None) -> tuple[dict[str, Any], str | None]:
    """The what-if settings (``set``) and the rulebook named (``rulebook``), each checked, in
    that order: what every assessment route passes to its use case."""
    return _what_if(set_), _rulebook(request, rulebook)


def _published_only(viewer: Viewer, rulebook: str | None = None, settings: dict[str, Any] | None = None) -> None:
    """An anonymous reader sees what was published: no other rulebook, no what-if run."""
    if viewer.anonymous and (rulebook is not None or settings):
        from fastapi import HTTPException

        raise HTTPException(401, detail="set: what-if runs and other rulebooks need you to sign in")


# ------------------------------------------------------------------------------ cache
def _freeze(value: Any) -> Any:
    if isinstance(value, dict):
        return tuple(sorted((str(k), _freeze(v)) for k, v in value.items()))
    if isinstance(value, list | tuple):
        return tuple(_freeze(v) for v in value)
    return value if isinstance(value, str | int | float | bool | type(None)) else repr(value)


def usecase_key(version: int, name: str, arguments: dict[str, Any]) -> tuple[Any, ...]:
    """The cache key of a use case's result: database state, use case, and every argument with
    the use case's defaults filled in (so ``rates(year=y)`` and ``rates(year=y, kind=None)``
    share one entry)."""
    return (version, name, _freeze(_complete(name, arguments)))


@functools.cache
def _signature(name: str) -> inspect.Signature:
    return inspect.signature(getattr(usecases, name))


def _complete(name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    bound = _signature(name).bind_partial(None, None, **arguments)
    bound.apply_defaults()
    complete = dict(list(bound.arguments.items())[2:])  # without the engine and the library
    for key in ("what_if", "what_if_a", "what_if_b"):
        if key in complete and complete[key] is None:
            complete[key] = {}
    return complete


def _version(request: Request) -> int:
    from ..store import data_version

    state = request.app.state
    version = data_version(state.engine)
    before = state.cache._version
    state.cache.see_version(version, lambda: state.database_state(version))
    if before is not None and before != version and state.warm:
        state.start_warm_up()
    return version


def _compute(request: Request, name: str, arguments: dict[str, Any]) -> Callable[[], Any]:
    state = request.app.state
    return lambda: getattr(usecases, name)(state.engine, state.library, **arguments)


async def use(request: Request, name: str, **arguments: Any) -> Entry:
    """The cached result of ``usecases.<name>(engine, library, **arguments)``."""
    version = _version(request)
    cache: ResultCache = request.app.state.cache
    return await cache.fetch(usecase_key(version, name, arguments), _compute(request, name, arguments))


async def _cached(request: Request, key: tuple[Any, ...], compute: Callable[[], Any]) -> Entry:
    version = _version(request)
    cache: ResultCache = request.app.state.cache
    return await cache.fetch((version, *key), compute)


# ----------------------------------------------------------------------------- routes
@router.get("/health", response_model=Health, summary="Alive, and which version (no sign-in)")
@access(OPEN)
async def health() -> Response:
    return json_response(_HEALTH)


_HEALTH = dumps({"status": "ok", "version": __version__})


@router.get("/me", response_model=Me, summary="The signed-in user: name, role, org")
@access(PUBLISHED)
async def me(viewer: ViewerDep) -> Response:
    return json_response(dumps({"name": viewer.name, "role": viewer.role, "org": viewer.org}))


@router.get("/organisations", response_model=Table, responses=TABLE_RESPONSES, summary="Organisations")
@access(PUBLISHED)
async def organisations(
    request: Request, viewer: ViewerDep, kind: Kind | None = None, format: Format = "json"
) -> Response:
    from ..service import organisations as orgs

    state = request.app.state
    entry = await _cached(
        request, ("organisations", kind), lambda: orgs.organisations(state.engine, state.library, kind=kind)
    )
    return table_response(entry, viewer, format, published=ALL_COLUMNS)


@router.get(
    "/organisations/{code}",
    response_model=Profile,
    summary="One organisation's profile: identity, counts and rates by year, latest objectives and ratings",
)
@access(PUBLISHED)
async def organisation(request: Request, viewer: ViewerDep, code: CodeParam) -> Response:
    from ..service import organisations as orgs

    viewer.require_org(code)
    state = request.app.state
    version = _version(request)
    cache = state.cache

    def via_cache(name: str, **arguments: Any) -> Result:
        key = usecase_key(version, name, arguments)
        return cache.compute_now(key, lambda: getattr(usecases, name)(state.engine, state.library, **arguments)).value  # type: ignore[no-any-return]

    published = viewer.anonymous
    entry = await cache.fetch(
        (version, "profile", code.upper(), published),
        lambda: orgs.organisation_profile(state.engine, state.library, code, use=via_cache, published_only=published),
    )
    body = entry.rendered.get("json")
    if body is None:
        body = entry.rendered["json"] = dumps(entry.value)
    return json_response(body)


@router.get("/rates", response_model=Table, responses=TABLE_RESPONSES, summary="oversight rates")
@access(PUBLISHED)
async def rates(
    request: Request,
    viewer: ViewerDep,
    year: YearParam,
    organism: Organism | None = None,
    kind: Kind | None = None,
    rulebook: RulebookParam = None,
    set_: SetParam = None,
    format: Format = "json",
) -> Response:
    fy = _year(year)
    settings, rb = _choices(request, rulebook, set_)
    _published_only(viewer, rb, settings)
    entry = await use(request, "rates", year=fy, organism=organism, kind=kind, rulebook=rb, what_if=settings)
    return table_response(entry, viewer, format, published=ALL_COLUMNS)


@router.get(
    "/objectives/{organism}", response_model=Table, responses=TABLE_RESPONSES, summary="oversight objectives mrsa|cdiff"
)
async def objectives(
    request: Request,
    viewer: ViewerDep,
    organism: Annotated[Organism, Path(description="mrsa or cdiff")],
    year: YearParam,
    baseline: Annotated[str | None, Query(max_length=16, description="Baseline financial year.")] = None,
    kind: Kind | None = None,
    method: Literal["uniform", "median-quartile"] | None = None,
    reduction: Annotated[float | None, Query(ge=0, lt=1, description="National reduction, e.g. 0.18.")] = None,
    rulebook: RulebookParam = None,
    set_: SetParam = None,
    format: Format = "json",
) -> Response:
    fy = _year(year)
    base = _year(baseline, "baseline") if baseline else None
    settings, rb = _choices(request, rulebook, set_)
    entry = await use(
        request,
        "objectives",
        organism=organism,
        year=fy,
        baseline=base,
        kind=kind,
        method=method,
        reduction=reduction,
        rulebook=rb,
        what_if=settings,
    )
    return table_response(entry, viewer, format)


@router.get("/monitor", response_model=Table, responses=TABLE_RESPONSES, summary="oversight monitor")
async def monitor(
    request: Request,
    viewer: ViewerDep,
    quarter: QuarterParam,
    organism: Organism | None = None,
    kind: Kind | None = None,
    set_: SetParam = None,
    format: Format = "json",
) -> Response:
    q = _quarter(quarter)
    settings = _what_if(set_)
    entry = await use(request, "monitor", quarter=q, organism=organism, kind=kind, what_if=settings)
    return table_response(entry, viewer, format)


@router.get("/governance", response_model=Table, responses=TABLE_RESPONSES, summary="oversight governance")
@access(PUBLISHED)
async def governance(
    request: Request,
    viewer: ViewerDep,
    quarter: QuarterParam,
    rulebook: RulebookParam = None,
    set_: SetParam = None,
    format: Format = "json",
) -> Response:
    q = _quarter(quarter)
    settings, rb = _choices(request, rulebook, set_)
    _published_only(viewer, rb, settings)
    entry = await use(request, "governance", quarter=q, rulebook=rb, what_if=settings)
    return table_response(entry, viewer, format, published=PUBLIC_GOVERNANCE)


def _history_more(result: Result, viewer: Viewer) -> dict[str, Any]:
    from .respond import rows_of

    if viewer.anonymous:
        return {}
    return {"decisions": rows_of(result.extra["decisions"])}


@router.get("/history/{code}", response_model=HistoryTable, responses=TABLE_RESPONSES, summary="oversight history")
@access(PUBLISHED)
async def history(request: Request, viewer: ViewerDep, code: CodeParam, format: Format = "json") -> Response:
    viewer.require_org(code)
    entry = await use(request, "history", org_code=code.strip().upper())
    return table_response(entry, viewer, format, published=PUBLIC_HISTORY, more=_history_more)


@router.get("/finance", response_model=Table, responses=TABLE_RESPONSES, summary="oversight finance")
async def finance(
    request: Request,
    viewer: ViewerDep,
    period: Annotated[str, Query(max_length=16, description="Financial year (2012-13) or quarter (year to date).")],
    rulebook: RulebookParam = None,
    two_star: Annotated[bool, Query(description="Continuity rating: mark a 2 unlikely to get worse as 2*.")] = False,
    set_: SetParam = None,
    format: Format = "json",
) -> Response:
    p = _period(period)
    settings, rb = _choices(request, rulebook, set_)
    entry = await use(request, "finance", period=p, rulebook=rb, what_if=settings, two_star=two_star)
    return table_response(entry, viewer, format)


@router.get("/chance", response_model=Table, responses=TABLE_RESPONSES, summary="oversight chance")
async def chance(
    request: Request,
    viewer: ViewerDep,
    year: YearParam,
    quarter: Annotated[str | None, Query(max_length=16, description="Year to date to this quarter.")] = None,
    rulebook: RulebookParam = None,
    kind: Annotated[Kind, Query(description="trust (rated by Monitor) or pct (PCTs and CCGs).")] = "trust",
    set_: SetParam = None,
    format: Format = "json",
) -> Response:
    fy = _year(year)
    q = _quarter(quarter) if quarter else None
    settings, rb = _choices(request, rulebook, set_)
    entry = await use(request, "chance", year=fy, quarter=q, rulebook=rb, what_if=settings, kind=kind)
    return table_response(entry, viewer, format)


@router.get("/compare", response_model=Table, responses=TABLE_RESPONSES, summary="oversight compare")
async def compare(
    request: Request,
    viewer: ViewerDep,
    a: Annotated[str, Query(max_length=100, description="Rulebook A (a governance rulebook id).")],
    b: Annotated[str, Query(max_length=100, description="Rulebook B.")],
    year: YearParam,
    quarter: Annotated[str | None, Query(max_length=16, description="Year to date to this quarter.")] = None,
    set_: SetParam = None,
    set_a: Annotated[list[str] | None, Query(description="name=value for rulebook A only.")] = None,
    set_b: Annotated[list[str] | None, Query(description="name=value for rulebook B only.")] = None,
    format: Format = "json",
) -> Response:
    fy = _year(year)
    q = _quarter(quarter) if quarter else None
    both = _what_if(set_)
    settings_a = {**both, **_what_if(set_a, "set_a")}
    settings_b = {**both, **_what_if(set_b, "set_b")}
    ra, rb = _rulebook(request, a, "a"), _rulebook(request, b, "b")
    entry = await use(
        request, "compare", rulebook_a=ra, rulebook_b=rb, year=fy, quarter=q, what_if_a=settings_a, what_if_b=settings_b
    )
    return table_response(entry, viewer, format)


@router.get("/funnel", response_model=Table, responses=TABLE_RESPONSES, summary="oversight funnel")
async def funnel(
    request: Request,
    viewer: ViewerDep,
    year: YearParam,
    organism: Organism = "cdiff",
    kind: Kind = "trust",
    overdispersion: Literal["winsorised", "truncated"] | None = None,
    rulebook: RulebookParam = None,
    set_: SetParam = None,
    format: Format = "json",
) -> Response:
    fy = _year(year)
    settings, rb = _choices(request, rulebook, set_)
    entry = await use(
        request,
        "funnel",
        year=fy,
        organism=organism,
        kind=kind,
        overdispersion=overdispersion,
        rulebook=rb,
        what_if=settings,
    )
    return table_response(entry, viewer, format)


@router.get("/spc/{code}", response_model=Table, responses=TABLE_RESPONSES, summary="oversight spc")
async def spc(
    request: Request,
    viewer: ViewerDep,
    code: CodeParam,
    organism: Organism = "cdiff",
    first: Annotated[str | None, Query(alias="from", max_length=16, description="First month, e.g. 2010-04.")] = None,
    last: Annotated[str | None, Query(alias="to", max_length=16, description="Last month, e.g. 2013-03.")] = None,
    chart: Literal["xmr", "c", "u", "t"] | None = None,
    rulebook: RulebookParam = None,
    set_: SetParam = None,
    format: Format = "json",
) -> Response:
    viewer.require_org(code)
    for param, text in (("from", first), ("to", last)):
        if text is not None:
            _month(text, param)
    settings, rb = _choices(request, rulebook, set_)
    entry = await use(
        request,
        "spc",
        org_code=code.strip().upper(),
        organism=organism,
        first=first,
        last=last,
        chart=chart,
        rulebook=rb,
        what_if=settings,
    )
    return table_response(entry, viewer, format)


@router.get("/explain/{code}", response_model=TraceDoc, summary="oversight explain --json")
async def explain(
    request: Request,
    viewer: ViewerDep,
    code: CodeParam,
    period: Annotated[str, Query(max_length=16, description="Financial year (2012-13) or quarter (2012-13-Q2).")],
    regime: Literal["counts", "mrsa-objective", "cdiff-objective", "monitor", "governance", "finance"] | None = None,
    organism: Organism | None = None,
    rulebook: RulebookParam = None,
    set_: SetParam = None,
) -> Response:
    viewer.require_org(code)
    p = _period(period)
    settings, rb = _choices(request, rulebook, set_)
    entry = await use(
        request,
        "explain",
        org_code=code.strip().upper(),
        period=p,
        regime=regime,
        organism=organism,
        rulebook=rb,
        what_if=settings,
    )
    body = entry.rendered.get("json")
    if body is None:
        body = entry.rendered["json"] = dumps(entry.value.to_dict())
    return json_response(body)


@router.get("/rulebooks", response_model=Table, responses=TABLE_RESPONSES, summary="oversight rulebooks")
async def rulebooks(request: Request, viewer: ViewerDep, format: Format = "json") -> Response:
    state = request.app.state
    entry = await _cached(request, ("rulebooks",), lambda: _rulebook_list(state.library))
    return table_response(entry, viewer, format)


def _rulebook_list(library: Any) -> Result:
    import pandas as pd

    rows = [
        {
            "id": rb.id,
            "regime": rb.regime,
            "in_force": rb.in_force.years if rb.in_force else "only when named",
            "values": len(rb.values),
            "assumed": len(rb.assumed),
            "title": rb.title,
        }
        for rb in library.all()
    ]
    return Result(pd.DataFrame(rows), "Rulebooks", "rulebooks")


@router.get("/rulebooks/{rulebook_id}", response_model=RulebookDoc, summary="oversight rulebooks show ID --json")
async def rulebook(
    request: Request,
    viewer: ViewerDep,
    rulebook_id: Annotated[str, Path(max_length=100, description="A rulebook id.")],
    set_: SetParam = None,
) -> Response:
    from ..rulebooks import RulebookError, apply_what_if

    library = request.app.state.library
    settings = _what_if(set_)
    if rulebook_id not in library.files:
        raise NotFound(f"no rulebook {rulebook_id!r}; known: {', '.join(library.ids())}")

    def show() -> bytes:
        try:
            rb = apply_what_if(library.get(rulebook_id), settings)
        except RulebookError as exc:
            raise UsageError(str(exc), param="set") from None
        return dumps(rb.model_dump(mode="json"))

    entry = await _cached(request, ("rulebook", rulebook_id, _freeze(settings)), show)
    return json_response(entry.value)


@router.get("/decisions", response_model=Table, responses=TABLE_RESPONSES, summary="The decision log")
async def decisions(
    request: Request,
    viewer: ViewerDep,
    org: Annotated[str | None, Query(max_length=10, description="Organisation code.")] = None,
    quarter: Annotated[str | None, Query(max_length=16, description="Quarter, e.g. 2012-13-Q4.")] = None,
    format: Format = "json",
) -> Response:
    from ..store.decisions import read_decisions

    if org is not None:
        viewer.require_org(org)
    q = str(_quarter(quarter)) if quarter else None
    code = org.strip().upper() if org else None
    state = request.app.state

    def log() -> Result:
        return Result(read_decisions(state.engine, code, q), "Decisions", "decisions")

    entry = await _cached(request, ("decisions", code, q), log)
    return table_response(entry, viewer, format)


@router.post(
    "/decisions",
    status_code=201,
    response_model=DecisionOut,
    summary="Record a decision on a calculated rating (analysts only)",
)
@access(ANALYST)
async def decide(request: Request, viewer: ViewerDep, body: DecisionIn) -> Response:
    from ..store.decisions import read_decisions

    q = _quarter(body.quarter)
    state = request.app.state
    assert viewer.name is not None
    stored = await run_in_threadpool(
        usecases.decide,
        state.engine,
        state.library,
        body.org_code,
        q,
        reason=body.reason,
        decided_by=viewer.name,
        rating=body.rating,
        action=body.action,
    )
    log = await run_in_threadpool(read_decisions, state.engine, stored["org_code"], stored["quarter"])
    row = log[log["id"] == stored["id"]]
    if len(row):
        stored["decided_at"] = row["decided_at"].iloc[0]
    from .respond import plain

    _version(request)  # forget the results of the state before the decision
    return json_response(dumps({k: plain(v) for k, v in stored.items()}), status=201)


# ---------------------------------------------------------------------------- warm-up
def warm_up(state: Any, version: int) -> int:
    """Compute the common results of the latest two years in the calling thread; returns how
    many were computed. Errors (a year without a rulebook in force) are skipped."""
    from ..errors import OversightError
    from ..service.data import held_years

    years = held_years(state.engine)[-2:]
    calls: list[tuple[str, dict[str, Any]]] = []
    empty: dict[str, Any] = {"rulebook": None, "what_if": {}}
    for fy in reversed(years):
        q4 = Quarter(fy, 4)
        calls += [
            ("governance", {"quarter": q4, **empty}),
            ("rates", {"year": fy, "organism": None, "kind": None, **empty}),
            ("monitor", {"quarter": q4, "organism": None, "kind": None, "what_if": {}}),
            ("funnel", {"year": fy, "organism": "cdiff", "kind": "trust", "overdispersion": None, **empty}),
            ("chance", {"year": fy, "quarter": None, **empty}),
            ("finance", {"period": fy, "rulebook": None, "what_if": {}, "two_star": False}),
        ]
        for organism in ("mrsa", "cdiff"):
            calls.append(
                (
                    "objectives",
                    {
                        "organism": organism,
                        "year": fy,
                        "baseline": None,
                        "kind": None,
                        "method": None,
                        "reduction": None,
                        **empty,
                    },
                )
            )
    done = 0
    for name, arguments in calls:
        if state.cache._version != version:
            break  # the data changed meanwhile: a newer warm-up takes over
        try:
            state.cache.compute_now(
                usecase_key(version, name, arguments),
                lambda n=name, a=arguments: getattr(usecases, n)(state.engine, state.library, **a),
            )
            done += 1
        except OversightError:
            continue
    return done
