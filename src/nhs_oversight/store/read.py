"""Reading frames back from the database for the rules."""

from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy import Engine, select

from .tables import DATA_TABLES, import_files, imports, meta

__all__ = ["read_table", "import_log", "is_empty", "data_version"]


def read_table(engine: Engine, name: str, **equals: Any) -> pd.DataFrame:
    """A data table as a frame, optionally filtered by column equality (a list means IN).

    Parameters
    ----------
    engine : sqlalchemy.Engine
    name : str
        ``organisations``, ``infections``, ``denominators``, …
    **equals
        ``org_code="RTH"`` or ``month=["2012-04", "2012-05"]``.
    """
    table = DATA_TABLES[name]
    stmt = select(table)
    for col, value in equals.items():
        if isinstance(value, (list, tuple, set)):
            stmt = stmt.where(table.c[col].in_(list(value)))
        else:
            stmt = stmt.where(table.c[col] == value)
    with engine.connect() as conn:
        frame = pd.read_sql(stmt, conn)
    return frame[[c.name for c in table.columns]]


def is_empty(engine: Engine) -> bool:
    """Whether the database has no organisations yet."""
    with engine.connect() as conn:
        return conn.execute(select(DATA_TABLES["organisations"].c.code).limit(1)).first() is None


def import_log(engine: Engine) -> pd.DataFrame:
    """Every import: when, from where, how, and each file's rows and checksum."""
    stmt = (
        select(
            imports.c.id,
            imports.c.started_at,
            imports.c.source,
            imports.c.mode,
            imports.c.version,
            import_files.c.table_name,
            import_files.c.file_name,
            import_files.c.rows,
            import_files.c.sha256,
        )
        .join(import_files, import_files.c.import_id == imports.c.id, isouter=True)
        .order_by(imports.c.id, import_files.c.table_name)
    )
    with engine.connect() as conn:
        rows = conn.execute(stmt).all()
    return pd.DataFrame(
        rows, columns=["import_id", "started_at", "source", "mode", "version", "table", "file", "rows", "sha256"]
    )


def data_version(engine: Engine) -> int:
    """A number raised by every import and every decision: results computed at one
    ``data_version`` hold until it changes (a key for caching results)."""
    with engine.connect() as conn:
        value = conn.execute(select(meta.c.value).where(meta.c.key == "data_version")).scalar_one()
    return int(value)
