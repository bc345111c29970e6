"""Who is asking, and what they may see: the role table of WEB.md, enforced in one place.

Every ``/api`` route is declared on a router whose dependency is :func:`authorise`; it reads the
route's access level (set with :func:`access`, default :data:`SIGNED_IN`) and the credentials
(``Authorization: Bearer TOKEN`` or the session cookie), and either answers 401/403 or leaves a
:class:`Viewer` on the request. Every table a route returns passes through
:meth:`Viewer.scope` (in :mod:`.respond`), which cuts a ``trust`` user's rows to its own
organisation (and the national line), and an anonymous reader's columns to what is published.

============  ===========================================  ============================
role          sees                                          may
============  ===========================================  ============================
analyst       everything                                    record decisions
viewer        everything                                    nothing that writes
trust         its own organisation, national figures        nothing that writes
anonymous     (``--public`` only) published ratings/counts  nothing
============  ===========================================  ============================
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import pandas as pd
from fastapi import HTTPException, Request

__all__ = [
    "OPEN",
    "PUBLISHED",
    "SIGNED_IN",
    "ANALYST",
    "NATIONAL_CODES",
    "SESSION_COOKIE",
    "Viewer",
    "access",
    "authorise",
    "current_viewer",
    "RateLimiter",
]

#: Anyone, without credentials (``/api/health``).
OPEN = "open"
#: Signed-in users; anonymous readers too when the server is ``--public`` (published figures only).
PUBLISHED = "published"
#: Signed-in users (analyst, viewer, trust).
SIGNED_IN = "signed_in"
#: Analysts only (writes).
ANALYST = "analyst"
LEVELS = (OPEN, PUBLISHED, SIGNED_IN, ANALYST)

#: Rows every role may see: national lines, not organisations.
NATIONAL_CODES = frozenset({"ENGLAND"})
SESSION_COOKIE = "oversight_session"

F = TypeVar("F", bound=Callable[..., Any])


def access(level: str) -> Callable[[F], F]:
    """Declare who may call a route (the default, undeclared, is :data:`SIGNED_IN`)."""
    if level not in LEVELS:
        raise ValueError(f"unknown access level {level!r}")

    def mark(func: F) -> F:
        func.__oversight_access__ = level  # type: ignore[attr-defined]
        return func

    return mark


@dataclass(frozen=True)
class Viewer:
    """The person asking: ``name`` (None when anonymous), ``role`` and, for ``trust``, ``org``."""

    name: str | None
    role: str
    org: str | None = None
    via_cookie: bool = False
    csrf: str | None = None

    @property
    def anonymous(self) -> bool:
        return self.role == "anonymous"

    @property
    def scope_key(self) -> str:
        """What the viewer's rendering of a table depends on."""
        if self.role == "trust":
            return f"trust:{self.org}"
        return "anonymous" if self.anonymous else "all"

    def sees(self, code: str) -> bool:
        return self.role != "trust" or code.upper() == self.org or code.upper() in NATIONAL_CODES

    def require_org(self, code: str) -> None:
        """403 for a ``trust`` user asking for another organisation."""
        if not self.sees(code):
            raise HTTPException(403, detail=f"code: a {self.role} user sees only its own organisation ({self.org})")

    def scope(self, frame: pd.DataFrame, published: tuple[str, ...] | None = None) -> pd.DataFrame:
        """The rows and columns this viewer may see.

        A ``trust`` user keeps the rows of its own organisation and the national lines (any
        frame with an ``org_code`` column); an anonymous reader keeps only the ``published``
        columns (none when the route publishes none).
        """
        if self.role == "trust" and "org_code" in frame.columns:
            keep = frame["org_code"].astype(str).str.upper().isin({self.org, *NATIONAL_CODES})
            frame = frame[keep].reset_index(drop=True)
        if self.anonymous:
            cols = [c for c in frame.columns if c in (published or ())]
            frame = frame[cols]
        return frame


def _level(request: Request) -> str:
    endpoint = request.scope.get("endpoint")
    return getattr(endpoint, "__oversight_access__", SIGNED_IN)


def _deny(status: int, detail: str) -> HTTPException:
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return HTTPException(status, detail=detail, headers=headers)


def identify(request: Request) -> Viewer | None:
    """The viewer named by the request's credentials; None without credentials; 401 for bad ones."""
    from ..store.users import user_for_session, user_for_token

    engine = request.app.state.engine
    header = request.headers.get("authorization")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise _deny(401, "Authorization: expected 'Bearer TOKEN'")
        user = user_for_token(engine, token.strip())
        if user is None:
            raise _deny(401, "Authorization: unknown or revoked token")
        return Viewer(user.name, user.role, user.org_code)
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        found = user_for_session(engine, cookie)
        if found is not None:
            user, csrf = found
            return Viewer(user.name, user.role, user.org_code, via_cookie=True, csrf=csrf)
    return None


async def authorise(request: Request) -> Viewer:
    """The one gate of every ``/api`` route: who asks, and may they call this route?"""
    level = _level(request)
    if level == OPEN:
        viewer = Viewer(None, "anonymous")
        request.state.viewer = viewer
        return viewer
    found = identify(request)
    public = request.app.state.public
    if found is None:
        if level == PUBLISHED and public:
            found = Viewer(None, "anonymous")
        elif level == ANALYST and public:
            raise _deny(403, "only an analyst may do this; sign in as one")
        else:
            raise _deny(401, "sign in: send 'Authorization: Bearer TOKEN' (oversight users token NAME)")
    if level == ANALYST:
        if found.role != "analyst":
            raise _deny(403, f"only an analyst may do this; {found.name or 'an anonymous reader'} is a {found.role}")
        if found.via_cookie and request.method not in ("GET", "HEAD", "OPTIONS"):
            sent = request.headers.get("x-csrf-token")
            if not sent or sent != found.csrf:
                raise _deny(403, "X-CSRF-Token: missing or wrong (a signed-in browser sends the page's token)")
    request.state.viewer = found
    return found


async def current_viewer(request: Request) -> Viewer:
    """The viewer :func:`authorise` admitted (for route functions)."""
    viewer = getattr(request.state, "viewer", None)
    if viewer is None:  # a route outside the gated router: refuse rather than guess
        raise _deny(401, "sign in")
    return viewer  # type: ignore[no-any-return]


class RateLimiter:
    """At most ``attempts`` failures per ``window`` seconds for each key (a name or an address)."""

    def __init__(self, attempts: int = 5, window: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.attempts = attempts
        self.window = window
        self.clock = clock
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        failures = self._failures.setdefault(key, deque())
        while failures and failures[0] <= now - self.window:
            failures.popleft()
        return failures

    def retry_after(self, *keys: str) -> int | None:
        """Seconds to wait when any key has used up its attempts, else None."""
        now = self.clock()
        with self._lock:
            waits = []
            for key in keys:
                failures = self._recent(key, now)
                if len(failures) >= self.attempts:
                    waits.append(int(failures[0] + self.window - now) + 1)
            if len(self._failures) > 10_000:  # forget keys with no recent failure
                for k in [k for k, v in self._failures.items() if not v]:
                    del self._failures[k]
        return max(waits) if waits else None

    def fail(self, *keys: str) -> None:
        now = self.clock()
        with self._lock:
            for key in keys:
                self._recent(key, now).append(now)
