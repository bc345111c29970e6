"""Loading a validated data set into the database: one transaction, all or nothing.

A re-import **merges**: a row whose key is already in the database replaces it, new keys
are added, and rows the folder does not mention stay. ``replace=True`` empties every data
table first (in the same transaction), so the database then holds exactly the folder.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from sqlalchemy import Connection, Engine, Table, and_, bindparam, delete, select, update
from sqlalchemy.exc import DBAPIError

from .. import __version__
from ..inputs import DataSet
from .engine import StoreError, bump_data_version, describe_url, driver_message, write_transaction
from .summaries import refresh_summaries
from .tables import DATA_TABLES, import_files, imports

__all__ = ["ImportSummary", "load_dataset"]

_CHUNK = 5000
#: Rows of a frame turned into tuples and written at a time.
_SLICE = 100_000
_MISSING: Any = object()


@dataclass
class ImportSummary:
    """What an import did."""

    import_id: int
    inserted: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)

    @property
    def total_inserted(self) -> int:
        return sum(self.inserted.values())

    @property
    def total_updated(self) -> int:
        return sum(self.updated.values())


def _rows(frame: pd.DataFrame, table: Table) -> list[tuple[Any, ...]]:
    """The frame's rows as tuples in the table's column order, with None for missing values."""
    obj = frame[[c.name for c in table.columns]].astype(object)
    return list(obj.where(obj.notna(), None).itertuples(index=False, name=None))


def _insert(conn: Connection, table: Table, rows: list[tuple[Any, ...]]) -> None:
    """Insert rows through the driver's bulk path, in the caller's transaction.

    PostgreSQL: ``COPY … FROM STDIN`` (psycopg's ``cursor.copy``). SQLite: the driver's
    ``executemany``, values converted by the columns' own SQLAlchemy types (dates as ISO
    text, booleans as 0/1). Other databases: SQLAlchemy's ``executemany``.
    """
    if not rows:
        return
    quote = conn.dialect.identifier_preparer
    name = quote.format_table(table)
    cols = ", ".join(quote.quote(c.name) for c in table.columns)
    raw = conn.connection.driver_connection
    assert raw is not None
    if conn.dialect.name == "postgresql" and conn.dialect.driver == "psycopg":
        with raw.cursor() as cur, cur.copy(f"COPY {name} ({cols}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    elif conn.dialect.name == "sqlite":
        processors = [c.type.bind_processor(conn.dialect) for c in table.columns]
        if any(processors):
            rows = [tuple(p(v) if p and v is not None else v for p, v in zip(processors, r)) for r in rows]
        sql = f"INSERT INTO {name} ({cols}) VALUES ({', '.join('?' * len(table.columns))})"
        cur = raw.cursor()
        try:
            for start in range(0, len(rows), _CHUNK):
                cur.executemany(sql, rows[start : start + _CHUNK])
        finally:
            cur.close()
    else:
        names = [c.name for c in table.columns]
        for start in range(0, len(rows), _CHUNK):
            conn.execute(table.insert(), [dict(zip(names, r)) for r in rows[start : start + _CHUNK]])


def _write_table(conn: Connection, table: Table, frame: pd.DataFrame, merge: bool) -> tuple[int, int]:
    """Insert new keys and update changed rows of existing keys; return (inserted, updated).

    Rows whose key exists with the same values are left alone, so re-importing the same
    data changes nothing.
    """
    names = [c.name for c in table.columns]
    keys = [c.name for c in table.primary_key.columns]
    key_at = [names.index(k) for k in keys]
    others = [c for c in names if c not in keys]
    other_at = [names.index(c) for c in others]
    existing: dict[tuple, tuple] = {}
    if merge and conn.execute(select(table.c[keys[0]]).limit(1)).first() is not None:
        for row in conn.execute(select(*[table.c[k] for k in keys], *[table.c[c] for c in others])):
            existing[tuple(row[: len(keys)])] = tuple(row[len(keys) :])
    stmt = None
    if others:
        stmt = (
            update(table)
            .where(and_(*[table.c[k] == bindparam(f"k_{k}") for k in keys]))
            .values({c: bindparam(f"v_{c}") for c in others})
        )
    inserted = updated = 0
    # a slice at a time: the rows as tuples never exist for the whole table at once
    for start in range(0, len(frame), _SLICE):
        fresh, changed = [], []
        for r in _rows(frame.iloc[start : start + _SLICE], table):
            if not existing:
                fresh.append(r)
                continue
            key = tuple(r[i] for i in key_at)
            old = existing.get(key, _MISSING)
            if old is _MISSING:
                fresh.append(r)
            elif old != tuple(r[i] for i in other_at):
                changed.append(r)
        _insert(conn, table, fresh)
        if changed and stmt is not None:
            params = [
                {
                    **{f"k_{k}": r[i] for k, i in zip(keys, key_at)},
                    **{f"v_{c}": r[i] for c, i in zip(others, other_at)},
                }
                for r in changed
            ]
            for at in range(0, len(params), _CHUNK):
                conn.execute(stmt, params[at : at + _CHUNK])
        inserted += len(fresh)
        updated += len(changed)
    return inserted, updated


def _write(
    conn: Connection,
    data: DataSet,
    summary: ImportSummary,
    *,
    replace: bool,
    started: dt.datetime,
    clock: Callable[[], dt.datetime],
    progress: Callable[[str], None] | None,
) -> None:
    """The import's writes, in the caller's write transaction."""
    if replace:
        for table in reversed(DATA_TABLES.values()):
            conn.execute(delete(table))
    for name, table in DATA_TABLES.items():
        if name not in data.tables:
            continue
        if progress:
            progress(name)
        ins, upd = _write_table(conn, table, data.tables[name], merge=not replace)
        summary.inserted[name], summary.updated[name] = ins, upd
    if replace or "infections" in data.tables:
        if progress:
            progress("quarterly sums")
        refresh_summaries(conn)
    result = conn.execute(
        imports.insert().values(
            started_at=started,
            finished_at=clock(),
            source=data.source,
            mode="replace" if replace else "merge",
            version=__version__,
            rows_inserted=summary.total_inserted,
            rows_updated=summary.total_updated,
        )
    )
    key = result.inserted_primary_key
    assert key is not None
    summary.import_id = int(key[0])
    if data.files:
        conn.execute(
            import_files.insert(),
            [
                {
                    "import_id": summary.import_id,
                    "table_name": f.table,
                    "file_name": f.name,
                    "rows": f.rows,
                    "sha256": f.sha256,
                    "size": f.size,
                }
                for f in data.files
            ],
        )
    bump_data_version(conn)


def load_dataset(
    engine: Engine,
    data: DataSet,
    *,
    replace: bool = False,
    clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    progress: Callable[[str], None] | None = None,
) -> ImportSummary:
    """Write a validated data set and its import-log entry in one transaction.

    Parameters
    ----------
    engine : sqlalchemy.Engine
    data : DataSet
        From :func:`nhs_oversight.inputs.read_data_folder`.
    replace : bool
        Empty every data table first, so the database holds exactly this data set.
    clock : callable
        The time source for the log (IO at the edge; tests pass a fixed clock).
    progress : callable, optional
        Called with each table's name as it is written.

    Returns
    -------
    ImportSummary

    Raises
    ------
    StoreError
        The database refused a write (nothing was written), or stayed busy with another
        writer for longer than :data:`.engine.BUSY_TIMEOUT`.

    Notes
    -----
    Any failure rolls the whole transaction back: the database is left exactly as it was.
    The transaction holds the database's write lock (:func:`.engine.write_transaction`), so
    two imports started at once take turns, the second merging into what the first wrote.
    Every import raises the database's ``data_version``.
    """
    started = clock()
    summary = ImportSummary(import_id=0)
    driver_error = getattr(engine.dialect.loaded_dbapi, "Error", DBAPIError)
    try:
        with write_transaction(engine) as conn:
            _write(conn, data, summary, replace=replace, started=started, clock=clock, progress=progress)
    except (DBAPIError, driver_error) as exc:
        raise StoreError(
            f"{describe_url(engine.url)} refused the import, so nothing was written: {driver_message(exc, engine.url)}"
        ) from None
    return summary
