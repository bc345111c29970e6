"""What every dashboard page shares: who is asking (the session of :mod:`..auth`), the
templates, results through the API's cache, and error pages.

Pages never compute a rule: they ask the service layer's use cases through the same cache as
the API (:func:`..api.use`), so a page and the API route beside it never disagree and a table
computed for one is served to the other.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import logging
import math
import re
from collections.abc import Awaitable, Callable
from typing import Any

import jinja2
import pandas as pd
from fastapi import HTTPException, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from ... import __version__
from ...errors import OversightError
from ...present import charts
from ...present.labels import column_label, label
from ..auth import ANALYST, PUBLISHED, SIGNED_IN, Viewer, identify
from ..cache import Busy

log = logging.getLogger("nhs_oversight.web")

__all__ = ["page", "render", "result", "cached", "error_page", "env", "login_html", "logout_html"]

#: How long a page waits for a result still being computed before it says so (seconds).
PAGE_WAIT = 60.0


def _fmt_number(value: Any, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer() and digits == 0):
        return f"{int(value):,}"
    try:
        return f"{float(value):,.{digits}f}"
    except (TypeError, ValueError):
        return str(value)


def _percent(value: Any, digits: int = 0) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    v = float(value)
    if 0 < v < 0.001:
        return "under 0.1%"
    if digits == 0 and 0 < v < 0.01:
        return f"{v:.1%}"
    return f"{v:.{digits}%}"


#: The targets a governance rating scores (``indicators.csv`` and the two infections), for people.
TARGETS = {
    "cdiff": "C. difficile",
    "mrsa": "MRSA",
    "ae_4hr": "A&E 4-hour wait",
    "rtt_admitted": "18 weeks (admitted)",
    "rtt_non_admitted": "18 weeks (non-admitted)",
    "rtt_incomplete": "18 weeks (incomplete pathways)",
    "cancer_62d": "cancer 62-day wait",
    "cancer_31d": "cancer 31-day wait",
    "cancer_2ww": "cancer two-week wait",
    "cqc_moderate_concern": "CQC moderate concern",
    "cqc_major_concern": "CQC major concern",
}
_RATING_CODES = ("amber_green", "amber_red", "green", "red")
_CODE = re.compile(r"\b(" + "|".join(sorted({*TARGETS, *_RATING_CODES}, key=len, reverse=True)) + r")\b")


def _failures(value: Any) -> str:
    """``cdiff;ae_4hr`` → ``C. difficile, A&E 4-hour wait`` (targets failed, for people)."""
    parts = [p for p in str(value or "").split(";") if p and p != "nan"]
    return ", ".join(TARGETS.get(p, label(p)) for p in parts) or "–"


def _words(text: Any) -> str:
    """A service's sentence with its codes as labels (``→ amber_red`` → ``→ Amber-red``)."""
    if text is None or (isinstance(text, float) and math.isnan(text)):
        return ""
    return _CODE.sub(lambda m: TARGETS.get(m.group(1)) or label(m.group(1), "rating"), str(text))


@functools.cache
def env() -> jinja2.Environment:
    e = jinja2.Environment(
        loader=jinja2.PackageLoader("nhs_oversight.web", "templates"),
        autoescape=jinja2.select_autoescape(["html"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    e.globals.update(
        badge=charts.rating_badge,
        figure=charts.figure_html,
        grid=charts.ratings_grid,
        label=label,
        column_label=column_label,
        version=__version__,
        style_guards=charts.plotly_style_guards(),
    )
    e.filters.update(num=_fmt_number, pct=_percent, label=label, failures=_failures, words=_words)
    return e


def render(request: Request, viewer: Viewer | None, template: str, status: int = 200, **variables: Any) -> HTMLResponse:
    """A page: the template with the viewer, the current path and the page's variables."""
    html = (
        env()
        .get_template(template)
        .render(viewer=viewer, path=request.url.path, query=str(request.url.query), status=status, **variables)
    )
    return HTMLResponse(html, status_code=status, headers={"Cache-Control": "no-store"})


def login_html(message: str, csrf: str) -> str:
    """The sign-in page (``/login``), styled as the dashboard; ``message`` says why it is shown
    again (a wrong password, an expired form)."""
    return (
        env()
        .get_template("login.html")
        .render(viewer=None, path="/login", query="", status=200, title="Sign in", message=message, csrf=csrf)
    )


def logout_html(name: str, csrf: str) -> str:
    """The sign-out page (``/logout``): a form, so that signing out needs the session's token."""
    return (
        env()
        .get_template("logout.html")
        .render(viewer=None, path="/logout", query="", status=200, title="Sign out", name=name, csrf=csrf)
    )


def error_page(request: Request, viewer: Viewer | None, status: int, message: str) -> HTMLResponse:
    titles = {
        400: "Something in the address is not right",
        403: "Not available to you",
        404: "Not found",
        422: "Something in the address is not right",
        503: "Still working on it",
    }
    return render(
        request,
        viewer,
        "error.html",
        status=status,
        title=titles.get(status, "Something went wrong"),
        message=message,
    )


# ------------------------------------------------------------------------------ access
Handler = Callable[..., Awaitable[Response]]


def page(level: str = SIGNED_IN) -> Callable[[Handler], Handler]:
    """Declare a page's access level (as :func:`..auth.access` does for API routes).

    The page function receives ``viewer`` (None for an anonymous reader of a ``--public``
    server). Without a session the browser is sent to ``/login``; errors a user can act on
    (an unknown organisation, a bad parameter, another organisation's page) are answered
    as readable pages with the status the API would give.
    """

    def wrap(func: Handler) -> Handler:
        @functools.wraps(func)
        async def handler(request: Request, **kwargs: Any) -> Response:
            try:
                found = identify(request)
            except HTTPException:
                found = None
            if found is None:
                if not (level == PUBLISHED and request.app.state.public):
                    return RedirectResponse("/login", status_code=303)
                found = Viewer(None, "anonymous")
            if level == ANALYST and found.role != "analyst":
                return error_page(request, found, 403, "Only the regulator's analysts may do this.")
            try:
                return await func(request, viewer=found, **kwargs)
            except HTTPException as exc:
                return error_page(request, found, exc.status_code, str(exc.detail))
            except Busy:
                return error_page(request, found, 503, "This result is still being computed: reload in a moment.")
            except OversightError as exc:
                return error_page(request, found, exc.http_status, exc.message)
            except Exception as exc:  # noqa: BLE001 - a bug: a page that says so, logged by type only
                detail = str(exc) if isinstance(exc, jinja2.TemplateError) else ""  # a template's own words
                log.error("unexpected %s while rendering %s %s", type(exc).__name__, request.url.path, detail)
                return error_page(
                    request, found, 500, f"An unexpected {type(exc).__name__}: this is a bug; please report it."
                )

        signature = inspect.signature(func, eval_str=True)
        handler.__signature__ = signature.replace(  # type: ignore[attr-defined]
            parameters=[p for name, p in signature.parameters.items() if name != "viewer"]
        )
        handler.__oversight_page__ = level  # type: ignore[attr-defined]
        return handler

    return wrap


# ----------------------------------------------------------------------------- results
async def result(request: Request, name: str, **arguments: Any) -> Any:
    """``usecases.<name>(engine, library, **arguments)`` through the API's cache, waiting
    up to :data:`PAGE_WAIT` seconds for a computation already under way."""
    from ..api import use

    return (await _patiently(lambda: use(request, name, **arguments))).value


async def cached(request: Request, key: tuple[Any, ...], compute: Callable[[], Any]) -> Any:
    """A value the pages compute themselves, cached per database state under ``key``."""
    from ..api import _version

    async def fetch() -> Any:
        version = _version(request)
        return await request.app.state.cache.fetch((version, *key), compute)

    return (await _patiently(fetch)).value


async def _patiently(fetch: Callable[[], Awaitable[Any]]) -> Any:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + PAGE_WAIT
    while True:
        try:
            return await fetch()
        except Busy:
            if loop.time() > deadline:
                raise
            await asyncio.sleep(0.2)


def scoped(viewer: Viewer | None, frame: pd.DataFrame) -> pd.DataFrame:
    """The rows this viewer may see (a trust's own; everything for the others)."""
    if viewer is None:
        return frame
    return viewer.scope(frame) if viewer.role == "trust" else frame


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return charts.records(frame)
