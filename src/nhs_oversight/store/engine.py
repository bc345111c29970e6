"""Which database, and opening it: the embedded SQLite file by default, any SQLAlchemy URL
by ``--db`` (or ``$OVERSIGHT_DB``).

Decisions
---------
- **Opening never creates by accident.** ``open_store(db)`` opens an existing database and
  refuses a SQLite file that does not exist (a mistyped ``--db`` used to leave an empty file
  behind); ``open_store(db, create=True)`` (``import``, ``demo``) creates the file, its folder
  and the tables.
- **One writer at a time.** Every write (schema creation and upgrade, an import, a decision)
  runs in :func:`write_transaction`, which holds the database's write lock from its first
  statement: ``BEGIN IMMEDIATE`` on SQLite (waiting up to :data:`BUSY_TIMEOUT` seconds for
  another writer), ``pg_advisory_xact_lock`` on PostgreSQL. Two imports started at once take
  turns, and the second merges into what the first wrote.
- **Upgrades in place, under the lock.** An older schema gains its missing tables, indexes
  and meta rows; two processes opening it at once upgrade it once. A newer schema is refused.
- **No password in any message**: URLs are shown with the password as ``***``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import platformdirs
from sqlalchemy import Connection, Engine, Integer, Text, cast, create_engine, event, inspect, select, text, update
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError
from sqlalchemy.pool import StaticPool

from ..errors import Refused
from .tables import OBSOLETE_INDEXES, SCHEMA_VERSION, meta, metadata

__all__ = [
    "StoreError",
    "BUSY_TIMEOUT",
    "default_db_url",
    "resolve_db_url",
    "redact_url",
    "describe_url",
    "driver_message",
    "open_store",
    "memory_store",
    "write_transaction",
    "bump_data_version",
]

#: Seconds a SQLite writer waits for another writer to finish before giving up.
BUSY_TIMEOUT = 60.0

#: The PostgreSQL advisory lock every writer holds (``'nhs_ovs'`` as an integer).
_PG_WRITE_LOCK = int.from_bytes(b"nhs_ovs", "big")

#: Set on a connection whose next transaction writes (``BEGIN IMMEDIATE`` on SQLite).
_WRITE = "oversight_write"


class StoreError(Refused, RuntimeError):
    """The database cannot be opened, is missing, busy, or of another schema version."""


def default_db_url() -> str:
    """``$OVERSIGHT_DB``, else ``sqlite:///<user data dir>/nhs-oversight/oversight.sqlite``."""
    env = os.environ.get("OVERSIGHT_DB")
    if env:
        return resolve_db_url(env)
    path = platformdirs.user_data_path("nhs-oversight", appauthor=False) / "oversight.sqlite"
    return f"sqlite:///{path}"


def resolve_db_url(db: str | Path | None) -> str:
    """A SQLAlchemy URL from ``--db``: a URL as it is, a plain path as a SQLite file.

    ``postgresql://`` and ``postgres://`` mean the psycopg 3 driver (``postgresql+psycopg://``),
    the one the ``postgres`` extra installs.
    """
    if db is None or str(db) == "":
        return default_db_url()
    text_ = str(db)
    if "://" in text_:
        for plain in ("postgresql://", "postgres://"):
            if text_.startswith(plain):
                return "postgresql+psycopg://" + text_.removeprefix(plain)
        return text_
    return f"sqlite:///{Path(text_).expanduser().resolve()}"


def redact_url(url: str | URL) -> str:
    """The URL with its password replaced by ``***`` (for every message and log line)."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError, TypeError):
        return re.sub(r"(://[^:/@\s]*:)[^@\s]*@", r"\1***@", str(url))


def describe_url(url: URL) -> str:
    """``the SQLite database PATH`` or ``the PostgreSQL database NAME on HOST:PORT as USER``."""
    backend = url.get_backend_name()
    if backend == "sqlite":
        return f"the SQLite database {url.database}" if url.database not in (None, "", ":memory:") else "memory"
    name = {"postgresql": "PostgreSQL", "mysql": "MySQL", "mariadb": "MariaDB"}.get(backend, backend)
    where = url.host or "the local socket"
    if url.port:
        where += f":{url.port}"
    elif backend == "postgresql" and url.host:
        where += ":5432"
    user = f" as {url.username}" if url.username else ""
    return f"the {name} database {url.database or '(default)'} on {where}{user}"


def driver_message(exc: BaseException, url: URL) -> str:
    """The driver's message on one line, without the password."""
    message = " ".join(part.strip() for part in str(getattr(exc, "orig", None) or exc).splitlines() if part.strip())
    if url.password:
        message = message.replace(str(url.password), "***")
    return message


def _sqlite_path(url: URL) -> Path | None:
    """The file of a SQLite URL, or None for an in-memory or URI database."""
    db = url.database
    if url.get_backend_name() != "sqlite" or not db or db == ":memory:" or db.startswith("file:"):
        return None
    return Path(db)


def _sqlite_events(engine: Engine) -> None:
    """Foreign keys on; transactions begun by us, not by the driver, so that a writer can
    ``BEGIN IMMEDIATE`` (the recipe of SQLAlchemy's SQLite dialect documentation)."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # the driver emits no BEGIN (and no COMMIT before DDL)
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get(_WRITE) else "BEGIN")


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """A transaction holding the database's write lock from its first statement.

    Writers take turns: on SQLite the transaction begins ``IMMEDIATE``; on PostgreSQL it takes
    a transaction-level advisory lock. Another writer waits up to :data:`BUSY_TIMEOUT` seconds,
    then gets a :class:`StoreError`. Committed on leaving, rolled back on an exception.
    """
    url = engine.url
    busy = StoreError(
        f"{describe_url(url)} is busy: another import or decision has held it for more than "
        f"{BUSY_TIMEOUT:g} s; try again when it has finished"
    )
    try:
        with engine.connect() as conn:
            conn.execution_options(**{_WRITE: True})
            with conn.begin():
                if engine.dialect.name == "postgresql":
                    _pg_write_lock(conn, busy)
                yield conn
    except OperationalError as exc:
        if "database is locked" in str(exc.orig):  # SQLite, after BUSY_TIMEOUT
            raise busy from None
        raise


def _pg_write_lock(conn: Connection, busy: StoreError) -> None:
    """Wait at most BUSY_TIMEOUT for the advisory lock, then restore the session's lock_timeout."""
    conn.exec_driver_sql(f"SET LOCAL lock_timeout = {int(BUSY_TIMEOUT * 1000)}")
    try:
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_WRITE_LOCK})
    except OperationalError as exc:
        if getattr(exc.orig, "sqlstate", None) == "55P03":  # lock_not_available
            raise busy from None
        raise
    conn.exec_driver_sql("SET LOCAL lock_timeout TO DEFAULT")


def bump_data_version(conn: Connection) -> None:
    """Raise ``data_version`` by one (in the caller's write transaction)."""
    conn.execute(
        update(meta).where(meta.c.key == "data_version").values(value=cast(cast(meta.c.value, Integer) + 1, Text))
    )


def _schema_version(conn: Connection) -> int | None:
    """The database's schema version; None when it has no ``meta`` table (not ours yet)."""
    if "meta" not in inspect(conn).get_table_names():
        return None
    row = conn.execute(select(meta.c.value).where(meta.c.key == "schema_version")).first()
    return 0 if row is None else int(row[0])


def _refuse_newer(url: URL, version: int | None) -> None:
    if version is not None and version > SCHEMA_VERSION:
        raise StoreError(
            f"{redact_url(url)}: database schema version {version}, newer than this release's "
            f"{SCHEMA_VERSION}; upgrade nhs-oversight"
        )


def _create_or_upgrade(conn: Connection, version: int | None) -> None:
    """Create what is missing: tables (with their indexes and triggers), indexes of older
    tables, meta rows. Runs under the write lock."""
    metadata.create_all(conn)
    for table in metadata.sorted_tables:
        for index in table.indexes:
            index.create(conn, checkfirst=True)
    for name in OBSOLETE_INDEXES:
        conn.exec_driver_sql(f"DROP INDEX IF EXISTS {name}")
    if version is not None and version < 4:  # the summaries are new: sum what is there
        from .summaries import refresh_summaries

        refresh_summaries(conn)
    keys = {row[0] for row in conn.execute(select(meta.c.key))}
    if "data_version" not in keys:
        conn.execute(meta.insert().values(key="data_version", value="0"))
    if "schema_version" not in keys:
        conn.execute(meta.insert().values(key="schema_version", value=str(SCHEMA_VERSION)))
    elif version != SCHEMA_VERSION:
        conn.execute(update(meta).where(meta.c.key == "schema_version").values(value=str(SCHEMA_VERSION)))


def _prepare(engine: Engine, create: bool) -> Engine:
    url = engine.url
    if engine.dialect.name == "sqlite":
        _sqlite_events(engine)
    try:
        with engine.connect() as conn:  # the usual case, a current schema, needs no lock
            version = _schema_version(conn)
            foreign = version is None and bool(inspect(conn).get_table_names())
        _refuse_newer(url, version)
        if version is None and not create:
            raise StoreError(
                f"{describe_url(url)} is not an nhs-oversight database (it holds other tables and no meta "
                "table): check --db"
                if foreign
                else f"{describe_url(url)} holds no nhs-oversight data: load data with "
                f"`oversight import DIR --db {redact_url(url)}` or try `oversight demo`"
            )
        if version != SCHEMA_VERSION:
            with write_transaction(engine) as conn:
                version = _schema_version(conn)  # again: another process may have done it meanwhile
                _refuse_newer(url, version)
                if version != SCHEMA_VERSION:
                    _create_or_upgrade(conn, version)
    except StoreError:
        engine.dispose()
        raise
    except DBAPIError as exc:
        engine.dispose()
        raise StoreError(f"cannot open {describe_url(url)}: {driver_message(exc, url)}") from None
    return engine


def open_store(db: str | Path | None = None, *, create: bool = False) -> Engine:
    """Open the database named by ``--db`` (upgrading an older schema in place).

    Parameters
    ----------
    db : str or Path, optional
        A SQLAlchemy URL or a path to a SQLite file; default :func:`default_db_url`.
    create : bool
        Create the database (a SQLite file and its folder) and its tables if missing. Only
        commands that load data pass it; reading commands never create anything.

    Raises
    ------
    StoreError
        No database there (and ``create`` is false), a URL that cannot be used, a server that
        cannot be reached, or a newer schema. The message is one line and holds no password.
    """
    try:
        url = make_url(resolve_db_url(db))
    except ArgumentError:
        raise StoreError(
            f"cannot use the database URL {redact_url(str(db))}: expected a file path or a URL "
            "such as sqlite:///PATH or postgresql+psycopg://USER@HOST/DATABASE"
        ) from None
    path = _sqlite_path(url)
    if path is not None:
        if not create and (not path.is_file() or path.stat().st_size == 0):
            raise StoreError(
                f"no database at {path}: load data with `oversight import DIR --db {path}` or try `oversight demo`"
            )
        if create:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(f"cannot create the folder {path.parent}: {exc.strerror}") from None
    options: dict[str, Any] = {"connect_args": {"timeout": BUSY_TIMEOUT}} if url.get_backend_name() == "sqlite" else {}
    try:
        engine = create_engine(url, **options)
    except ImportError as exc:
        hint = " (pip install 'nhs-oversight[postgres]')" if url.get_backend_name() == "postgresql" else ""
        raise StoreError(f"cannot open {describe_url(url)}: its driver {exc.name} is not installed{hint}") from None
    except ArgumentError as exc:
        raise StoreError(f"cannot use the database URL {redact_url(url)}: {exc}") from None
    return _prepare(engine, create)


def memory_store() -> Engine:
    """A private in-memory SQLite database (for ``--data DIR`` runs and tests)."""
    engine = create_engine("sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False})
    return _prepare(engine, create=True)
