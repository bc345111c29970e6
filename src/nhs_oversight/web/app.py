"""The FastAPI application of ``oversight serve``: :func:`create_app` builds it for one database.

- ``/api``: the API of WEB.md (:mod:`.api`), every route behind :func:`.auth.authorise`.
- ``/api/openapi.json`` and ``/api/docs`` (Swagger UI served from the ``swagger-ui-bundle``
  package: nothing is fetched from another host).
- ``/login`` and ``/logout``: a plain form that signs a browser in (a session cookie).
  The rest of ``/`` is the dashboard's.

Every response carries the security headers of :data:`SECURITY_HEADERS`. No response or log
line holds a secret or the database URL.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from contextlib import asynccontextmanager
from html import escape
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, HTTPException, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse

from .. import __version__
from ..errors import OversightError
from .auth import OPEN, SESSION_COOKIE, RateLimiter, access
from .cache import Busy, ResultCache

__all__ = ["create_app", "app_from_env", "SECURITY_HEADERS"]

log = logging.getLogger("nhs_oversight.web")

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS: list[tuple[bytes, bytes]] = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
]
CSRF_COOKIE = "oversight_csrf"

Scope = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Callable[[], Awaitable[Any]], Callable[[Any], Awaitable[None]]], Awaitable[None]]


class SecurityHeaders:
    """Adds :data:`SECURITY_HEADERS` to every HTTP response (a plain ASGI middleware: cheap)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Any) -> None:
            if message["type"] == "http.response.start":
                headers = [h for h in message.get("headers", []) if h[0].lower() not in _HEADER_NAMES]
                message["headers"] = headers + SECURITY_HEADERS
            await send(message)

        await self.app(scope, receive, send_with_headers)


_HEADER_NAMES = {name for name, _ in SECURITY_HEADERS}


def _param(param: str | None) -> str | None:
    """A service parameter as the API names it (``--set-a`` → ``set_a``, ``RULEBOOK_A`` → ``a``)."""
    if param is None:
        return None
    named = {"RULEBOOK_A": "a", "RULEBOOK_B": "b", "ORG": "code", "decided_by": "user"}
    if param in named:
        return named[param]
    return param.lstrip("-").lower().replace("-", "_")


def _detail(exc: OversightError) -> str:
    name = _param(exc.param)
    return f"{name}: {exc.message}" if name else exc.message


def _install_handlers(app: FastAPI) -> None:
    @app.exception_handler(OversightError)
    async def oversight_error(request: Request, exc: OversightError) -> Response:
        return _error(exc.http_status, _detail(exc))

    @app.exception_handler(Busy)
    async def busy(request: Request, exc: Busy) -> Response:
        return _error(
            503, f"still computing this result; try again in {exc.retry_after} s", {"Retry-After": str(exc.retry_after)}
        )

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        parts = []
        for error in exc.errors():
            loc = [str(p) for p in error.get("loc", ()) if p not in ("query", "path", "body", "header", "cookie")]
            where = ".".join(loc) or "request"
            parts.append(f"{where}: {error.get('msg', 'invalid')}")
        return _error(422, "; ".join(parts) or "invalid request")

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        return _error(exc.status_code, detail, dict(exc.headers or {}))

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        status, detail = _unexpected(exc)
        return _error(status, detail, {"Retry-After": "5"} if status == 503 else None)


def _unexpected(exc: BaseException) -> tuple[int, str]:
    """Failures from below the service layer, in words that hold no path, URL or SQL: the
    database busy or unreachable (503), a rule that cannot be applied (422), else a bug (500,
    logged by type only)."""
    name = type(exc).__name__
    if name == "StoreError" or type(exc).__module__.startswith("sqlalchemy"):
        log.warning("database unavailable while answering a request (%s)", name)
        return 503, "the database is busy or unavailable; try again in a moment"
    if name in ("RulebookError", "PeriodError", "FormulaError"):
        return 422, " ".join(str(exc).split())
    if isinstance(exc, MemoryError):
        return 503, "not enough memory for this request; ask for a smaller period"
    log.error("unexpected %s while answering a request", name)
    return 500, f"an unexpected {name}: this is a bug; please report it"


def _error(status: int, detail: str, headers: dict[str, str] | None = None) -> Response:
    from .respond import dumps

    return Response(dumps({"detail": detail}), status_code=status, media_type="application/json", headers=headers)


# ------------------------------------------------------------------------------- docs
_SWAGGER_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>nhs-oversight API</title>
<link rel="stylesheet" href="/api/docs/assets/swagger-ui.css">
<link rel="icon" href="/api/docs/assets/favicon-32x32.png"></head>
<body><div id="swagger-ui"></div>
<script src="/api/docs/assets/swagger-ui-bundle.js"></script>
<script src="/api/docs/assets/init.js"></script></body></html>"""
_SWAGGER_INIT = 'window.ui = SwaggerUIBundle({url: "/api/openapi.json", dom_id: "#swagger-ui", deepLinking: true});\n'


def _route_list(document: dict[str, Any]) -> str:
    items = "".join(
        f"<li><code>{escape(method.upper())} {escape(path)}</code> {escape(op.get('summary', ''))}</li>"
        for path, ops in document.get("paths", {}).items()
        for method, op in ops.items()
    )
    return f"<!doctype html><title>nhs-oversight API</title><h1>nhs-oversight API</h1><ul>{items}</ul>"


# ------------------------------------------------------------------------------ login
def _install_login(app: FastAPI) -> None:
    import secrets

    limiter: RateLimiter = app.state.login_limiter

    def page(message: str, csrf: str, status: int = 200) -> HTMLResponse:
        from .pages import login_html  # the dashboard's template (web/templates/login.html)

        html = login_html(message, csrf)
        response = HTMLResponse(html, status_code=status)
        response.set_cookie(CSRF_COOKIE, csrf, httponly=True, samesite="strict", path="/login")
        response.headers["Cache-Control"] = "no-store"
        return response

    @app.get("/login", include_in_schema=False)
    async def login_form(request: Request) -> Response:
        return page("", secrets.token_urlsafe(24))

    @app.post("/login", include_in_schema=False)
    async def login(request: Request) -> Response:
        from fastapi.concurrency import run_in_threadpool

        from ..store.users import start_session, verify_password

        form = await request.form()
        name = str(form.get("name", ""))[:64]
        password = str(form.get("password", ""))[:1024]
        sent = str(form.get("csrf_token", ""))
        expected = request.cookies.get(CSRF_COOKIE, "")
        fresh = secrets.token_urlsafe(24)
        if not expected or not secrets.compare_digest(sent, expected):
            return page("The form had expired: please sign in again.", fresh, 403)
        address = request.client.host if request.client else "unknown"
        keys = (f"name:{name.lower()}", f"address:{address}")
        wait = limiter.retry_after(*keys)
        if wait is not None:
            response = page(f"Too many failed attempts: try again in {wait} s.", fresh, 429)
            response.headers["Retry-After"] = str(wait)
            return response
        user = await run_in_threadpool(verify_password, app.state.engine, name, password)
        if user is None:
            limiter.fail(*keys)
            log.info("failed sign-in from %s", address)
            return page("Unknown name or wrong password.", fresh, 401)
        session_id, _csrf = await run_in_threadpool(start_session, app.state.engine, user)
        signed_in = RedirectResponse("/", status_code=303)
        signed_in.set_cookie(
            SESSION_COOKIE,
            session_id,
            httponly=True,
            samesite="lax",
            secure=request.url.scheme == "https",
            path="/",
            max_age=8 * 3600,
        )
        signed_in.delete_cookie(CSRF_COOKIE, path="/login")
        return signed_in

    @app.get("/logout", include_in_schema=False)
    async def logout_form(request: Request) -> Response:
        from ..store.users import user_for_session

        cookie = request.cookies.get(SESSION_COOKIE)
        found = user_for_session(app.state.engine, cookie) if cookie else None
        if found is None:
            return RedirectResponse("/login", status_code=303)
        from .pages import logout_html

        html = logout_html(found[0].name, found[1])
        return HTMLResponse(html, headers={"Cache-Control": "no-store"})

    @app.post("/logout", include_in_schema=False)
    async def logout(request: Request) -> Response:
        from ..store.users import end_session, user_for_session

        cookie = request.cookies.get(SESSION_COOKIE)
        if cookie:
            found = user_for_session(app.state.engine, cookie)
            form = await request.form()
            if found is not None and not secrets.compare_digest(str(form.get("csrf_token", "")), found[1]):
                raise HTTPException(403, detail="csrf_token: missing or wrong")
            end_session(app.state.engine, cookie)
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response


# ------------------------------------------------------------------------------ build
def create_app(
    db_url: str,
    *,
    public: bool = False,
    compute_limit: float = 5.0,
    warm: bool = True,
    cache_entries: int = 128,
    shared_cache: bool = True,
) -> FastAPI:
    """The application for the database at ``db_url`` (a URL or a SQLite path).

    Parameters
    ----------
    db_url : str
        The database (it must exist and hold data).
    public : bool
        Anonymous readers may see published ratings and counts.
    compute_limit : float
        Seconds a request waits for a result being computed before it is answered 503 (the
        computation goes on and fills the cache).
    warm : bool
        Compute the common results in the background at start-up and after every import or
        decision.
    shared_cache : bool
        Share computed results with the other server processes of the same database through
        a folder in the user cache directory.

    Raises
    ------
    NotFound, StoreError
        No database there, or it is empty.
    """
    from ..rulebooks import load_library
    from ..service.data import open_data
    from ..store.users import ensure_user_tables
    from . import api, pages

    library = load_library()
    engine = open_data(None, db_url, library)
    ensure_user_tables(engine)
    if engine.dialect.name == "sqlite":
        _wal(engine)
    shared = _shared_folder(str(engine.url)) if shared_cache else None
    cache = ResultCache(entries=cache_entries, limit=compute_limit, shared=shared)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if warm:
            app.state.start_warm_up()
        yield
        cache.close()

    app = FastAPI(
        title="nhs-oversight",
        version=__version__,
        description="English NHS provider oversight as code: the API of `oversight serve` (WEB.md). "
        "Send `Authorization: Bearer TOKEN` (`oversight users token NAME`).",
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.engine = engine
    app.state.library = library
    app.state.cache = cache
    app.state.public = public
    app.state.warm = warm
    app.state.login_limiter = RateLimiter()
    app.state.start_warm_up = _warm_starter(app)
    app.state.database_state = lambda version: _database_state(engine, version)
    _install_handlers(app)
    router = api.router
    _install_docs_on(app, router)
    app.include_router(router)
    _install_login(app)
    pages.install(app)  # the dashboard: web/pages, /static
    app.add_middleware(SecurityHeaders)
    app.openapi_schema = None
    return app


_docs_lock = threading.Lock()


def _install_docs_on(app: FastAPI, router: APIRouter) -> None:
    with _docs_lock:
        if not getattr(router, "_oversight_docs", False):
            _install_docs_router(router)
            router._oversight_docs = True  # type: ignore[attr-defined]


def _install_docs_router(router: APIRouter) -> None:
    """The docs routes read the application from the request, so one router serves every app."""
    import swagger_ui_bundle  # type: ignore[import-untyped]

    assets = Path(swagger_ui_bundle.swagger_ui_path)
    files = {"swagger-ui.css": "text/css", "swagger-ui-bundle.js": "text/javascript", "favicon-32x32.png": "image/png"}

    @router.get("/openapi.json", include_in_schema=False)
    @access(OPEN)
    async def openapi_document(request: Request) -> Response:
        from .respond import dumps

        return Response(dumps(request.app.openapi()), media_type="application/json")

    @router.get("/docs", include_in_schema=False, response_class=HTMLResponse)
    @access(OPEN)
    async def docs() -> Response:
        return HTMLResponse(_SWAGGER_PAGE)

    @router.get("/docs/assets/{name}", include_in_schema=False)
    @access(OPEN)
    async def docs_asset(name: str) -> Response:
        if name == "init.js":
            return Response(_SWAGGER_INIT, media_type="text/javascript")
        if name not in files:
            raise HTTPException(404, detail="name: no such asset")
        return Response(
            (assets / name).read_bytes(), media_type=files[name], headers={"Cache-Control": "public, max-age=86400"}
        )


def _shared_folder(url: str) -> Path | None:
    """The folder the server processes of one database share results through (0700)."""
    import hashlib

    import platformdirs

    folder = platformdirs.user_cache_path("nhs-oversight", appauthor=False) / "serve"
    folder = folder / hashlib.sha256(url.encode()).hexdigest()[:16]
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(folder, 0o700)
    except OSError:
        log.warning("no shared result cache: its folder cannot be created")
        return None
    return folder


def _database_state(engine: Any, version: int) -> str:
    """``data_version`` with the last import's id and time: two databases never share a state."""
    from sqlalchemy import func, select

    from ..store.tables import imports

    with engine.connect() as conn:
        last = conn.execute(select(func.max(imports.c.id), func.max(imports.c.started_at))).one()
    return f"{version}|{last[0]}|{last[1]}"


def _wal(engine: Any) -> None:
    """SQLite in write-ahead-log mode: readers (the workers) never wait for a writer."""
    try:
        raw = engine.raw_connection()
        try:
            cursor = raw.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.close()
        finally:
            raw.close()
    except Exception:  # noqa: BLE001 - a read-only file or a busy database: keep its mode
        log.warning("could not switch the SQLite database to WAL mode; readers may wait for writers")


def _warm_starter(app: FastAPI) -> Callable[[], None]:
    lock = threading.Lock()

    def start() -> None:
        from ..store import data_version
        from .api import warm_up

        if not lock.acquire(blocking=False):
            return  # one warm-up at a time; it stops when the data change under it

        def run() -> None:
            try:
                version = data_version(app.state.engine)
                app.state.cache.see_version(version, lambda: app.state.database_state(version))
                warm_up(app.state, version)
            except Exception as exc:  # noqa: BLE001 - warming is an optimisation
                log.warning("warm-up stopped: %s", type(exc).__name__)
            finally:
                lock.release()

        threading.Thread(target=run, name="oversight-warm-up", daemon=True).start()

    return start


def app_from_env() -> FastAPI:
    """The application for ``uvicorn --factory`` (``oversight serve --workers N``): the database
    and settings come from ``OVERSIGHT_SERVE_DB`` and ``OVERSIGHT_SERVE_PUBLIC``."""
    return create_app(
        os.environ["OVERSIGHT_SERVE_DB"],
        public=os.environ.get("OVERSIGHT_SERVE_PUBLIC") == "1",
        compute_limit=float(os.environ.get("OVERSIGHT_SERVE_COMPUTE_LIMIT", "5")),
    )
