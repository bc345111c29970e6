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

from .. import __version__
from ..inputs import DataSet
from .tables import DATA_TABLES, import_files, imports

__all__ = ["ImportSummary", "load_dataset"]

_CHUNK = 5000


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


def _records(frame: pd.DataFrame, table: Table) -> list[dict[str, Any]]:
    cols = [c.name for c in table.columns]
    obj = frame[cols].astype(object)
    return obj.where(obj.notna(), None).to_dict("records")


def _key_names(table: Table) -> list[str]:
    return [c.name for c in table.primary_key.columns]


def _write_table(conn: Connection, table: Table, frame: pd.DataFrame, merge: bool) -> tuple[int, int]:
    """Insert new keys and update changed rows of existing keys; return (inserted, updated).

    Rows whose key exists with the same values are left alone, so re-importing the same
    data changes nothing.
    """
    records = _records(frame, table)
    keys = _key_names(table)
    others = [c.name for c in table.columns if c.name not in keys]
    existing: dict[tuple, tuple] = {}
    if merge:
        for row in conn.execute(select(*[table.c[k] for k in keys], *[table.c[c] for c in others])):
            existing[tuple(row[: len(keys)])] = tuple(row[len(keys) :])
    fresh, changed = [], []
    for r in records:
        key = tuple(r[k] for k in keys)
        if key not in existing:
            fresh.append(r)
        elif existing[key] != tuple(r[c] for c in others):
            changed.append(r)
    for start in range(0, len(fresh), _CHUNK):
        conn.execute(table.insert(), fresh[start : start + _CHUNK])
    if changed and others:
        stmt = (
            update(table)
            .where(and_(*[table.c[k] == bindparam(f"k_{k}") for k in keys]))
            .values({c: bindparam(f"v_{c}") for c in others})
        )
        params = [{**{f"k_{k}": r[k] for k in keys}, **{f"v_{c}": r[c] for c in others}} for r in changed]
        for start in range(0, len(params), _CHUNK):
            conn.execute(stmt, params[start : start + _CHUNK])
    return len(fresh), len(changed)


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

    Notes
    -----
    Any failure rolls the whole transaction back: the database is left exactly as it was.
    """
    started = clock()
    summary = ImportSummary(import_id=0)
    with engine.begin() as conn:
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
    return summary
