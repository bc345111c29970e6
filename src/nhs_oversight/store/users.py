"""Users of ``oversight serve``: their roles, API tokens and browser sessions.

Decisions
---------
- **Secrets are stored only as hashes.** Passwords with argon2id (argon2-cffi's
  ``PasswordHasher``, a memory-hard function with a per-password salt); API tokens and session
  ids, which are long random strings (``secrets.token_urlsafe(32)``: 256 bits), as SHA-256,
  which is enough for a random secret and cheap enough to check on every request.
- **The tables are created when the server or ``oversight users`` opens a database**
  (:func:`ensure_user_tables`, ``checkfirst``), so that a database imported by an older release
  gains them without a schema change; they sit on the store's ``metadata``, so a new database
  gets them with the others.
- **Removing a user keeps their decisions**: the decision log names the decider in words and
  has no foreign key to users; their tokens and sessions go with them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import Column, DateTime, Engine, ForeignKey, Index, Integer, String, Table, Text, delete, select

from .engine import write_transaction

if TYPE_CHECKING:  # pragma: no cover
    from argon2 import PasswordHasher
from .tables import DATA_TABLES, metadata

__all__ = [
    "ROLES",
    "User",
    "UserError",
    "users",
    "tokens",
    "sessions",
    "ensure_user_tables",
    "add_user",
    "remove_user",
    "list_users",
    "get_user",
    "verify_password",
    "issue_token",
    "user_for_token",
    "start_session",
    "user_for_session",
    "end_session",
    "generate_password",
    "secret_hash",
]

#: analyst: sees everything and decides; viewer: sees everything; trust: its own organisation.
ROLES = ("analyst", "viewer", "trust")
#: How long a browser session lasts without signing in again.
SESSION_LIFETIME = dt.timedelta(hours=8)

users = Table(
    "web_users",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(64), nullable=False, unique=True),
    Column("role", String(16), nullable=False),
    Column("org_code", String(10), nullable=True),
    Column("password_hash", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
tokens = Table(
    "web_tokens",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("user_id", Integer, ForeignKey("web_users.id", ondelete="CASCADE"), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
sessions = Table(
    "web_sessions",
    metadata,
    Column("session_hash", String(64), primary_key=True),
    Column("user_id", Integer, ForeignKey("web_users.id", ondelete="CASCADE"), nullable=False),
    Column("csrf_token", String(64), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
)
Index("ix_web_tokens_user_id", tokens.c.user_id)
Index("ix_web_sessions_user_id", sessions.c.user_id)

_TABLES = [users, tokens, sessions]


class UserError(ValueError):
    """A user that cannot be added or found (the message says why)."""


@dataclass(frozen=True)
class User:
    """A signed-in user: name, role and, for a ``trust`` user, its organisation."""

    id: int
    name: str
    role: str
    org_code: str | None


def secret_hash(secret: str) -> str:
    """SHA-256 of a random secret (a token or session id), as hex."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def generate_password() -> str:
    """A strong random password (about 144 bits), easy to copy."""
    return secrets.token_urlsafe(18)


def _hasher() -> PasswordHasher:
    from argon2 import PasswordHasher

    return PasswordHasher()


def ensure_user_tables(engine: Engine) -> None:
    """Create the users, tokens and sessions tables if they are missing."""
    with engine.connect() as conn:
        from sqlalchemy import inspect

        have = set(inspect(conn).get_table_names())
    if all(t.name in have for t in _TABLES):
        return
    with write_transaction(engine) as conn:
        metadata.create_all(conn, tables=_TABLES, checkfirst=True)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _user(row: object) -> User:
    return User(int(row.id), str(row.name), str(row.role), row.org_code)  # type: ignore[attr-defined]


def add_user(engine: Engine, name: str, role: str, password: str, org_code: str | None = None) -> User:
    """Create a user (a ``trust`` user needs an organisation held in the database).

    Raises
    ------
    UserError
        An empty or taken name, an unknown role, a trust without (or with an unknown)
        organisation, an organisation given to another role, or an empty password.
    """
    name = name.strip()
    if not name or len(name) > 64 or any(ch.isspace() for ch in name):
        raise UserError("a user name is 1 to 64 characters without spaces")
    if role not in ROLES:
        raise UserError(f"unknown role {role!r}; expected one of {', '.join(ROLES)}")
    if role == "trust" and not org_code:
        raise UserError("a trust user needs --org CODE (the organisation it sees)")
    if role != "trust" and org_code:
        raise UserError(f"only a trust user is bound to an organisation; an {role} sees every one")
    if not password:
        raise UserError("the password is empty")
    code = org_code.strip().upper() if org_code else None
    orgs = DATA_TABLES["organisations"]
    hashed = _hasher().hash(password)
    with write_transaction(engine) as conn:
        if code is not None and conn.execute(select(orgs.c.code).where(orgs.c.code == code)).first() is None:
            raise UserError(f"no organisation {code!r} in the database")
        if conn.execute(select(users.c.id).where(users.c.name == name)).first() is not None:
            raise UserError(f"a user {name!r} exists already; remove it first or choose another name")
        result = conn.execute(
            users.insert().values(name=name, role=role, org_code=code, password_hash=hashed, created_at=_now())
        )
        key = result.inserted_primary_key
        assert key is not None
        return User(int(key[0]), name, role, code)


def remove_user(engine: Engine, name: str) -> None:
    """Remove a user with their tokens and sessions (their decisions stay in the log)."""
    with write_transaction(engine) as conn:
        row = conn.execute(select(users.c.id).where(users.c.name == name)).first()
        if row is None:
            raise UserError(f"no user {name!r}")
        conn.execute(delete(tokens).where(tokens.c.user_id == row.id))
        conn.execute(delete(sessions).where(sessions.c.user_id == row.id))
        conn.execute(delete(users).where(users.c.id == row.id))


def list_users(engine: Engine) -> list[dict[str, object]]:
    """Every user: name, role, organisation, when created, how many tokens."""
    from sqlalchemy import func

    count = select(func.count()).where(tokens.c.user_id == users.c.id).scalar_subquery()
    stmt = select(users.c.name, users.c.role, users.c.org_code, users.c.created_at, count.label("tokens")).order_by(
        users.c.name
    )
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(stmt)]


def get_user(engine: Engine, name: str) -> User | None:
    with engine.connect() as conn:
        row = conn.execute(select(users).where(users.c.name == name)).first()
    return _user(row) if row is not None else None


def verify_password(engine: Engine, name: str, password: str) -> User | None:
    """The user when the password is theirs, else None (an unknown name costs a hash too)."""
    from argon2.exceptions import InvalidHashError, VerificationError

    with engine.connect() as conn:
        row = conn.execute(select(users).where(users.c.name == name)).first()
    hasher = _hasher()
    if row is None:
        try:  # the same work as for a known name, so timing does not tell names apart
            hasher.verify(_DUMMY_HASH(), password)
        except (VerificationError, InvalidHashError):
            pass
        return None
    try:
        hasher.verify(row.password_hash, password)
    except (VerificationError, InvalidHashError):
        return None
    return _user(row)


_dummy: list[str] = []


def _DUMMY_HASH() -> str:  # noqa: N802
    if not _dummy:
        _dummy.append(_hasher().hash(secrets.token_urlsafe(16)))
    return _dummy[0]


def issue_token(engine: Engine, name: str) -> str:
    """A new API token for the user; only its hash is stored, so it is shown once."""
    token = secrets.token_urlsafe(32)
    with write_transaction(engine) as conn:
        row = conn.execute(select(users.c.id).where(users.c.name == name)).first()
        if row is None:
            raise UserError(f"no user {name!r}; add one with `oversight users add {name} --role ...`")
        conn.execute(tokens.insert().values(token_hash=secret_hash(token), user_id=row.id, created_at=_now()))
    return token


def user_for_token(engine: Engine, token: str) -> User | None:
    """The user a token belongs to, or None."""
    stmt = select(users).join(tokens, tokens.c.user_id == users.c.id).where(tokens.c.token_hash == secret_hash(token))
    with engine.connect() as conn:
        row = conn.execute(stmt).first()
    return _user(row) if row is not None else None


def start_session(engine: Engine, user: User, lifetime: dt.timedelta = SESSION_LIFETIME) -> tuple[str, str]:
    """A new browser session: returns (session id, CSRF token); only the id's hash is stored."""
    session_id = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(24)
    now = _now()
    with write_transaction(engine) as conn:
        conn.execute(delete(sessions).where(sessions.c.expires_at < now))
        conn.execute(
            sessions.insert().values(
                session_hash=secret_hash(session_id), user_id=user.id, csrf_token=csrf, expires_at=now + lifetime
            )
        )
    return session_id, csrf


def user_for_session(engine: Engine, session_id: str) -> tuple[User, str] | None:
    """The user and CSRF token of a live session, or None (unknown or expired)."""
    stmt = (
        select(users, sessions.c.csrf_token, sessions.c.expires_at)
        .join(sessions, sessions.c.user_id == users.c.id)
        .where(sessions.c.session_hash == secret_hash(session_id))
    )
    with engine.connect() as conn:
        row = conn.execute(stmt).first()
    if row is None:
        return None
    expires = row.expires_at
    if expires.tzinfo is None:  # SQLite hands back naive datetimes
        expires = expires.replace(tzinfo=dt.UTC)
    if expires < _now():
        return None
    return _user(row), str(row.csrf_token)


def end_session(engine: Engine, session_id: str) -> None:
    """Sign a session out."""
    with write_transaction(engine) as conn:
        conn.execute(delete(sessions).where(sessions.c.session_hash == secret_hash(session_id)))
