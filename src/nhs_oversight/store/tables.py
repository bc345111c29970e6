"""The database tables: one per data-folder table of DATA.md, plus the import log.

Periods are stored in their canonical text (``2012-07``, ``2012-13``, ``2012-13-Q2``),
which sorts in time order.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Connection,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    event,
)
from sqlalchemy.types import TypeEngine

from ..inputs.schemas import SCHEMAS, Type

__all__ = [
    "metadata",
    "DATA_TABLES",
    "INDEXES",
    "OBSOLETE_INDEXES",
    "imports",
    "import_files",
    "meta",
    "decisions",
    "infection_quarters",
    "infection_years",
    "SCHEMA_VERSION",
]

#: Bumped whenever a table changes shape. Version 2 added ``decisions``; version 3 added the
#: indexes of ``INDEXES`` and the ``data_version`` row of ``meta``. An older database is
#: upgraded in place (missing tables, indexes and meta rows are created), a newer one is refused.
#: Version 4 added ``infection_quarters`` and ``infection_years`` (filled from ``infections`` on
#: upgrade) and made the indicators' quarter index covering (``OBSOLETE_INDEXES`` are dropped).
SCHEMA_VERSION = 4

metadata = MetaData()

_SQL_TYPES: dict[Type, Callable[[], TypeEngine[Any]]] = {
    Type.CODE: lambda: String(10),
    Type.ID: lambda: String(64),
    Type.ENUM: lambda: String(32),
    Type.COUNT: Integer,
    Type.NUMBER: Float,
    Type.NONNEG: Float,
    Type.MONTH: lambda: String(7),
    Type.YEAR: lambda: String(7),
    Type.QUARTER: lambda: String(10),
    Type.PERIOD: lambda: String(10),
    Type.DATE: Date,
    Type.BOOL: Boolean,
    Type.TEXT: Text,
}


def _data_table(name: str) -> Table:
    schema = SCHEMAS[name]
    cols = []
    for c in schema.columns:
        args = []
        if c.name in schema.org_columns:
            args.append(ForeignKey("organisations.code"))
        cols.append(
            Column(
                c.name,
                _SQL_TYPES[c.type](),
                *args,
                primary_key=c.name in schema.key,
                nullable=c.nullable and c.name not in schema.key,
            )
        )
    return Table(name, metadata, *cols)


#: Data tables in load order (organisations first).
DATA_TABLES: dict[str, Table] = {name: _data_table(name) for name in SCHEMAS}

#: Secondary indexes: the columns the read paths filter on (``service/``) that do not lead a
#: primary key. Filters on ``org_code`` alone need none: every primary key with an
#: ``org_code`` starts with it (``infections``: org_code, organism, month, apportionment).
INDEXES: dict[str, list[tuple[str, ...]]] = {
    "infections": [("organism", "month"), ("month",)],  # objectives by organism and months; counts by months
    "cases": [("organism",)],
    "denominators": [("financial_year",)],
    "objectives": [("organism", "financial_year")],
    # covering: a quarter's failed indicators are read from the index alone
    "indicators": [("quarter", "met", "org_code", "indicator")],
    "financials": [("period",)],
    "events": [("org_code",)],
}
#: Indexes of earlier schema versions that later ones replaced: dropped on upgrade.
OBSOLETE_INDEXES = ("ix_indicators_quarter",)

for _name, _indexes in INDEXES.items():
    for _cols in _indexes:
        Index(f"ix_{_name}_{'_'.join(_cols)}", *[DATA_TABLES[_name].c[c] for c in _cols])

#: Derived, never imported: the ``infections`` table summed by financial-year quarter (one row per
#: organisation, organism, apportionment and quarter, with the number of months that have a
#: row), rebuilt by every import in its own transaction (:func:`.summaries.refresh_summaries`).
#: The assessments read year-to-date, baseline and quarterly sums from it: a third of the rows
#: of ``infections`` and no per-row date arithmetic. ``start_year`` is the financial year's
#: first calendar year (2012 for 2012-13), ``quarter`` 1 to 4.
#: Keyed organisation, organism, period, apportionment: a read of some quarters seeks them
#: whatever the apportionments; stored in key order on SQLite (``WITHOUT ROWID``).
infection_quarters = Table(
    "infection_quarters",
    metadata,
    Column("org_code", String(10), primary_key=True),
    Column("organism", String(32), primary_key=True),
    Column("start_year", Integer, primary_key=True),
    Column("quarter", Integer, primary_key=True),
    Column("apportionment", String(32), primary_key=True),
    Column("cases", BigInteger, nullable=False),
    Column("months", Integer, nullable=False),
    sqlite_with_rowid=False,
)
Index("ix_infection_quarters_start_year", infection_quarters.c.start_year)

#: Derived like ``infection_quarters``: the same sums by financial year (baselines and whole
#: years read a quarter of the rows again).
infection_years = Table(
    "infection_years",
    metadata,
    Column("org_code", String(10), primary_key=True),
    Column("organism", String(32), primary_key=True),
    Column("start_year", Integer, primary_key=True),
    Column("apportionment", String(32), primary_key=True),
    Column("cases", BigInteger, nullable=False),
    Column("months", Integer, nullable=False),
    sqlite_with_rowid=False,
)

imports = Table(
    "imports",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True), nullable=False),
    Column("source", Text, nullable=False),
    Column("mode", String(16), nullable=False),
    Column("version", String(32), nullable=False),
    Column("rows_inserted", Integer, nullable=False),
    Column("rows_updated", Integer, nullable=False),
)

import_files = Table(
    "import_files",
    metadata,
    Column("import_id", Integer, ForeignKey("imports.id"), primary_key=True),
    Column("table_name", String(32), primary_key=True),
    Column("file_name", Text, nullable=False),
    Column("rows", Integer, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("size", Integer, nullable=False),
)

#: ``schema_version``; ``data_version``, raised by every import and every decision (for caches).
meta = Table(
    "meta",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

#: Analysts' decisions on governance ratings: append-only (a trigger refuses UPDATE and DELETE).
#: No foreign key: the audit log outlives re-imports, even ``--replace``.
decisions = Table(
    "decisions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("org_code", String(10), nullable=False),
    Column("quarter", String(10), nullable=False),
    Column("action", String(16), nullable=False),
    Column("published_rating", String(16), nullable=False),
    Column("calculated_rating", String(16), nullable=False),
    Column("calculated_score", Float, nullable=False),
    Column("rulebook", Text, nullable=False),
    Column("reason", Text, nullable=False),
    Column("decided_by", Text, nullable=False),
    Column("decided_at", DateTime(timezone=True), nullable=False),
)
Index("ix_decisions_org_code_quarter", decisions.c.org_code, decisions.c.quarter)

_APPEND_ONLY = {
    "sqlite": [
        "CREATE TRIGGER decisions_no_update BEFORE UPDATE ON decisions "
        "BEGIN SELECT RAISE(ABORT, 'decisions are append-only'); END",
        "CREATE TRIGGER decisions_no_delete BEFORE DELETE ON decisions "
        "BEGIN SELECT RAISE(ABORT, 'decisions are append-only'); END",
    ],
    "postgresql": [
        "CREATE OR REPLACE FUNCTION decisions_append_only() RETURNS trigger AS $$ "
        "BEGIN RAISE EXCEPTION 'decisions are append-only'; END; $$ LANGUAGE plpgsql",
        "CREATE TRIGGER decisions_no_change BEFORE UPDATE OR DELETE ON decisions "
        "FOR EACH ROW EXECUTE FUNCTION decisions_append_only()",
    ],
}


@event.listens_for(decisions, "after_create")
def _append_only(target: Table, connection: Connection, **_: Any) -> None:
    for statement in _APPEND_ONLY.get(connection.dialect.name, []):
        connection.exec_driver_sql(statement)
