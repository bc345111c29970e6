"""Derived tables kept by the store: sums the assessments read instead of every monthly row.

``infection_quarters`` holds ``infections`` summed by financial-year quarter, ``infection_years``
by financial year. They are rebuilt
inside every import's transaction (so it can never disagree with the rows it sums: both
commit or neither does) and filled when an older database is upgraded.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Connection, Integer, case, cast, delete, func, select

from .tables import DATA_TABLES, infection_quarters, infection_years

__all__ = ["refresh_summaries", "quarter_of_month"]


def quarter_of_month(month: Any) -> tuple[Any, Any]:
    """SQL expressions for the financial year's first calendar year and the quarter (1-4) of
    a ``YYYY-MM`` text column (April-June is quarter 1; January-March belongs to the year
    that started the April before)."""
    mm = func.substr(month, 6, 2)
    year = cast(func.substr(month, 1, 4), Integer)
    start_year = year - case((mm < "04", 1), else_=0)
    quarter = case(
        (mm.in_(["04", "05", "06"]), 1),
        (mm.in_(["07", "08", "09"]), 2),
        (mm.in_(["10", "11", "12"]), 3),
        else_=4,
    )
    return start_year, quarter


def refresh_summaries(conn: Connection) -> None:
    """Rebuild ``infection_quarters`` and ``infection_years`` from ``infections``, in the
    caller's (write) transaction.

    One ``INSERT … SELECT … GROUP BY`` in the database: about 1 s per million monthly rows
    on SQLite, a small part of an import.
    """
    inf = DATA_TABLES["infections"]
    start_year, quarter = quarter_of_month(inf.c.month)
    start_year, quarter = start_year.label("start_year"), quarter.label("quarter")
    summed = select(
        inf.c.org_code,
        inf.c.organism,
        inf.c.apportionment,
        start_year,
        quarter,
        cast(func.sum(inf.c.cases), BigInteger),
        func.count(),
    ).group_by(inf.c.org_code, inf.c.organism, inf.c.apportionment, start_year, quarter)
    conn.execute(delete(infection_quarters))
    conn.execute(
        infection_quarters.insert().from_select(
            ["org_code", "organism", "apportionment", "start_year", "quarter", "cases", "months"], summed
        )
    )
    iq = infection_quarters
    by_year = select(
        iq.c.org_code,
        iq.c.organism,
        iq.c.start_year,
        iq.c.apportionment,
        cast(func.sum(iq.c.cases), BigInteger),
        cast(func.sum(iq.c.months), Integer),
    ).group_by(iq.c.org_code, iq.c.organism, iq.c.start_year, iq.c.apportionment)
    conn.execute(delete(infection_years))
    conn.execute(
        infection_years.insert().from_select(
            ["org_code", "organism", "start_year", "apportionment", "cases", "months"], by_year
        )
    )
