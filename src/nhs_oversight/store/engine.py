"""Which database, and opening it: the embedded SQLite file by default, any SQLAlchemy URL
by ``--db`` (or ``$OVERSIGHT_DB``)."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs
from sqlalchemy import Engine, create_engine, event, inspect, select, update
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.pool import StaticPool

from .tables import SCHEMA_VERSION, meta, metadata

__all__ = ["StoreError", "default_db_url", "resolve_db_url", "open_store", "memory_store"]


class StoreError(RuntimeError):
    """The database cannot be opened or is of another schema version."""


def default_db_url() -> str:
    """``$OVERSIGHT_DB``, else ``sqlite:///<user data dir>/nhs-oversight/oversight.sqlite``."""
    env = os.environ.get("OVERSIGHT_DB")
    if env:
        return resolve_db_url(env)
    path = platformdirs.user_data_path("nhs-oversight", appauthor=False) / "oversight.sqlite"
    return f"sqlite:///{path}"


def resolve_db_url(db: str | Path | None) -> str:
    """A SQLAlchemy URL from ``--db``: a URL as it is, a plain path as a SQLite file."""
    if db is None or str(db) == "":
        return default_db_url()
    text = str(db)
    if "://" in text:
        return text
    return f"sqlite:///{Path(text).expanduser().resolve()}"


def _sqlite_pragmas(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record) -> None:  # pragma: no cover - trivial
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()


def _prepare(engine: Engine) -> Engine:
    if engine.dialect.name == "sqlite":
        _sqlite_pragmas(engine)
    try:
        with engine.begin() as conn:
            existing = set(inspect(conn).get_table_names())
            version = None
            if "meta" in existing:
                row = conn.execute(select(meta.c.value).where(meta.c.key == "schema_version")).first()
                version = None if row is None else int(row[0])
                if version is not None and version > SCHEMA_VERSION:
                    raise StoreError(
                        f"{engine.url.render_as_string(hide_password=True)}: database schema version {version}, "
                        f"newer than this release's {SCHEMA_VERSION}; upgrade nhs-oversight"
                    )
            metadata.create_all(conn)  # creates only the tables that are missing: the upgrade path
            if "meta" not in existing:
                conn.execute(meta.insert().values(key="schema_version", value=str(SCHEMA_VERSION)))
            elif version != SCHEMA_VERSION:
                conn.execute(update(meta).where(meta.c.key == "schema_version").values(value=str(SCHEMA_VERSION)))
    except OperationalError as exc:
        raise StoreError(
            f"cannot open the database {engine.url.render_as_string(hide_password=True)}: {exc.orig}"
        ) from None
    return engine


def open_store(db: str | Path | None = None) -> Engine:
    """Open (and create if needed) the database named by ``--db``."""
    url = resolve_db_url(db)
    if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    try:
        engine = create_engine(url)
    except (ArgumentError, ImportError) as exc:
        raise StoreError(f"cannot use the database URL {url!r}: {exc}") from None
    return _prepare(engine)


def memory_store() -> Engine:
    """A private in-memory SQLite database (for ``--data DIR`` runs and tests)."""
    engine = create_engine("sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False})
    return _prepare(engine)
