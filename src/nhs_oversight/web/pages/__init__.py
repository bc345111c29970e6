"""The dashboard: server-rendered pages (WEB.md) on the API's cache and session sign-in.

:func:`install` adds the pages, ``/static`` (the package's own styles and scripts) and
``/static/vendor/plotly.min.js`` (served from the installed ``plotly`` package: nothing is
fetched from another origin), and warms the results the overview needs.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from fastapi import FastAPI
from fastapi.responses import FileResponse, Response
from fastapi.staticfiles import StaticFiles

__all__ = ["install", "router", "login_html", "logout_html"]

from .common import login_html, logout_html
from .views import GRID_QUARTERS, router

log = logging.getLogger("nhs_oversight.web")


def install(app: FastAPI) -> None:
    """Add the dashboard to the application built by :func:`..app.create_app`."""
    from importlib import resources

    from ...present.charts import plotly_js_path

    plotly_js = plotly_js_path()

    @app.get("/static/vendor/plotly.min.js", include_in_schema=False)
    async def plotly() -> Response:
        return FileResponse(plotly_js, media_type="text/javascript", headers={"Cache-Control": "public, max-age=86400"})

    static = resources.files("nhs_oversight.web") / "static"

    @app.get("/favicon.ico", include_in_schema=False)
    async def favicon() -> Response:
        return FileResponse(
            str(static / "favicon.svg"), media_type="image/svg+xml", headers={"Cache-Control": "public, max-age=86400"}
        )

    app.mount("/static", StaticFiles(directory=str(static)), name="static")
    app.include_router(router)
    _chain_warm_up(app)


def _chain_warm_up(app: FastAPI) -> None:
    """After the API's warm-up, compute the ratings of the overview's grid (the latest
    quarters), so that the national pages answer at once."""
    start_api = app.state.start_warm_up
    lock = threading.Lock()

    def start() -> None:
        start_api()
        if not lock.acquire(blocking=False):
            return

        def run() -> None:
            try:
                _warm_pages(app.state)
            except Exception as exc:  # noqa: BLE001 - warming is an optimisation
                log.warning("page warm-up stopped: %s", type(exc).__name__)
            finally:
                lock.release()

        threading.Thread(target=run, name="oversight-page-warm-up", daemon=True).start()

    app.state.start_warm_up = start


def _warm_pages(state: Any) -> None:
    from ...errors import OversightError
    from ...periods import Quarter
    from ...service import usecases
    from ...service.report import governance_quarter
    from ...store import data_version
    from ..api import usecase_key

    version = data_version(state.engine)
    latest = governance_quarter(state.engine, state.library)
    if latest is None:
        return
    calls: list[tuple[str, dict[str, Any]]] = [("governance", {"quarter": latest - i}) for i in range(GRID_QUARTERS)]
    calls += [("monitor", {"quarter": Quarter(latest.year, n)}) for n in range(1, latest.number + 1)]
    calls += [("chance", {"year": latest.year, "quarter": latest})]
    for name, arguments in calls:
        if state.cache._version not in (None, version):
            return
        try:
            state.cache.compute_now(
                usecase_key(version, name, arguments),
                lambda n=name, a=arguments: getattr(usecases, n)(state.engine, state.library, **a),
            )
        except OversightError:
            continue
