"""Loading data into the database: one transaction, all or nothing.

A re-import **merges**: a row whose key is already in the database replaces it, new keys
are added, and rows the folder does not mention stay. ``replace=True`` empties every data
table first (in the same transaction), so the database then holds exactly the folder.

Two ways in: :func:`load_stream` (``oversight import``) writes a data folder as it is read,
chunk by chunk, so that memory does not grow with the folder; :func:`load_dataset` writes
a :class:`~nhs_oversight.inputs.DataSet` already in memory (the demo, ``--data`` runs,
published tables). Both merge the same way, in SQL.

Decisions
---------
- **Every table passes through a staging table.** Its rows are written, with each row's
  number in its file, into a temporary table of the transaction's own connection (``TEMP``:
  no other connection sees it; SQLite keeps it in its temporary file, PostgreSQL does not
  log it), through the driver's bulk path: ``COPY … FROM STDIN`` on PostgreSQL,
  ``executemany`` on SQLite. From there:

  * *duplicate keys* within a file are found by the database, ``GROUP BY`` the key
    ``HAVING count(*) > 1``, and only when there are some, a window over the key names each
    repeated row and the row it repeats. Memory does not grow with the file, where a Python
    set of its keys would (some 400 bytes a key: gigabytes for a hundred times national
    size), and the same query serves both backends. A set of key hashes would be smaller
    but still grow with the file, and could collide;
  * the *merge* is two statements: ``UPDATE … FROM staging`` for the keys that exist and
    whose values differ (``IS DISTINCT FROM``), then ``INSERT … SELECT … WHERE NOT EXISTS``
    for the new keys; their row counts are the updated and the inserted rows. The keys
    already in the database stay there (no longer read into a dict);
  * *nothing is written to the data tables before the whole folder has passed*: a problem
    anywhere, even in the last chunk of the last file, leaves them untouched, and the
    transaction (its staging tables too) is rolled back.

  The price is that every row is written twice, once into staging, once into its table.
- **A bulk load into an empty table on SQLite rebuilds its secondary indexes**: they are
  dropped before the ``INSERT … SELECT`` and created after it, one sort each instead of a
  random b-tree insert per row (infections at 100 × national size: 11 s instead of 29 s).
  Not on PostgreSQL, where ``DROP INDEX`` would lock readers out of the table until the
  import commits.
- **Validation runs inside the write transaction** (:func:`.engine.write_transaction`), so
  the write lock is held while the folder is read: about a second at national size, about a
  minute at 100 ×, where it was held only while writing (some 40 s). Another writer waits
  its turn, as before, for up to :data:`.engine.BUSY_TIMEOUT`; readers are not held up.
- **A new SQLite database appears only when the import commits.** It is built in a hidden
  file beside it and moved into place then (:func:`load_stream_into_new`), so a refused
  folder leaves no database behind, as when the folder was read before anything was opened.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Engine,
    MetaData,
    String,
    Table,
    Text,
    and_,
    create_engine,
    delete,
    exists,
    func,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from .. import __version__
from ..inputs import MAX_PROBLEMS, DataSet
from ..inputs.stream import FileInfo, FolderStream, TableChunks
from .engine import StoreError, bump_data_version, describe_url, driver_message, open_store, write_transaction
from .summaries import refresh_summaries
from .tables import DATA_TABLES, import_files, imports

__all__ = [
    "ImportSummary",
    "DatabaseAppeared",
    "load_dataset",
    "load_stream",
    "load_stream_into_new",
    "check_stream",
]

_CHUNK = 5000
#: Rows of a frame turned into Python values and staged at a time.
_SLICE = 100_000
#: The staging tables' names: the data table's name after this.
_STAGE = "oversight_staging_"
#: The staging column holding each row's number in its file (NULL: a row from no file).
_ROW = "src_row"


@dataclass
class ImportSummary:
    """What an import did.

    Attributes
    ----------
    import_id : int
    inserted, updated : dict of str to int
        Rows per table added, and rows whose key was there with other values.
    rows : dict of str to int
        Rows per table the folder gave (those unchanged are the rest).
    """

    import_id: int
    inserted: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)

    @property
    def total_inserted(self) -> int:
        return sum(self.inserted.values())

    @property
    def total_updated(self) -> int:
        return sum(self.updated.values())


class DatabaseAppeared(StoreError):
    """Another import created the new database while this one was building it."""


# -- writing rows through the driver's bulk path ----------------------------------------------


def _insert(conn: Connection, table: Table, columns: list[list[Any]]) -> None:
    """Insert rows, given column by column, through the driver's bulk path, in the caller's
    transaction.

    PostgreSQL: ``COPY … FROM STDIN`` (psycopg's ``cursor.copy``). SQLite: the driver's
    ``executemany``, values converted by the columns' own SQLAlchemy types (dates as ISO
    text, booleans as 0/1). Other databases: SQLAlchemy's ``executemany``.
    """
    if not columns or not columns[0]:
        return
    quote = conn.dialect.identifier_preparer
    name = quote.format_table(table)
    cols = ", ".join(quote.quote(c.name) for c in table.columns)
    raw = conn.connection.driver_connection
    assert raw is not None
    if conn.dialect.name == "postgresql" and conn.dialect.driver == "psycopg":
        with raw.cursor() as cur, cur.copy(f"COPY {name} ({cols}) FROM STDIN") as copy:
            for row in zip(*columns):
                copy.write_row(row)
    elif conn.dialect.name == "sqlite":
        processors = [c.type.bind_processor(conn.dialect) for c in table.columns]
        columns = [
            [p(v) if v is not None else v for v in values] if p else values for p, values in zip(processors, columns)
        ]
        sql = f"INSERT INTO {name} ({cols}) VALUES ({', '.join('?' * len(table.columns))})"
        cur = raw.cursor()
        try:
            cur.executemany(sql, zip(*columns))
        finally:
            cur.close()
    else:
        names = [c.name for c in table.columns]
        rows = list(zip(*columns))
        for start in range(0, len(rows), _CHUNK):
            conn.execute(table.insert(), [dict(zip(names, r)) for r in rows[start : start + _CHUNK]])


def _values(cells: pd.Series) -> list[Any]:
    """A column's cells as Python values, None for a missing one."""
    missing = cells.isna()
    if not missing.any():
        return cells.tolist()
    return cells.astype(object).where(~missing, None).tolist()


# -- staging ------------------------------------------------------------------------------------


def _staging_table(table: Table) -> Table:
    """The temporary table a data table's rows are staged in: each row's number in its file,
    then the table's columns, without constraints (text of any length: a refused cell is
    still staged, for the search for duplicate keys)."""
    columns = [Column(_ROW, BigInteger)] + [
        Column(c.name, Text() if isinstance(c.type, String) else c.type) for c in table.columns
    ]
    return Table(_STAGE + table.name, MetaData(), *columns, prefixes=["TEMPORARY"])


def _stage(conn: Connection, table: Table, staging: Table, frame: pd.DataFrame, numbered: bool) -> None:
    """Write a frame's rows (the table's columns, typed) into ``staging``, a slice at a time,
    with their numbers in their file (the frame's index) when ``numbered``."""
    for start in range(0, len(frame), _SLICE):
        part = frame.iloc[start : start + _SLICE]
        rows = part.index.tolist() if numbered else [None] * len(part)
        _insert(conn, staging, [rows, *(_values(part[c.name]) for c in table.columns)])


def _duplicates(
    conn: Connection, staging: Table, keys: list[str], cap: int
) -> tuple[list[tuple[int, tuple, int]], int]:
    """The staged rows whose key is on an earlier row: the first ``cap`` of them in row order,
    each as (row, key values, first row with that key), and how many there are.

    A key cell that is empty or was refused is NULL here: such cells are one value to
    ``GROUP BY`` and ``PARTITION BY``, as to pandas, and are shown as pandas shows them (``nan``).
    """
    row = staging.c[_ROW]
    key = [staging.c[k] for k in keys]
    numbered = row.is_not(None)
    probe = select(literal(1)).select_from(staging).where(numbered).group_by(*key).having(func.count() > 1).limit(1)
    if conn.execute(probe).first() is None:
        return [], 0
    window = select(row.label("row"), *key, func.min(row).over(partition_by=key).label("first")).where(numbered)
    ranked = window.subquery()
    repeated = select(ranked).where(ranked.c.row > ranked.c.first)
    total = conn.execute(select(func.count()).select_from(repeated.subquery())).scalar_one()
    found = [
        (r[0], tuple(float("nan") if v is None else v for v in r[1:-1]), r[-1])
        for r in conn.execute(repeated.order_by(ranked.c.row).limit(cap))
    ]
    return found, int(total)


@contextmanager
def _indexes_rebuilt(conn: Connection, table: Table) -> Iterator[None]:
    """On SQLite, drop the table's secondary indexes for a bulk load and create them after it."""
    indexes = sorted(table.indexes, key=lambda i: str(i.name)) if conn.dialect.name == "sqlite" else []
    for index in indexes:
        index.drop(conn, checkfirst=True)
    yield
    for index in indexes:
        index.create(conn)


def _merge(conn: Connection, table: Table, staging: Table, *, merge: bool) -> tuple[int, int]:
    """Write the staged rows into ``table``; return (inserted, updated).

    A key already in the table is updated when any of its other values differ and left
    alone otherwise, so re-importing the same data changes nothing; a new key is inserted.
    ``merge`` false: the table was emptied, every row is inserted.
    """
    names = [c.name for c in table.columns]
    staged = select(*[staging.c[n] for n in names])
    counted = {"preserve_rowcount": True}  # SQLAlchemy keeps an INSERT's row count only when asked
    empty = not merge or conn.execute(select(literal(1)).select_from(table).limit(1)).first() is None
    if empty:
        with _indexes_rebuilt(conn, table):
            return conn.execute(table.insert().from_select(names, staged), execution_options=counted).rowcount, 0
    keys = [c.name for c in table.primary_key.columns]
    others = [n for n in names if n not in keys]
    same_key = and_(*[table.c[k] == staging.c[k] for k in keys])
    changed = or_(*[table.c[c].is_distinct_from(staging.c[c]) for c in others])
    updating = update(table).values({c: staging.c[c] for c in others}).where(same_key, changed)
    updated = conn.execute(updating, execution_options=counted).rowcount
    inserting = table.insert().from_select(names, staged.where(~exists().where(same_key)))
    inserted = conn.execute(inserting, execution_options=counted).rowcount
    return inserted, updated


def _write_table(conn: Connection, table: Table, frame: pd.DataFrame, merge: bool) -> tuple[int, int]:
    """Merge a whole frame into ``table`` (through staging, a slice at a time); return
    (inserted, updated)."""
    staging = _staging_table(table)
    staging.create(conn)
    _stage(conn, table, staging, frame, numbered=False)
    counts = _merge(conn, table, staging, merge=merge)
    staging.drop(conn)
    return counts


def _stage_stream(conn: Connection, stream: FolderStream) -> list[tuple[TableChunks, Table]]:
    """Stage every table of the folder as it streams, find duplicate keys, and return the
    staged tables once the whole folder has passed.

    Raises
    ------
    InputError
        With every problem of the folder (nothing has been written to the data tables).
    """
    staged = []
    for chunks in stream.tables():
        table = DATA_TABLES[chunks.name]
        staging = _staging_table(table)
        staging.create(conn)
        for chunk in chunks:
            _stage(conn, table, staging, chunk.frame, chunk.numbered)
            del chunk  # not held while the next one is read
        if not chunks.keys_checked and not chunks.failed:
            found, total = _duplicates(conn, staging, [c.name for c in table.primary_key.columns], MAX_PROBLEMS)
            if total:
                stream.duplicates(chunks, found, total)
        staged.append((chunks, staging))
    stream.finish()
    return staged


def _rows(staged: list[tuple[TableChunks, Table]]) -> dict[str, int]:
    """The rows of each staged table, in the order of reports."""
    return {chunks.name: chunks.rows for chunks, _ in sorted(staged, key=lambda s: s[0].position)}


# -- the import ---------------------------------------------------------------------------------


def _log(
    conn: Connection,
    summary: ImportSummary,
    *,
    source: str,
    files: list[FileInfo],
    replace: bool,
    started: dt.datetime,
    clock: Callable[[], dt.datetime],
) -> None:
    """The import's log entry and its files; the data version raised."""
    result = conn.execute(
        imports.insert().values(
            started_at=started,
            finished_at=clock(),
            source=source,
            mode="replace" if replace else "merge",
            version=__version__,
            rows_inserted=summary.total_inserted,
            rows_updated=summary.total_updated,
        )
    )
    key = result.inserted_primary_key
    assert key is not None
    summary.import_id = int(key[0])
    if files:
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
                for f in files
            ],
        )
    bump_data_version(conn)


def _refresh(conn: Connection, replace: bool, names: list[str], progress: Callable[[str], None] | None) -> None:
    """Rebuild the infection sums when the import may have changed ``infections``."""
    if replace or "infections" in names:
        if progress:
            progress("quarterly sums")
        refresh_summaries(conn)


def _clear(conn: Connection) -> None:
    """Empty every data table (``replace``), in the caller's transaction.

    On SQLite the tables are dropped and created again (with their indexes): with foreign
    keys on, SQLite deletes every row one by one, updating each index (20 s for the 6.7 M
    infections of 100 × national size), where dropping a table frees its pages at once (1.5 s).
    """
    tables = list(DATA_TABLES.values())
    if conn.dialect.name == "sqlite":
        for table in reversed(tables):  # the tables that refer to organisations first
            table.drop(conn)
        for table in tables:
            table.create(conn)
        return
    for table in reversed(tables):
        conn.execute(delete(table))


@contextmanager
def _refused_as_store_error(engine: Engine) -> Iterator[None]:
    """A driver's refusal as a :class:`StoreError` of one line (the transaction is rolled back)."""
    driver_error = getattr(engine.dialect.loaded_dbapi, "Error", DBAPIError)
    try:
        yield
    except (DBAPIError, driver_error) as exc:
        raise StoreError(
            f"{describe_url(engine.url)} refused the import, so nothing was written: {driver_message(exc, engine.url)}"
        ) from None


def load_stream(
    engine: Engine,
    stream: FolderStream,
    *,
    replace: bool = False,
    clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    progress: Callable[[str], None] | None = None,
) -> ImportSummary:
    """Validate a data folder and write it as it streams, with its import-log entry, in one
    transaction (``oversight import``).

    Parameters
    ----------
    engine : sqlalchemy.Engine
    stream : FolderStream
        The folder, read chunk by chunk (:class:`nhs_oversight.inputs.stream.FolderStream`).
    replace : bool
        Empty every data table first, so the database holds exactly this folder.
    clock : callable
        The time source for the log (IO at the edge; tests pass a fixed clock).
    progress : callable, optional
        Called with each table's name as it is written.

    Returns
    -------
    ImportSummary

    Raises
    ------
    InputError
        The folder has problems: every one of them, each naming file, row and column.
        Nothing was written.
    StoreError
        The database refused a write (nothing was written), or stayed busy with another
        writer for longer than :data:`.engine.BUSY_TIMEOUT`.

    Notes
    -----
    Memory is bounded by the chunk (:func:`nhs_oversight.inputs.readers.chunk_rows`: at most
    ``CHUNK_ROWS`` rows and ``CHUNK_CELLS`` cells), the organisations and the case-level
    reports, not by the folder: the rows wait in staging tables until the whole folder has
    passed (module docstring).
    """
    started = clock()
    summary = ImportSummary(import_id=0)
    with _refused_as_store_error(engine), write_transaction(engine) as conn:
        staged = _stage_stream(conn, stream)
        if replace:
            _clear(conn)
        for chunks, staging in sorted(staged, key=lambda s: list(DATA_TABLES).index(s[0].name)):  # load order
            if progress:
                progress(chunks.name)
            ins, upd = _merge(conn, DATA_TABLES[chunks.name], staging, merge=not replace)
            summary.inserted[chunks.name], summary.updated[chunks.name] = ins, upd
            staging.drop(conn)
        summary.rows = _rows(staged)
        _refresh(conn, replace, list(summary.rows), progress)
        _log(conn, summary, source=stream.source, files=stream.files, replace=replace, started=started, clock=clock)
    return summary


def check_stream(stream: FolderStream) -> dict[str, int]:
    """Validate a data folder as :func:`load_stream` does, writing nothing (``--dry-run``).

    The rows are staged in a scratch SQLite database in a temporary folder, deleted after.

    Returns
    -------
    dict of str to int
        The rows of each table.

    Raises
    ------
    InputError
        With every problem of the folder.
    """
    with tempfile.TemporaryDirectory(prefix="oversight-check-") as folder:
        engine = create_engine(f"sqlite:///{Path(folder) / 'staging.sqlite'}")
        try:
            with engine.connect() as conn, conn.begin():
                return _rows(_stage_stream(conn, stream))
        finally:
            engine.dispose()


def _missing_folders(folder: Path) -> list[Path]:
    """``folder`` and those of its parents that do not exist yet, deepest first."""
    missing = []
    while not folder.exists() and folder != folder.parent:
        missing.append(folder)
        folder = folder.parent
    return missing


def _move_into_place(built: Path, path: Path) -> None:
    """Give the built database its name, never over a database that appeared meanwhile."""
    try:
        os.link(built, path)
    except FileExistsError:
        raise DatabaseAppeared(f"{path} was created by another import meanwhile") from None
    except OSError:  # a file system without hard links
        if path.exists():
            raise DatabaseAppeared(f"{path} was created by another import meanwhile") from None
        os.replace(built, path)
        return
    built.unlink()


def load_stream_into_new(
    url: str,
    stream: FolderStream,
    *,
    replace: bool = False,
    clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    progress: Callable[[str], None] | None = None,
) -> ImportSummary:
    """:func:`load_stream` into a SQLite database that does not exist yet, which appears
    only if the import succeeds.

    The database is built in a hidden file beside it (``.NAME.PID-RANDOM.importing``) and
    given its name once committed; a refused folder leaves nothing behind (nor the folders made for it).

    Raises
    ------
    DatabaseAppeared
        Another import created the database meanwhile (nothing of this one was kept): import
        again, into it.
    InputError, StoreError
        As :func:`load_stream`.
    """
    parsed = make_url(url)
    path = Path(str(parsed.database))
    made = _missing_folders(path.parent)
    built = path.with_name(f".{path.name}.{os.getpid()}-{secrets.token_hex(4)}.importing")
    try:
        engine = open_store(parsed.set(database=str(built)).render_as_string(hide_password=False), create=True)
        try:
            summary = load_stream(engine, stream, replace=replace, clock=clock, progress=progress)
        finally:
            engine.dispose()
        _move_into_place(built, path)
    except StoreError as exc:
        _remove(built, made)
        if isinstance(exc, DatabaseAppeared):
            raise
        raise StoreError(str(exc).replace(str(built), str(path))) from None
    except BaseException:
        _remove(built, made)
        raise
    return summary


def _remove(built: Path, made: list[Path]) -> None:
    """Delete a database that was being built, and the folders made for it if left empty."""
    for leftover in (built, built.with_name(built.name + "-journal")):
        leftover.unlink(missing_ok=True)
    for folder in made:
        try:
            folder.rmdir()
        except OSError:
            break


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
    summary = ImportSummary(import_id=0, rows=data.rows())
    with _refused_as_store_error(engine), write_transaction(engine) as conn:
        if replace:
            _clear(conn)
        for name, table in DATA_TABLES.items():
            if name not in data.tables:
                continue
            if progress:
                progress(name)
            ins, upd = _write_table(conn, table, data.tables[name], merge=not replace)
            summary.inserted[name], summary.updated[name] = ins, upd
        _refresh(conn, replace, list(data.tables), progress)
        _log(conn, summary, source=data.source, files=data.files, replace=replace, started=started, clock=clock)
    return summary
