"""The one way to draw the product's figures, shared by the dashboard and the HTML report.

Each ``*_figure`` function turns a result's rows into a :class:`Figure`: a title, a caption,
links to its data (CSV) and its trace, and a chart *spec* for plotly.js (a plain dict of
``data`` and ``layout``: pure Python, no plotting library imported). The page or report
renders it with :func:`figure_html`, which writes the spec as JSON in a
``<script type="application/json">`` block; the script ``charts.js`` (served from
``/static/charts.js`` by the dashboard, inlined by the report with :func:`inline_assets`)
draws every such block with plotly.js, which ships in the ``plotly`` package
(:func:`plotly_js_path`) and is served from the application's own origin.

:func:`rating_badge` and :func:`ratings_grid` draw ratings as HTML in colour *and* words
(``rating rating-amber_red`` classes, styled in ``charts.css``: :func:`stylesheet`).

Colours are chosen for contrast (WCAG AA for text on a badge) and for readers who do not
see red and green apart: every mark carries a word or a symbol as well as a colour.
"""

from __future__ import annotations

import functools
import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from html import escape
from importlib import resources
from pathlib import Path
from typing import Any

from markupsafe import Markup

from .labels import label

__all__ = [
    "RATING_COLOURS",
    "Figure",
    "rating_badge",
    "ratings_grid",
    "funnel_figure",
    "spc_figure",
    "trajectory_figure",
    "rates_figure",
    "bands_figure",
    "figure_html",
    "plotly_js_path",
    "plotly_style_guards",
    "stylesheet",
    "charts_js",
    "inline_assets",
    "records",
]

#: Background and text colour of each rating (text contrast ≥ 4.5:1).
RATING_COLOURS: dict[str, tuple[str, str]] = {
    "green": ("#00703c", "#ffffff"),
    "amber_green": ("#b7d98b", "#0b0c0c"),
    "amber_red": ("#f4a340", "#0b0c0c"),
    "red": ("#b0151f", "#ffffff"),
}
#: Short forms for a dense grid (the full word is in the cell's title and the legend).
RATING_SHORT = {"green": "G", "amber_green": "AG", "amber_red": "AR", "red": "R"}

INK = "#0b0c0c"
GREY = "#505a5f"
BLUE = "#1d70b8"
ORANGE = "#d4351c"
PURPLE = "#4c2c92"
FONT = {"family": "Arial, Helvetica, sans-serif", "size": 13, "color": INK}


@dataclass
class Figure:
    """A figure: what it shows and where its data and trace are, and the chart spec."""

    id: str
    title: str
    spec: dict[str, Any]
    caption: str = ""
    csv_href: str | None = None
    trace_href: str | None = None
    table: list[dict[str, Any]] = field(default_factory=list)


# ------------------------------------------------------------------------- ratings
def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value == ""


def rating_badge(rating: Any, *, short: bool = False, note: str = "") -> Markup:
    """A rating in colour and words: ``<span class="rating rating-red">Red</span>``.

    An empty rating reads "not rated"; ``short`` writes G/AG/AR/R (the word is in ``title``);
    ``note`` is added after the word (e.g. "pending").
    """
    if _blank(rating):
        return Markup('<span class="rating rating-none">not rated</span>')
    code = str(rating)
    word = label(code, "rating")
    text = RATING_SHORT.get(code, word) if short else word
    extra = f" <small>({escape(note)})</small>" if note else ""
    return Markup(f'<span class="rating rating-{escape(code)}" title="{escape(word)}">{escape(text)}{extra}</span>')


def ratings_grid(
    rows: Sequence[Mapping[str, Any]],
    quarters: Sequence[str],
    *,
    href: str | None = "/org/{code}",
    caption: str = "Published governance risk ratings by quarter",
) -> Markup:
    """An organisations × quarters table of ratings (colour and short word in each cell).

    ``rows`` are ``{"code", "name", "ratings": {quarter: rating}, "pending": {quarter: bool}}``;
    ``href`` (with ``{code}``) links each name to its page (None: no links).
    """
    head = "".join(f'<th scope="col">{escape(q)}</th>' for q in quarters)
    body = []
    for row in rows:
        code = str(row["code"])
        name = escape(str(row.get("name") or code))
        link = f'<a href="{escape(href.format(code=code))}">{name}</a>' if href else name
        cells = []
        for q in quarters:
            rating = row.get("ratings", {}).get(q)
            pending = bool(row.get("pending", {}).get(q))
            mark = '<span class="pending-mark" title="a downgrade awaits a decision">*</span>' if pending else ""
            cells.append(f"<td>{rating_badge(rating, short=True)}{mark}</td>")
        body.append(f'<tr><th scope="row">{link} <span class="code">{escape(code)}</span></th>{"".join(cells)}</tr>')
    legend = " ".join(f"{rating_badge(r, short=True)} {escape(label(r, 'rating'))}" for r in RATING_SHORT)
    return Markup(
        '<div class="grid-wrap"><table class="ratings-grid">'
        f"<caption>{escape(caption)}</caption>"
        f'<thead><tr><th scope="col">Organisation</th>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'
        f'<p class="legend">Key: {legend} <span class="pending-mark">*</span> a downgrade held for a decision</p></div>'
    )


# ------------------------------------------------------------------------- figures
def _layout(title: str, x: str, y: str, **more: Any) -> dict[str, Any]:
    layout: dict[str, Any] = {
        "meta": {"title": title},
        "font": FONT,
        "paper_bgcolor": "#ffffff",
        "plot_bgcolor": "#ffffff",
        "margin": {"l": 64, "r": 16, "t": 16, "b": 56},
        "xaxis": {"title": {"text": x}, "gridcolor": "#e5e5e5", "zeroline": False, "automargin": True},
        "yaxis": {"title": {"text": y}, "gridcolor": "#e5e5e5", "zeroline": False, "automargin": True},
        "legend": {"orientation": "h", "y": -0.22, "x": 0},
        "hovermode": "closest",
        "height": 380,
    }
    layout.update(more)
    return layout


def _num(value: Any) -> float | None:
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) or math.isinf(f) else f


def funnel_figure(
    points: Sequence[Mapping[str, Any]],
    limits: Sequence[Mapping[str, Any]],
    *,
    title: str,
    href: str | None = "/org/{code}",
    highlight: str | None = None,
    csv_href: str | None = None,
    trace_href: str | None = None,
    caption: str = "",
) -> Figure:
    """A funnel plot: observed against expected cases, with the 95% and 99.8% limits.

    ``points``: rows with ``org_code``, ``name``, ``observed``, ``expected``, ``position``;
    ``limits``: rows with ``expected``, ``level``, ``lower``, ``upper`` (``FunnelLimits.to_frame``).
    Hovering a point shows the organisation; with ``href`` a click opens its page.
    """
    data: list[dict[str, Any]] = []
    xs = [x for x in (_num(r["expected"]) for r in limits) if x is not None]
    top = max(xs + [_num(p["expected"]) or 0 for p in points] + [1.0])
    data.append(
        {
            "type": "scatter",
            "mode": "lines",
            "x": [0, top],
            "y": [0, top],
            "name": "Expected at the national rate",
            "line": {"color": GREY, "width": 1.5},
            "hoverinfo": "skip",
        }
    )
    styles = {0.95: ("95% limits", "dash", BLUE), 0.998: ("99.8% limits", "dot", PURPLE)}
    for level in sorted({float(r["level"]) for r in limits}):
        rows = sorted((r for r in limits if float(r["level"]) == level), key=lambda r: float(r["expected"]))
        name, dash, colour = styles.get(round(level, 3), (f"{level:.1%} limits", "dash", BLUE))
        for side, show in (("upper", True), ("lower", False)):
            data.append(
                {
                    "type": "scatter",
                    "mode": "lines",
                    "x": [_num(r["expected"]) for r in rows],
                    "y": [_num(r[side]) for r in rows],
                    "name": name,
                    "legendgroup": name,
                    "showlegend": show,
                    "line": {"color": colour, "width": 1.5, "dash": dash},
                    "hoverinfo": "skip",
                }
            )
    groups = (
        ("Within the limits", lambda p: str(p).startswith("within"), "circle", GREY),
        ("Above a limit (more cases)", lambda p: str(p).startswith("above"), "triangle-up", ORANGE),
        ("Below a limit (fewer cases)", lambda p: str(p).startswith("below"), "triangle-down", BLUE),
    )
    for name, test, symbol, colour in groups:
        chosen = [p for p in points if test(p.get("position", "within"))]
        if not chosen:
            continue
        data.append(_points_trace(chosen, name, symbol, colour, href))
    if highlight:
        mine = [p for p in points if p["org_code"] == highlight]
        if mine:
            trace = _points_trace(mine, f"{mine[0].get('name') or highlight}", "star", INK, href)
            trace["marker"]["size"] = 16
            data.append(trace)
    spec: dict[str, Any] = {
        "data": data,
        "layout": _layout(title, "Expected cases (at the national rate)", "Observed cases"),
    }
    table = [
        {
            "org_code": p["org_code"],
            "name": p.get("name"),
            "observed": p["observed"],
            "expected": p["expected"],
            "position": label(p.get("position"), "position"),
        }
        for p in points
        if not str(p.get("position", "within")).startswith("within")
    ]
    return Figure("funnel", title, spec, caption, csv_href, trace_href, table)


def _points_trace(
    points: Sequence[Mapping[str, Any]], name: str, symbol: str, colour: str, href: str | None
) -> dict[str, Any]:
    return {
        "type": "scatter",
        "mode": "markers",
        "name": name,
        "x": [_num(p["expected"]) for p in points],
        "y": [_num(p["observed"]) for p in points],
        "text": [f"{p.get('name') or p['org_code']} ({p['org_code']})" for p in points],
        "customdata": [href.format(code=p["org_code"]) if href else None for p in points],
        "hovertemplate": "%{text}<br>observed %{y}, expected %{x:.1f}<extra></extra>",
        "marker": {"symbol": symbol, "color": colour, "size": 9, "line": {"width": 1, "color": "#ffffff"}},
    }


def spc_figure(
    rows: Sequence[Mapping[str, Any]],
    *,
    title: str,
    y_title: str = "Cases in the month",
    csv_href: str | None = None,
    trace_href: str | None = None,
    caption: str = "",
) -> Figure:
    """An SPC chart: monthly values, their centre line and process limits, and the points
    that are special-cause variation (concern or improvement, with the rule that fired).

    ``rows``: ``month``, ``value``, ``centre``, ``lower``, ``upper``, ``special_cause``, ``rule``
    (``stats.spc`` columns with the month).
    """
    months = [str(r["month"]) for r in rows]
    data: list[dict[str, Any]] = [
        {
            "type": "scatter",
            "mode": "lines+markers",
            "x": months,
            "y": [_num(r["value"]) for r in rows],
            "name": y_title,
            "line": {"color": GREY, "width": 1.5},
            "marker": {"color": GREY, "size": 6},
            "hovertemplate": "%{x}: %{y}<extra></extra>",
        },
        {
            "type": "scatter",
            "mode": "lines",
            "x": months,
            "y": [_num(r["centre"]) for r in rows],
            "name": "Centre (mean)",
            "line": {"color": INK, "width": 1.5},
            "hoverinfo": "skip",
        },
        {
            "type": "scatter",
            "mode": "lines",
            "x": months,
            "y": [_num(r["upper"]) for r in rows],
            "name": "Process limits",
            "legendgroup": "limits",
            "line": {"color": BLUE, "width": 1.5, "dash": "dash"},
            "hoverinfo": "skip",
        },
        {
            "type": "scatter",
            "mode": "lines",
            "x": months,
            "y": [_num(r["lower"]) for r in rows],
            "name": "Process limits",
            "legendgroup": "limits",
            "showlegend": False,
            "line": {"color": BLUE, "width": 1.5, "dash": "dash"},
            "hoverinfo": "skip",
        },
    ]
    for cause, name, symbol, colour in (
        ("concern", "Special cause: concern", "triangle-up", ORANGE),
        ("improvement", "Special cause: improvement", "triangle-down", BLUE),
    ):
        chosen = [r for r in rows if r.get("special_cause") == cause]
        if chosen:
            data.append(
                {
                    "type": "scatter",
                    "mode": "markers",
                    "x": [str(r["month"]) for r in chosen],
                    "y": [_num(r["value"]) for r in chosen],
                    "text": [label(r.get("rule"), "rule") for r in chosen],
                    "name": name,
                    "hovertemplate": "%{x}: %{y} (%{text})<extra></extra>",
                    "marker": {"symbol": symbol, "color": colour, "size": 11},
                }
            )
    spec: dict[str, Any] = {"data": data, "layout": _layout(title, "Month", y_title)}
    return Figure("spc", title, spec, caption, csv_href, trace_href)


def trajectory_figure(
    rows: Sequence[Mapping[str, Any]],
    *,
    title: str,
    csv_href: str | None = None,
    trace_href: str | None = None,
    caption: str = "",
) -> Figure:
    """Year-to-date cases against the trajectory and the annual objective, quarter by quarter.

    ``rows``: ``quarter``, ``ytd_cases``, ``trajectory``, ``objective`` (``oversight monitor``).
    """
    quarters = [str(r["quarter"]) for r in rows]
    over = [(_num(r["ytd_cases"]) or 0) > (_num(r["trajectory"]) or 0) for r in rows]
    data = [
        {
            "type": "bar",
            "x": quarters,
            "y": [_num(r["ytd_cases"]) for r in rows],
            "name": "Cases to date",
            "marker": {"color": [ORANGE if o else GREY for o in over]},
            "text": ["above trajectory" if o else "on trajectory" for o in over],
            "textposition": "inside",
            "insidetextanchor": "end",
            "hovertemplate": "%{x}: %{y} cases to date (%{text})<extra></extra>",
        },
        {
            "type": "scatter",
            "mode": "lines+markers",
            "x": quarters,
            "y": [_num(r["trajectory"]) for r in rows],
            "name": "Trajectory to date",
            "line": {"color": BLUE, "width": 2},
            "marker": {"symbol": "diamond", "size": 9},
        },
        {
            "type": "scatter",
            "mode": "lines",
            "x": quarters,
            "y": [_num(r["objective"]) for r in rows],
            "name": "Annual objective",
            "line": {"color": INK, "width": 1.5, "dash": "dot"},
        },
    ]
    spec: dict[str, Any] = {"data": data, "layout": _layout(title, "Quarter (year to date)", "Cases")}
    spec["layout"]["xaxis"]["type"] = "category"
    return Figure("trajectory", title, spec, caption, csv_href, trace_href)


def rates_figure(
    rows: Sequence[Mapping[str, Any]],
    england: Mapping[str, float | None],
    *,
    title: str,
    y_title: str,
    csv_href: str | None = None,
    trace_href: str | None = None,
    caption: str = "",
) -> Figure:
    """Rates by year with their exact 95% intervals, against England's rate.

    ``rows``: ``financial_year``, ``rate``, ``rate_lower``, ``rate_upper``; ``england``: the
    national rate by year.
    """
    years = [str(r["financial_year"]) for r in rows]
    rate = [_num(r["rate"]) for r in rows]
    up = [(_num(r["rate_upper"]) or 0) - (v or 0) if v is not None else None for r, v in zip(rows, rate)]
    down = [(v or 0) - (_num(r["rate_lower"]) or 0) if v is not None else None for r, v in zip(rows, rate)]
    data = [
        {
            "type": "scatter",
            "mode": "markers",
            "x": years,
            "y": rate,
            "name": "Rate with exact 95% interval",
            "error_y": {"type": "data", "symmetric": False, "array": up, "arrayminus": down, "color": BLUE},
            "marker": {"color": BLUE, "size": 10},
            "hovertemplate": "%{x}: %{y:.2f}<extra></extra>",
        },
        {
            "type": "scatter",
            "mode": "lines+markers",
            "x": list(england),
            "y": [_num(v) for v in england.values()],
            "name": "England",
            "line": {"color": INK, "width": 1.5, "dash": "dash"},
            "marker": {"symbol": "square", "size": 7, "color": INK},
            "hovertemplate": "England %{x}: %{y:.2f}<extra></extra>",
        },
    ]
    spec: dict[str, Any] = {"data": data, "layout": _layout(title, "Financial year", y_title)}
    spec["layout"]["xaxis"]["type"] = "category"
    return Figure("rates", title, spec, caption, csv_href, trace_href)


def bands_figure(
    rows: Sequence[Mapping[str, Any]],
    names: tuple[str, str],
    *,
    title: str,
    csv_href: str | None = None,
    caption: str = "",
) -> Figure:
    """Chance of a downgrade on target by size band under two rule sets, side by side.

    ``rows``: ``size_band``, ``p_downgrade_a``, ``p_downgrade_b`` (``oversight compare``).
    """
    bands = [str(r["size_band"]) for r in rows]
    data = [
        {
            "type": "bar",
            "x": bands,
            "y": [_num(r[f"p_downgrade_{k}"]) for r in rows],
            "name": n,
            "marker": {"color": c, "pattern": {"shape": s}},
            "hovertemplate": "%{x} expected cases: %{y:.3f}<extra>" + escape(n) + "</extra>",
        }
        for k, n, c, s in (("a", names[0], GREY, ""), ("b", names[1], BLUE, "/"))
    ]
    spec: dict[str, Any] = {
        "data": data,
        "layout": _layout(title, "Size band (C. difficile cases expected on target)", "Chance of a downgrade"),
    }
    spec["layout"]["barmode"] = "group"
    spec["layout"]["xaxis"]["type"] = "category"
    return Figure("bands", title, spec, caption, csv_href)


# ------------------------------------------------------------------------ rendering
def _json_for_html(value: Any) -> str:
    """JSON safe inside a ``<script type="application/json">`` element."""
    text = json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"), default=_default)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _default(value: Any) -> Any:
    f = _num(value)
    if f is not None:
        return f
    return str(value)


def _clean(value: Any) -> Any:
    """NaN and infinities → None, numpy scalars → Python, recursively."""
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else value
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        return _clean(value.item())
    return value


def figure_html(figure: Figure, *, links: bool = True) -> Markup:
    """The figure as HTML: a ``<figure>`` with its title, the chart (drawn by ``charts.js``
    from the JSON spec), a caption, and links to its data (CSV) and its trace."""
    parts = [
        f'<figure class="chart" id="fig-{escape(figure.id)}" aria-labelledby="fig-{escape(figure.id)}-title">',
        f'<figcaption><h3 id="fig-{escape(figure.id)}-title">{escape(figure.title)}</h3>',
    ]
    if figure.caption:
        parts.append(f"<p>{escape(figure.caption)}</p>")
    parts.append("</figcaption>")
    parts.append(
        f'<div class="chart-canvas" role="img" aria-label="{escape(figure.title)}" data-chart></div>'
        f'<script type="application/json" class="chart-spec">{_json_for_html(_clean(figure.spec))}</script>'
    )
    if links and (figure.csv_href or figure.trace_href):
        items = []
        if figure.csv_href:
            items.append(f'<a href="{escape(figure.csv_href)}" download>Data (CSV)</a>')
        if figure.trace_href:
            items.append(f'<a href="{escape(figure.trace_href)}">How this was worked out (trace)</a>')
        parts.append(f'<p class="figure-links">{" · ".join(items)}</p>')
    parts.append("</figure>")
    return Markup("".join(parts))


_HERE = Path(__file__).resolve().parent


def plotly_js_path() -> Path:
    """plotly.min.js as shipped in the ``plotly`` package (served, or inlined, as it is; the
    package's Python code is never imported)."""
    import importlib.util

    spec = importlib.util.find_spec("plotly")
    folders = list(spec.submodule_search_locations or []) if spec is not None else []
    for folder in folders:
        path = Path(folder) / "package_data" / "plotly.min.js"
        if path.is_file():
            return path
    raise FileNotFoundError("plotly.min.js not found: install the 'plotly' package (pip install plotly)")


@functools.cache
def plotly_style_guards() -> tuple[str, ...]:
    """Ids of the elements whose presence stops plotly.js from injecting an inline ``<style>``
    (a strict CSP refuses those): its bundled map library's styles check for an element with
    a fixed id. Give an element of the page each id (the dashboard sets them on its script tags);
    plotly's own styles are skipped by ``<link id="plotly.js-style-global" class="no-inline-styles">``
    and served from ``/static/plotly.css``."""
    text = plotly_js_path().read_text(encoding="utf-8")
    return tuple(
        dict.fromkeys(
            re.findall(r'getElementById\("([0-9a-f]{64})"\)\)\{var \w+=document\.createElement\("style"\)', text)
        )
    )


def _static(name: str) -> str:
    return resources.files("nhs_oversight.web").joinpath("static", name).read_text(encoding="utf-8")


def stylesheet() -> str:
    """The CSS of the badges, grids and figures (``/static/charts.css``)."""
    return _static("charts.css")


def charts_js() -> str:
    """The script that draws every figure of a page (``/static/charts.js``)."""
    return _static("charts.js")


def inline_assets() -> Markup:
    """For a self-contained file (the HTML report): the styles and scripts inline, so that
    :func:`figure_html` blocks draw without any server."""
    library = plotly_js_path().read_text(encoding="utf-8").replace("</script", "<\\/script")
    ours = charts_js().replace("</script", "<\\/script")
    return Markup(f"<style>{stylesheet()}</style>\n<script>{library}</script>\n<script>{ours}</script>")


def records(frame: Any, columns: Iterable[str] | None = None) -> list[dict[str, Any]]:
    """A DataFrame's rows as plain dicts (NaN → None), for the figure functions."""
    if columns is not None:
        frame = frame[[c for c in columns if c in frame.columns]]
    return [_clean(r) for r in frame.to_dict("records")]
