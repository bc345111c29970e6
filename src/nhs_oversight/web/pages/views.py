"""The dashboard's pages (WEB.md): each gathers use-case results through the API's cache, cuts
them to the viewer, and renders a template. No rule is computed here."""

from __future__ import annotations

import json
import secrets
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse

from ...errors import NotFound, UsageError
from ...periods import FinancialYear, Quarter
from ...present import charts
from ...present.labels import label
from ...service import params
from ..auth import ANALYST, PUBLISHED, SIGNED_IN, Viewer
from .common import cached, error_page, page, records, render, result, scoped
from .summary import board_summary

router = APIRouter(include_in_schema=False)

RATINGS = ("green", "amber_green", "amber_red", "red")
ORGANISMS = {"cdiff": "C. difficile", "mrsa": "MRSA"}
RATED_KINDS = ("foundation_trust", "nhs_trust", "independent")
GRID_QUARTERS = 4


# --------------------------------------------------------------------------- helpers
def _state(request: Request) -> Any:
    return request.app.state


async def _latest_quarter(request: Request) -> Quarter:
    from ...service.report import governance_quarter

    state = _state(request)
    q = await cached(request, ("page-latest-quarter",), lambda: governance_quarter(state.engine, state.library))
    if q is None:
        raise NotFound("no quarter with data has a governance rulebook in force")
    return q  # type: ignore[no-any-return]


async def _rated_quarters(request: Request) -> list[Quarter]:
    from ...service.governance import quarters_with_data
    from ...service.report import governance_quarter

    state = _state(request)

    def find() -> list[Quarter]:
        latest = governance_quarter(state.engine, state.library)
        if latest is None:
            return []
        out = []
        for q in quarters_with_data(state.engine):
            try:
                from ...regimes import GOVERNANCE

                state.library.in_force(GOVERNANCE.id, GOVERNANCE.date(q))
            except Exception:  # noqa: BLE001 - no rulebook in force: not rated
                continue
            if q <= latest:
                out.append(q)
        return out

    return await cached(request, ("page-rated-quarters",), find)  # type: ignore[no-any-return]


def _quarter(text: str | None, param: str = "quarter") -> Quarter | None:
    if not text:
        return None
    return params.quarter(text, param)


def _year(text: str | None, param: str = "year") -> FinancialYear | None:
    if not text:
        return None
    return params.year(text, param)


async def _names(request: Request) -> dict[str, dict[str, Any]]:
    from ...service import organisations as orgs

    state = _state(request)
    value = await cached(
        request, ("organisations", None), lambda: orgs.organisations(state.engine, state.library, kind=None)
    )
    table = value.table
    return {r["org_code"]: r for r in table.to_dict("records")}


def _csv(route: str, **params: Any) -> str:
    items: list[tuple[str, str]] = []
    for k, v in params.items():
        if v is None:
            continue
        for one in v if isinstance(v, list) else [v]:
            items.append((k, str(one)))
    items.append(("format", "csv"))
    return f"{route}?{urlencode(items)}"


# ------------------------------------------------------------------------- overview
@router.get("/")
@page(PUBLISHED)
async def overview(request: Request, viewer: Viewer, quarters: int = GRID_QUARTERS) -> Response:
    if not 1 <= quarters <= 12:
        raise UsageError(f"{quarters} is not a number of quarters from 1 to 12", param="quarters")
    shown = quarters
    q = await _latest_quarter(request)
    names = await _names(request)
    gov = (await result(request, "governance", quarter=q)).table
    anonymous = viewer.anonymous
    published = {r: int((gov["published_rating"] == r).sum()) for r in RATINGS}
    calculated = {r: int((gov["rating"] == r).sum()) for r in RATINGS}
    pending_all = gov[gov["pending"].astype(bool)]
    monitor = (await result(request, "monitor", quarter=q)).table
    exceeded_all = monitor[monitor["status"] == "objective_exceeded"]
    exceeded_counts = {o: int((exceeded_all["organism"] == o).sum()) for o in ORGANISMS}
    rated = await _rated_quarters(request)
    grid_quarters = [x for x in (q - i for i in reversed(range(shown))) if x in rated]
    by_quarter = {}
    for x in grid_quarters:
        table = (await result(request, "governance", quarter=x)).table
        pairs = zip(table["published_rating"], table["pending"].astype(bool), strict=True)
        by_quarter[str(x)] = dict(zip(table["org_code"], pairs, strict=True))
    codes = scoped(viewer, gov[["org_code"]])["org_code"].tolist()
    codes.sort(key=lambda c: str(names.get(c, {}).get("name") or c))
    grid_rows = []
    for code in codes:
        cells = {qt: found[code] for qt, found in by_quarter.items() if code in found}
        grid_rows.append(
            {
                "code": code,
                "name": names.get(code, {}).get("name"),
                "ratings": {qt: rating for qt, (rating, _) in cells.items()},
                "pending": {qt: pending and not anonymous for qt, (_, pending) in cells.items()},
            }
        )
    pending_rows = [] if anonymous else records(scoped(viewer, pending_all))
    for r in pending_rows:
        r["name"] = names.get(r["org_code"], {}).get("name")
    exceeded_rows = [] if anonymous else records(scoped(viewer, exceeded_all))
    for r in exceeded_rows:
        r["name"] = names.get(r["org_code"], {}).get("name")
    return render(
        request,
        viewer,
        "overview.html",
        title="National overview",
        quarter=str(q),
        trusts=len(gov),
        published=published,
        calculated=calculated,
        pending_total=len(pending_all),
        pending_rows=pending_rows,
        exceeded_counts=exceeded_counts,
        exceeded_rows=exceeded_rows,
        grid_quarters=[str(x) for x in grid_quarters],
        grid_rows=grid_rows,
        shown=shown,
        csv=_csv("/api/governance", quarter=str(q)),
    )


# ---------------------------------------------------------------------- organisation
async def _profile(request: Request, viewer: Viewer, code: str) -> dict[str, Any]:
    from ..api import organisation as profile_route

    response = await profile_route(request, viewer, code)
    return json.loads(bytes(response.body))  # type: ignore[no-any-return]


async def _monthly(request: Request, code: str, organism: str, apportionment: str) -> list[dict[str, Any]]:
    """The organisation's monthly cases with an XmR chart (Making Data Count), the last 36 months."""
    state = _state(request)

    def compute() -> list[dict[str, Any]]:
        from ...stats.spc import SpcRules, spc_chart
        from ...store import read_table

        frame = read_table(state.engine, "infections", org_code=code, organism=organism)
        frame = frame[frame["apportionment"] == apportionment]
        if frame.empty:
            return []
        monthly = frame.groupby("month", as_index=False)[["cases"]].sum().sort_values("month").tail(36)
        if len(monthly) < 12:
            return []
        rb = state.library.get("spc-making-data-count")
        chart = spc_chart("xmr", monthly["cases"].to_numpy(dtype=float), SpcRules.from_rulebook(rb.value))
        chart.insert(0, "month", monthly["month"].astype(str).to_numpy())
        return charts.records(chart)

    return await cached(request, ("page-spc", code, organism, apportionment), compute)  # type: ignore[no-any-return]


@router.get("/org/{code}")
@page(PUBLISHED)
async def organisation(request: Request, viewer: Viewer, code: str) -> Response:
    code = code.strip().upper()[:10]
    viewer.require_org(code)
    profile = await _profile(request, viewer, code)
    org = profile["organisation"]
    name = org.get("name") or code
    trust = org["kind"] in RATED_KINDS
    apportionment = "trust" if trust else "population"
    q = await _latest_quarter(request)
    history = None
    decisions: list[dict[str, Any]] = []
    gov_row = None
    if trust:
        try:
            hist = await result(request, "history", org_code=code)
            history = records(hist.table)
            if not viewer.anonymous:
                decisions = records(hist.extra["decisions"])
        except NotFound:
            history = None
        gov = (await result(request, "governance", quarter=q)).table
        found = gov[gov["org_code"] == code]
        gov_row = records(found)[0] if len(found) else None
    rates = [r for r in profile.get("rates", []) if r.get("apportionment") == apportionment]
    context: dict[str, Any] = {
        "title": name,
        "org": org,
        "code": code,
        "quarter": str(q),
        "gov_row": gov_row,
        "history": history,
        "decisions": decisions,
        "rates": rates,
        "figures": [],
        "finance": None,
        "monitor": [],
        "chance": [],
        "objectives": {},
        "trace_href": None,
    }
    if viewer.anonymous:
        if gov_row is not None:
            gov_row = {k: gov_row.get(k) for k in ("org_code", "quarter", "published_rating")}
            context["gov_row"] = gov_row
        if history is not None:
            context["history"] = [{"quarter": h["quarter"], "published_rating": h["published_rating"]} for h in history]
        return render(request, viewer, "org.html", public_only=True, summary=[], **context)

    # calculated figures: monitoring, chance, summary, charts
    monitor_rows: dict[str, list[dict[str, Any]]] = {o: [] for o in ORGANISMS}
    for n in range(1, q.number + 1):
        table = (await result(request, "monitor", quarter=Quarter(q.year, n))).table
        for r in records(table[table["org_code"] == code]):
            monitor_rows[str(r["organism"])].append(r)
    latest_monitor = [rows[-1] for rows in monitor_rows.values() if rows and rows[-1]["quarter"] == str(q)]
    chance_rows: list[dict[str, Any]] = []
    try:
        ch = (await result(request, "chance", year=q.year, quarter=q)).table
        chance_rows = records(ch[ch["org_code"] == code])
    except (NotFound, UsageError):
        pass
    trace = None
    if trust and gov_row is not None:
        trace = (await result(request, "explain", org_code=code, period=q, regime="governance")).to_dict()
    summary = board_summary(name, str(q), gov_row, trace, latest_monitor, chance_rows)

    figures = []
    for organism, bug in ORGANISMS.items():
        months = await _monthly(request, code, organism, apportionment)
        if months:
            figures.append(
                charts.spc_figure(
                    months,
                    title=f"{bug}: cases by month, with an SPC chart (XmR)",
                    y_title=f"{bug} cases in the month",
                    csv_href=_csv(f"/api/spc/{code}", organism=organism),
                    trace_href=f"/explain/{code}?period={q.year}&regime=counts&organism={organism}",
                    caption=(
                        f"{label(apportionment, 'apportionment')} cases, the last {len(months)} months. Points outside "
                        "the process limits, or in a run, are special-cause variation (Making Data Count)."
                    ),
                )
            )
        rows = monitor_rows[organism]
        if rows:
            figures.append(
                charts.trajectory_figure(
                    rows,
                    title=f"{bug}: cases to date against the trajectory, {q.year}",
                    csv_href=_csv("/api/monitor", quarter=str(q), organism=organism),
                    trace_href=f"/explain/{code}?period={q}&regime=monitor&organism={organism}",
                    caption="Bars are cases from the start of the year; orange bars are above the trajectory.",
                )
            )
    national = await _england_rates(request, apportionment)
    for organism, bug in ORGANISMS.items():
        mine = [r for r in rates if r["organism"] == organism and r.get("rate") is not None]
        if mine:
            per = mine[-1].get("per")
            unit = f"cases per {per:,.0f} {'bed-days' if trust else 'residents'}" if per else "rate"
            figures.append(
                charts.rates_figure(
                    mine,
                    {y: v for (o, y), v in national.items() if o == organism},
                    title=f"{bug}: rate by year against England",
                    y_title=unit,
                    csv_href=_csv("/api/rates", year=mine[-1]["financial_year"], organism=organism),
                    trace_href=f"/explain/{code}?period={mine[-1]['financial_year']}&regime=counts&organism={organism}",
                    caption="Each rate with its exact 95% Poisson interval; the dashed line is England's rate.",
                )
            )
    for f in figures:
        f.id = f"{f.id}-{len(context['figures'])}"
        context["figures"].append(f)
    context.update(
        public_only=False,
        summary=summary,
        monitor=latest_monitor,
        chance=chance_rows,
        objectives=profile.get("objectives") or {},
        finance=profile.get("finance"),
        trace_href=f"/explain/{code}?period={q}&regime=governance" if gov_row else None,
    )
    return render(request, viewer, "org.html", **context)


async def _england_rates(request: Request, apportionment: str) -> dict[tuple[str, str], float | None]:
    """England's rate by organism and year: all organisations' cases over their denominators."""
    from ...service.data import held_years

    state = _state(request)
    years = await cached(request, ("page-held-years",), lambda: held_years(state.engine))
    out: dict[tuple[str, str], float | None] = {}
    for fy in years:
        try:
            table = (await result(request, "rates", year=fy)).table
        except (NotFound, UsageError):
            continue
        table = table[(table["apportionment"] == apportionment) & table["denominator"].notna()]
        for organism, part in table.groupby("organism"):
            den = float(part["denominator"].sum())
            per = float(part["per"].iloc[0]) if len(part) else 0
            out[(str(organism), str(fy))] = float(part["cases"].sum()) / den * per if den else None
    return out


# ------------------------------------------------------------------------ governance
SORTABLE = ("name", "org_code", "kind", "score", "rating", "published_rating", "cdiff_ytd_cases", "mrsa_ytd_cases")


@router.get("/governance")
@page(PUBLISHED)
async def governance(
    request: Request,
    viewer: Viewer,
    quarter: str | None = None,
    rating: str | None = None,
    kind: str | None = None,
    q: str | None = None,
    sort: str = "name",
    dir: str = "asc",
    pending: str | None = None,
) -> Response:
    quarters = await _rated_quarters(request)
    chosen = _quarter(quarter) or await _latest_quarter(request)
    names = await _names(request)
    res = await result(request, "governance", quarter=chosen)
    frame = scoped(viewer, res.table).copy()
    frame["name"] = [names.get(c, {}).get("name") or c for c in frame["org_code"]]
    if rating in RATINGS:
        column = "published_rating" if viewer.anonymous else "rating"
        frame = frame[frame[column] == rating]
    if kind in RATED_KINDS:
        frame = frame[frame["kind"] == kind]
    if q:
        text = q.strip().lower()
        frame = frame[
            frame["name"].str.lower().str.contains(text, regex=False)
            | frame["org_code"].str.lower().str.contains(text, regex=False)
        ]
    if pending and not viewer.anonymous:
        frame = frame[frame["pending"].astype(bool)]
    if sort not in SORTABLE or (viewer.anonymous and sort not in ("name", "org_code", "kind", "published_rating")):
        sort = "name"
    order = {r: i for i, r in enumerate(RATINGS)}
    key = (lambda s: s.map(order)) if sort in ("rating", "published_rating") else None
    frame = frame.sort_values(sort, ascending=dir != "desc", key=key, kind="stable")
    params = {
        k: v
        for k, v in (("quarter", str(chosen)), ("rating", rating), ("kind", kind), ("q", q), ("pending", pending))
        if v
    }
    return render(
        request,
        viewer,
        "governance.html",
        title=f"Governance risk ratings, {chosen}",
        quarter=str(chosen),
        quarters=[str(x) for x in reversed(quarters)],
        rows=records(frame),
        total=len(scoped(viewer, res.table)),
        rating=rating or "",
        kind=kind or "",
        q=q or "",
        pending=bool(pending),
        sort=sort,
        dir=dir,
        params=params,
        kinds=RATED_KINDS,
        ratings=RATINGS,
        rulebook=res.rulebook_label,
        csv=_csv("/api/governance", quarter=str(chosen)),
        sort_href=lambda col: (
            "?" + urlencode({**params, "sort": col, "dir": "desc" if sort == col and dir != "desc" else "asc"})
        ),
    )


# ---------------------------------------------------------------------------- funnel
@router.get("/funnel")
@page(SIGNED_IN)
async def funnel(request: Request, viewer: Viewer, year: str | None = None, organism: str = "cdiff") -> Response:
    from ...service.data import held_years

    state = _state(request)
    years = await cached(request, ("page-held-years",), lambda: held_years(state.engine))
    if organism not in ORGANISMS:
        raise UsageError(f"{organism!r} is not one of mrsa, cdiff", param="organism")
    fy = _year(year) or (await _latest_quarter(request)).year
    res = await result(request, "funnel", year=fy, organism=organism, kind="trust")
    limits = res.extra["limits"].to_frame()
    points = records(scoped(viewer, res.table))
    bug = ORGANISMS[organism]
    fig = charts.funnel_figure(
        points,
        records(limits),
        title=f"{bug}, trust-apportioned cases, {fy}: funnel plot",
        highlight=viewer.org if viewer.role == "trust" else None,
        csv_href=_csv("/api/funnel", year=str(fy), organism=organism),
        trace_href=None,
        caption=(
            "Each point is a trust: its cases against those expected at the national rate for its bed-days. "
            "Hover for the trust; click to open its page. Points outside the 99.8% limits are unlikely to be chance."
        ),
    )
    outside = sorted(fig.table, key=lambda r: -(r["observed"] or 0))
    for r in outside:
        r["trace_href"] = f"/explain/{r['org_code']}?period={fy}&regime=counts&organism={organism}"
    return render(
        request,
        viewer,
        "funnel.html",
        title=f"Funnel plot, {bug} {fy}",
        fig=fig,
        year=str(fy),
        years=[str(y) for y in reversed(years)],
        organism=organism,
        organisms=ORGANISMS,
        outside=outside,
        shown=len(points),
        method=str(limits["method"].iloc[0]) if "method" in limits.columns and len(limits) else "",
    )


# ---------------------------------------------------------------------------- what-if
def _value_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value)


@router.get("/whatif")
@page(SIGNED_IN)
async def whatif(
    request: Request,
    viewer: Viewer,
    rulebook: str | None = None,
    quarter: str | None = None,
) -> Response:
    from ...regimes import GOVERNANCE
    from ...rulebooks import RulebookError, parse_set
    from ...service.rulebooks import choose_rulebook

    state = _state(request)
    library = state.library
    query = request.query_params
    quarters = await _rated_quarters(request)
    chosen_q = _quarter(quarter) or await _latest_quarter(request)
    in_force = choose_rulebook(library, GOVERNANCE, chosen_q)
    books = [rb for rb in library.all() if rb.regime in GOVERNANCE.ids]
    if rulebook is not None and rulebook not in {rb.id for rb in books}:
        raise NotFound(
            f"no governance rulebook {rulebook!r}; known: {', '.join(rb.id for rb in books)}", param="rulebook"
        )
    book = library.get(rulebook) if rulebook else in_force
    # the form sends v.NAME=value for every value: keep the changed ones, as set=NAME=value
    if any(k.startswith("v.") for k in query):
        changed = []
        for k, v in query.multi_items():
            if not k.startswith("v.") or k[2:] not in book.values:
                continue
            if v.strip() != _value_text(book.value(k[2:])):
                changed.append(f"{k[2:]}={v.strip()}")
        target = {"rulebook": book.id, "quarter": str(chosen_q)}
        return RedirectResponse("/whatif?" + urlencode([*target.items(), *(("set", s) for s in changed)]), 303)
    items = query.getlist("set")
    try:
        settings = parse_set(items)
    except RulebookError as exc:
        raise UsageError(str(exc), param="set") from None
    error = None
    try:
        base = (await result(request, "governance", quarter=chosen_q)).table
        alt_result = await result(request, "governance", quarter=chosen_q, rulebook=book.id, what_if=settings)
        alt = alt_result.table
        compare = await result(
            request,
            "compare",
            rulebook_a=in_force.id,
            rulebook_b=book.id,
            year=chosen_q.year,
            quarter=chosen_q,
            what_if_a={},
            what_if_b=settings,
        )
    except UsageError as exc:
        error = exc.message
        base = alt = None
        compare = None
    names = await _names(request)
    order = {r: i for i, r in enumerate(RATINGS)}
    rows: list[dict[str, Any]] = []
    bands: list[dict[str, Any]] = []
    counts: dict[str, dict[str, int]] = {}
    fig = None
    if base is not None and alt is not None and compare is not None:
        merged = base[["org_code", "kind", "score", "rating"]].merge(
            alt[["org_code", "score", "rating", "failed"]], on="org_code", suffixes=("_a", "_b")
        )
        merged["change"] = [
            "worse" if order[b] > order[a] else "better" if order[b] < order[a] else "same"
            for a, b in zip(merged["rating_a"], merged["rating_b"])
        ]
        counts = {side: {r: int((merged[f"rating_{side}"] == r).sum()) for r in RATINGS} for side in ("a", "b")}
        chance_a = compare.extra["tables"]["a"]
        size = chance_a[chance_a["organism"] == "cdiff"][["org_code", "size_band"]]
        merged = merged.merge(size, on="org_code", how="left")
        merged["size_band"] = merged["size_band"].fillna("not rated on C. difficile")
        for band, part in merged.groupby("size_band", sort=False):
            bands.append(
                {
                    "size_band": band,
                    "trusts": len(part),
                    "worse": int((part["change"] == "worse").sum()),
                    "better": int((part["change"] == "better").sum()),
                }
            )
        cmp_rows = compare.table[compare.table["organism"] == "cdiff"]
        band_order = {b: i for i, b in enumerate(cmp_rows["size_band"])}
        bands.sort(key=lambda b: band_order.get(b["size_band"], 99))
        for b in bands:
            match = cmp_rows[cmp_rows["size_band"] == b["size_band"]]
            b["p_a"] = float(match["p_downgrade_a"].iloc[0]) if len(match) else None
            b["p_b"] = float(match["p_downgrade_b"].iloc[0]) if len(match) else None
        shown = scoped(viewer, merged).copy()
        shown["name"] = [names.get(c, {}).get("name") or c for c in shown["org_code"]]
        shown["rank"] = shown["change"].map({"worse": 0, "better": 1, "same": 2})
        rows = records(shown.sort_values(["rank", "name"]))
        fig = charts.bands_figure(
            records(cmp_rows),
            (f"A: {in_force.id} as in force", f"B: {alt_result.rulebook_label}"),
            title=f"Chance of a C. difficile downgrade on target by trust size, {chosen_q}",
            csv_href=_csv(
                "/api/compare", a=in_force.id, b=book.id, year=str(chosen_q.year), quarter=str(chosen_q), set_b=items
            ),
            caption="For a trust exactly on its objective: the chance of a downgrade by luck alone, by size band.",
        )
    values = [
        {
            "name": name,
            "text": next((i.partition("=")[2] for i in items if i.partition("=")[0] == name), _value_text(rv.value)),
            "default": _value_text(rv.value),
            "unit": rv.unit,
            "status": rv.status,
            "note": rv.note,
            "changed": any(i.partition("=")[0] == name for i in items),
        }
        for name, rv in book.values.items()
    ]
    return render(
        request,
        viewer,
        "whatif.html",
        status=422 if error else 200,
        title="What if the rules were different?",
        error=error,
        books=books,
        book=book,
        in_force=in_force,
        quarter=str(chosen_q),
        quarters=[str(x) for x in reversed(quarters)],
        values=values,
        items=items,
        rows=rows,
        counts=counts,
        bands=bands,
        fig=fig,
        changed=sum(1 for r in rows if r["change"] != "same"),
        csv_a=_csv("/api/governance", quarter=str(chosen_q)),
        csv_b=_csv("/api/governance", quarter=str(chosen_q), rulebook=book.id, set=items),
    )


# -------------------------------------------------------------------------- decisions
async def _decisions_page(
    request: Request,
    viewer: Viewer,
    quarter: str | None,
    message: str | None = None,
    status: int = 200,
    recorded: str | None = None,
    form: dict[str, str] | None = None,
) -> Response:
    from ...store.decisions import read_decisions

    state = _state(request)
    chosen = _quarter(quarter) or await _latest_quarter(request)
    names = await _names(request)
    gov = (await result(request, "governance", quarter=chosen)).table
    queue = scoped(viewer, gov[gov["pending"].astype(bool)]).copy()
    queue["name"] = [names.get(c, {}).get("name") or c for c in queue["org_code"]]
    log = await cached(
        request, ("page-decisions", str(chosen)), lambda: read_decisions(state.engine, None, str(chosen))
    )
    log = scoped(viewer, log)
    done = None
    if recorded:
        row = gov[gov["org_code"] == recorded.upper()]
        if len(row) and viewer.sees(recorded):
            done = records(row)[0]
            done["name"] = names.get(done["org_code"], {}).get("name")
    quarters = await _rated_quarters(request)
    return render(
        request,
        viewer,
        "decisions.html",
        status=status,
        title=f"Downgrades awaiting a decision, {chosen}",
        quarter=str(chosen),
        quarters=[str(x) for x in reversed(quarters)],
        queue=records(queue.sort_values("name")),
        log=records(log.iloc[::-1]),
        can_decide=viewer.role == "analyst",
        csrf=viewer.csrf or "",
        message=message,
        done=done,
        form=form or {},
        ratings=RATINGS,
    )


@router.get("/decisions")
@page(SIGNED_IN)
async def decisions(
    request: Request, viewer: Viewer, quarter: str | None = None, recorded: str | None = None
) -> Response:
    return await _decisions_page(request, viewer, quarter, recorded=recorded)


@router.post("/decisions")
@page(ANALYST)
async def decide(request: Request, viewer: Viewer) -> Response:
    from ...service import usecases
    from ..api import _version

    form = await request.form()
    sent = str(form.get("csrf_token", ""))
    if not viewer.csrf or not secrets.compare_digest(sent, viewer.csrf):
        return error_page(
            request, viewer, 403, "The form had expired or did not come from this site: please try again."
        )
    code = str(form.get("org_code", "")).strip().upper()[:10]
    quarter = str(form.get("quarter", ""))[:16]
    action = str(form.get("action", "")) or None
    rating = str(form.get("rating", "")) or None
    reason = str(form.get("reason", ""))[:2000]
    q = _quarter(quarter)
    if q is None:
        raise UsageError("the form names no quarter", param="quarter")
    state = _state(request)
    try:
        await run_in_threadpool(
            usecases.decide,
            state.engine,
            state.library,
            code,
            q,
            reason=reason,
            decided_by=viewer.name or "",
            rating=rating,
            action=action,
        )
    except UsageError as exc:
        return await _decisions_page(
            request,
            viewer,
            str(q),
            message=exc.message,
            status=422,
            form={"org_code": code, "reason": reason, "action": action or "", "rating": rating or ""},
        )
    _version(request)  # the decision raised data_version: forget the older results
    return RedirectResponse(f"/decisions?{urlencode({'quarter': str(q), 'recorded': code})}", status_code=303)


# ---------------------------------------------------------------------------- explain
REGIMES = ("governance", "monitor", "counts", "mrsa-objective", "cdiff-objective", "finance")


@router.get("/explain/{code}")
@page(SIGNED_IN)
async def explain(
    request: Request,
    viewer: Viewer,
    code: str,
    period: str | None = None,
    regime: str | None = None,
    organism: str | None = None,
) -> Response:
    code = code.strip().upper()[:10]
    viewer.require_org(code)
    if regime is not None and regime not in REGIMES:
        raise UsageError(f"{regime!r} is not one of {', '.join(REGIMES)}", param="regime")
    if organism is not None and organism not in ORGANISMS:
        raise UsageError(f"{organism!r} is not one of mrsa, cdiff", param="organism")
    if period:
        p = params.period(period, "period")
    else:
        p = await _latest_quarter(request)
    trace = await result(request, "explain", org_code=code, period=p, regime=regime, organism=organism)
    doc = trace.to_dict()
    names = await _names(request)
    api = f"/api/explain/{code}?" + urlencode(
        {k: v for k, v in (("period", str(p)), ("regime", regime), ("organism", organism)) if v}
    )
    return render(
        request,
        viewer,
        "explain.html",
        title=f"How the {doc.get('regime', '')} result for {code}, {p}, was worked out",
        trace=doc,
        code=code,
        name=names.get(code, {}).get("name") or code,
        period=str(p),
        regime=regime or doc.get("regime"),
        organism=organism or "",
        regimes=REGIMES,
        organisms=ORGANISMS,
        json_href=api,
        pretty=lambda v: v if isinstance(v, str) else json.dumps(v, ensure_ascii=False, default=str),
    )


__all__ = ["router"]
