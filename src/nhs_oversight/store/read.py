"""Reading frames back from the database for the rules."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import BigInteger, Boolean, Date, Engine, and_, case, cast, false, func, select, text

from .tables import DATA_TABLES, import_files, imports, infection_quarters, infection_years, meta

__all__ = [
    "read_table",
    "import_log",
    "is_empty",
    "data_version",
    "infection_totals",
    "counted_cases_by_quarter",
    "distinct_values",
    "failed_indicators",
    "indicators_reported",
]


#: Tables whose columns all come back from every driver as plain numbers and text (no dates
#: or booleans, which SQLAlchemy's column types convert).
_PLAIN = {
    name: not any(isinstance(c.type, (Date, Boolean)) for c in table.columns) for name, table in DATA_TABLES.items()
}


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
    names = [c.name for c in table.columns]
    with engine.connect() as conn:
        if _PLAIN[name]:
            # only numbers and text: the driver's own rows, converted as pandas.read_sql does
            # (coerce_float), without SQLAlchemy's row objects (twice as fast)
            result = conn.execute(stmt)
            rows = result.cursor.fetchall() if result.cursor is not None else result.all()
            result.close()
            return pd.DataFrame.from_records(rows, columns=names, coerce_float=True)
        frame = pd.read_sql(stmt, conn)
    return frame[names]


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
    log = pd.DataFrame(
        rows, columns=["import_id", "started_at", "source", "mode", "version", "table", "file", "rows", "sha256"]
    )
    # in UTC on every backend: SQLite hands back the UTC it stored without a zone, PostgreSQL
    # the same instant in the server's time zone
    log["started_at"] = pd.to_datetime(log["started_at"], utc=True)
    return log


def data_version(engine: Engine) -> int:
    """A number raised by every import and every decision: results computed at one
    ``data_version`` hold until it changes (a key for caching results)."""
    with engine.connect() as conn:
        value = conn.execute(select(meta.c.value).where(meta.c.key == "data_version")).scalar_one()
    return int(value)


def distinct_values(engine: Engine, table: str, column: str) -> list[Any]:
    """The distinct non-null values of an indexed column, in order, by one index seek per
    value (a loose index scan) rather than a pass over every row: the months of 6.7 M
    infection rows in milliseconds instead of half a second.

    Parameters
    ----------
    table, column : str
        A table of the schema and a column that leads one of its indexes (``INDEXES`` or the
        primary key); both are checked against the schema, never taken from users as text.
    """
    col = DATA_TABLES[table].c[column]  # KeyError for anything not in the schema
    t, c = DATA_TABLES[table].name, col.name
    stmt = text(
        f"WITH RECURSIVE v(x) AS (SELECT MIN({c}) FROM {t} UNION ALL "
        f"SELECT (SELECT MIN({c}) FROM {t} WHERE {c} > v.x) FROM v WHERE v.x IS NOT NULL) "
        "SELECT x FROM v WHERE x IS NOT NULL"
    )
    with engine.connect() as conn:
        return list(conn.execute(stmt).scalars())


def failed_indicators(
    engine: Engine, quarters: list[str], org_codes: list[str] | None = None
) -> list[tuple[str, str, str]]:
    """``(quarter, org_code, indicator)`` of every indicator not met in ``quarters`` (of
    ``org_codes`` only when given), by organisation, quarter and indicator (read from the
    covering index on quarter, met, org_code, indicator)."""
    ind = DATA_TABLES["indicators"]
    stmt = select(ind.c.quarter, ind.c.org_code, ind.c.indicator).where(
        ind.c.quarter.in_(quarters), ind.c.met == false()
    )
    if org_codes is not None:
        stmt = stmt.where(ind.c.org_code.in_(org_codes))
    with engine.connect() as conn:
        result = conn.execute(stmt.order_by(ind.c.org_code, ind.c.quarter, ind.c.indicator))
        return list(result.cursor.fetchall() if result.cursor is not None else result.all())


def indicators_reported(engine: Engine, quarter: str, org_codes: list[str] | None = None) -> dict[str, int]:
    """How many indicators each organisation reported for ``quarter``."""
    ind = DATA_TABLES["indicators"]
    stmt = select(ind.c.org_code, func.count()).where(ind.c.quarter == quarter).group_by(ind.c.org_code)
    if org_codes is not None:
        stmt = stmt.where(ind.c.org_code.in_(org_codes))
    with engine.connect() as conn:
        return {org: int(n) for org, n in conn.execute(stmt)}


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


def _quarters_of(months: list[str]) -> list[int] | None:
    """The quarters (as ``start_year * 4 + quarter - 1``) whose months are exactly ``months``,
    or None when the months are not whole financial-year quarters."""
    wanted = set(months)
    quarters: set[int] = set()
    for m in wanted:
        y, mm = int(m[:4]), int(m[5:7])
        start_year = y - 1 if mm < 4 else y
        quarter = (mm - 4) // 3 + 1 if mm >= 4 else 4
        quarters.add(start_year * 4 + quarter - 1)
    covered = {
        f"{y:04d}-{mm:02d}"
        for q in quarters
        for y, mm in (
            (q // 4 + (1 if (q % 4) * 3 + 4 + k > 12 else 0), ((q % 4) * 3 + 3 + k) % 12 + 1) for k in range(3)
        )
    }
    return sorted(quarters) if covered == wanted else None


def _members(kinds: list[str] | tuple[str, ...] | None) -> Any:
    """The codes of the organisations (of ``kinds`` when given) as a subquery: the database
    then walks the primary key (org_code, …) organisation by organisation."""
    orgs = DATA_TABLES["organisations"]
    members = select(orgs.c.code)
    if kinds is not None:
        members = members.where(orgs.c.kind.in_(list(kinds)))
    return members.scalar_subquery()


def _quarter_months(q: int) -> list[str]:
    """The three ``YYYY-MM`` of quarter ``q`` (``start_year * 4 + quarter - 1``)."""
    start_year, n = divmod(q, 4)
    out = []
    for k in range(3):
        m = 4 + 3 * n + k
        out.append(f"{start_year + (m > 12):04d}-{(m - 1) % 12 + 1:02d}")
    return out


def _split_months(months: list[str]) -> tuple[list[int], list[int], list[str]]:
    """``months`` as whole financial years (their first calendar years), other whole quarters
    (``start_year * 4 + quarter - 1``) and the months left over."""
    wanted = set(months)
    whole: set[int] = set()
    for m in wanted:
        y, mm = int(m[:4]), int(m[5:7])
        q = ((y - 1 if mm < 4 else y) * 4) + ((mm - 4) // 3 if mm >= 4 else 3)
        if wanted.issuperset(_quarter_months(q)):
            whole.add(q)
    years = sorted({q // 4 for q in whole if all(q // 4 * 4 + k in whole for k in range(4))})
    quarters = sorted(q for q in whole if q // 4 not in years)
    covered = {m for q in whole for m in _quarter_months(q)}
    return years, quarters, sorted(wanted - covered)


def infection_totals(
    engine: Engine,
    organisms: list[str] | tuple[str, ...],
    months: list[str],
    kinds: list[str] | tuple[str, ...] | None = None,
) -> pd.DataFrame:
    """Cases of ``months`` summed in the database, by organisation, organism and apportionment
    (of the organisations in the table, of ``kinds`` only when given).

    Whole financial years are summed from ``infection_years``, other whole quarters from
    ``infection_quarters``, the months left over from the monthly rows (a September-to-August
    baseline: a month, three quarters and two months), and the parts added up.

    Returns
    -------
    pandas.DataFrame
        ``org_code, organism, apportionment, cases, months_reported``: ``months_reported`` is
        how many of the months have a row (each month has at most one per key).
    """
    columns = ["org_code", "organism", "apportionment", "cases", "months_reported"]
    keys = columns[:3]
    years, quarters, rest = _split_months(months)
    parts: list[tuple[Any, Any, Any]] = []  # (table, which rows, months with a row)
    if years:
        iy = infection_years
        parts.append((iy, iy.c.start_year.in_(years), cast(func.sum(iy.c.months), BigInteger)))
    if quarters:
        iq = infection_quarters
        at = iq.c.start_year * 4 + iq.c.quarter - 1
        first, last = quarters[0], quarters[-1]
        period = and_(
            iq.c.start_year >= first // 4,
            iq.c.start_year <= last // 4,
            and_(at >= first, at <= last) if len(quarters) == last - first + 1 else at.in_(quarters),
        )
        parts.append((iq, period, cast(func.sum(iq.c.months), BigInteger)))
    if rest or not parts:
        inf = DATA_TABLES["infections"]
        contiguous = bool(rest) and len(rest) == len(_month_range(rest[0], rest[-1]))
        month = inf.c.month
        parts.append((inf, and_(month >= rest[0], month <= rest[-1]) if contiguous else month.in_(rest), func.count()))
    frames = []
    for source, period, reported in parts:
        stmt = (
            select(
                source.c.org_code,
                source.c.organism,
                source.c.apportionment,
                cast(func.sum(source.c.cases), BigInteger),
                reported,
            )
            .where(source.c.org_code.in_(_members(kinds)), source.c.organism.in_(list(organisms)), period)
            .group_by(source.c.org_code, source.c.organism, source.c.apportionment)
        )
        frames.append(_frame(engine, stmt, columns))
    out = frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True).groupby(keys, as_index=False).sum()
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
    """Each organisation's cases in each financial-year quarter, summed in the database, each
    organisation counting only the apportionment its kind is held to: one row per
    organisation, organism and financial year, a column per quarter.

    Parameters
    ----------
    organisms : list of str
    first_month, last_month : str
        ``YYYY-MM``, inclusive: the first month of a quarter and the last month of a
        quarter (the quarters' sums come from ``infection_quarters``).
    counted_apportionment : dict
        The apportionment each organisation kind counts (``rules.hcai.COUNTED_APPORTIONMENT``).
    kinds : list of str, optional
        Only organisations of these kinds.
    org_codes : list of str, optional
        Only these organisations.

    Returns
    -------
    pandas.DataFrame
        ``org_code, organism, start_year, q1, q2, q3, q4`` [cases]: ``start_year`` the
        financial year's first calendar year (2012 for 2012-13). A quarter outside the months,
        or without a row, counts 0; an organisation, organism and year without any row in the
        months is absent.
    """
    months = _month_range(first_month, last_month)
    quarters = _quarters_of(months) if months else None
    if quarters is None:
        raise ValueError(f"{first_month} to {last_month}: not whole financial-year quarters")
    iq = infection_quarters
    at = iq.c.start_year * 4 + iq.c.quarter - 1
    columns = ["org_code", "organism", "start_year", "q1", "q2", "q3", "q4"]
    # the quarters as columns, in the database: a quarter of the rows to carry into Python
    by_quarter = [cast(func.sum(case((iq.c.quarter == n, iq.c.cases), else_=0)), BigInteger) for n in (1, 2, 3, 4)]
    by_apportionment: dict[str, list[str]] = {}
    for kind, apportionment in counted_apportionment.items():
        if kinds is None or kind in kinds:
            by_apportionment.setdefault(apportionment, []).append(kind)
    frames = []
    # one query per apportionment, the organisations of its kinds as a subquery: the database
    # then reads only their rows, through the primary key (org_code, organism, …)
    for apportionment, its_kinds in by_apportionment.items():
        conditions = [
            iq.c.org_code.in_(_members(its_kinds)),
            iq.c.organism.in_(list(organisms)),
            iq.c.apportionment == apportionment,
            iq.c.start_year >= quarters[0] // 4,
            iq.c.start_year <= quarters[-1] // 4,
            at >= quarters[0],
            at <= quarters[-1],
        ]
        if org_codes is not None:
            conditions.append(iq.c.org_code.in_(list(org_codes)))
        stmt = (
            select(iq.c.org_code, iq.c.organism, iq.c.start_year, *by_quarter)
            .where(and_(*conditions))
            .group_by(iq.c.org_code, iq.c.organism, iq.c.start_year)
        )
        frames.append(_frame(engine, stmt, columns))
    out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame({c: [] for c in columns})
    return out.astype({c: "int64" for c in columns[2:]})
