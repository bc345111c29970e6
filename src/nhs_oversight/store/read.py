"""Reading frames back from the database for the rules."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import BigInteger, Engine, Integer, and_, case, cast, func, select

from .tables import DATA_TABLES, import_files, imports, meta

__all__ = [
    "read_table",
    "import_log",
    "is_empty",
    "data_version",
    "infection_totals",
    "counted_cases_by_quarter",
]


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


def _frame(engine: Engine, stmt: Any, columns: list[str]) -> pd.DataFrame:
    """The rows of a select as a frame (plain values: numbers and text)."""
    with engine.connect() as conn:
        result = conn.execute(stmt)
        # the driver's own rows: plain numbers and text need none of SQLAlchemy's row processing
        rows = result.cursor.fetchall() if result.cursor is not None else result.all()
        result.close()
    values = list(zip(*rows)) if rows else [() for _ in columns]
    return pd.DataFrame(
        {c: np.asarray(v) if v and not isinstance(v[0], str) else list(v) for c, v in zip(columns, values)}
    )


def _month_range(first: str, last: str) -> list[str]:
    """Every ``YYYY-MM`` from ``first`` to ``last``."""
    y, m = int(first[:4]), int(first[5:7])
    out: list[str] = []
    while f"{y:04d}-{m:02d}" <= last and len(out) < 1200:
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def infection_totals(
    engine: Engine,
    organisms: list[str] | tuple[str, ...],
    months: list[str],
    kinds: list[str] | tuple[str, ...] | None = None,
) -> pd.DataFrame:
    """Cases of ``months`` summed in the database, by organisation, organism and apportionment
    (of the organisations in the table, of ``kinds`` only when given).

    Returns
    -------
    pandas.DataFrame
        ``org_code, organism, apportionment, cases, months_reported``: ``months_reported`` is
        how many of the months have a row (each month has at most one per key).
    """
    inf, orgs = DATA_TABLES["infections"], DATA_TABLES["organisations"]
    # the organisations as a subquery: the database then walks the primary key (org_code,
    # organism, month, …) organisation by organisation, rather than every row of the months
    members = select(orgs.c.code)
    if kinds is not None:
        members = members.where(orgs.c.kind.in_(list(kinds)))
    wanted = sorted(set(months))
    contiguous = bool(wanted) and len(wanted) == len(_month_range(wanted[0], wanted[-1]))
    in_months = and_(inf.c.month >= wanted[0], inf.c.month <= wanted[-1]) if contiguous else inf.c.month.in_(wanted)
    stmt = (
        select(
            inf.c.org_code,
            inf.c.organism,
            inf.c.apportionment,
            cast(func.sum(inf.c.cases), BigInteger),
            func.count(),
        )
        .where(inf.c.org_code.in_(members.scalar_subquery()), inf.c.organism.in_(list(organisms)), in_months)
        .group_by(inf.c.org_code, inf.c.organism, inf.c.apportionment)
    )
    out = _frame(engine, stmt, ["org_code", "organism", "apportionment", "cases", "months_reported"])
    return out.astype({"cases": "int64", "months_reported": "int64"})


def counted_cases_by_quarter(
    engine: Engine,
    organisms: list[str] | tuple[str, ...],
    first_month: str,
    last_month: str,
    counted_apportionment: dict[str, str],
    kinds: list[str] | tuple[str, ...] | None = None,
    org_codes: list[str] | None = None,
) -> pd.DataFrame:
    """Each organisation's cases by financial-year quarter, summed in the database, each
    organisation counting only the apportionment its kind is held to.

    Parameters
    ----------
    organisms : list of str
    first_month, last_month : str
        ``YYYY-MM``, inclusive.
    counted_apportionment : dict
        The apportionment each organisation kind counts (``rules.hcai.COUNTED_APPORTIONMENT``).
    kinds : list of str, optional
        Only organisations of these kinds.
    org_codes : list of str, optional
        Only these organisations.

    Returns
    -------
    pandas.DataFrame
        ``org_code, organism, start_year, quarter, cases``: ``start_year`` the financial
        year's first calendar year (2012 for 2012-13), ``quarter`` 1 to 4. Quarters without
        a row are absent.
    """
    inf, orgs = DATA_TABLES["infections"], DATA_TABLES["organisations"]
    mm = func.substr(inf.c.month, 6, 2)
    year = cast(func.substr(inf.c.month, 1, 4), Integer)
    start_year = (year - case((mm < "04", 1), else_=0)).label("start_year")
    quarter = case(
        (mm.in_(["04", "05", "06"]), 1),
        (mm.in_(["07", "08", "09"]), 2),
        (mm.in_(["10", "11", "12"]), 3),
        else_=4,
    ).label("quarter")
    columns = ["org_code", "organism", "start_year", "quarter", "cases"]
    by_apportionment: dict[str, list[str]] = {}
    for kind, apportionment in counted_apportionment.items():
        if kinds is None or kind in kinds:
            by_apportionment.setdefault(apportionment, []).append(kind)
    frames = []
    # one query per apportionment, the organisations of its kinds as a subquery: the database
    # then reads only their rows, through the primary key (org_code, organism, month, …)
    for apportionment, its_kinds in by_apportionment.items():
        conditions = [
            inf.c.org_code.in_(select(orgs.c.code).where(orgs.c.kind.in_(its_kinds)).scalar_subquery()),
            inf.c.organism.in_(list(organisms)),
            inf.c.month >= first_month,
            inf.c.month <= last_month,
            inf.c.apportionment == apportionment,
        ]
        if org_codes is not None:
            conditions.append(inf.c.org_code.in_(list(org_codes)))
        stmt = (
            select(inf.c.org_code, inf.c.organism, start_year, quarter, cast(func.sum(inf.c.cases), BigInteger))
            .where(and_(*conditions))
            .group_by(inf.c.org_code, inf.c.organism, start_year, quarter)
        )
        frames.append(_frame(engine, stmt, columns))
    out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame({c: [] for c in columns})
    return out.astype({"start_year": "int64", "quarter": "int64", "cases": "int64"})
