"""Where the data come from (a data folder or a database) and which periods they hold.

A period with no data is refused, naming the periods the database holds, so that no
command prints zeros for a year it knows nothing about.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine, select

from ..errors import NotFound, UsageError
from ..periods import FinancialYear, Month, Quarter
from ..rulebooks import Rulebook, RulebookLibrary
from ..store import is_empty, load_dataset, memory_store, open_store, resolve_db_url
from ..store.tables import DATA_TABLES

__all__ = [
    "organisations_of_year",
    "open_data",
    "held_years",
    "require_year",
    "require_quarter",
    "require_organisation",
    "shown_url",
]


def open_data(data: Path | None, db: str | None, library: RulebookLibrary) -> Engine:
    """The database to read: a data folder loaded into memory, or ``db`` (never created here).

    Raises
    ------
    UsageError
        Both a data folder and a database were given.
    NotFound
        The database does not exist or holds no data.
    InputError
        The data folder is refused.
    """
    from ..inputs import read_data_folder

    if data is not None and db is not None:
        raise UsageError("give either --data or --db, not both", param="--data")
    if data is not None:
        engine = memory_store()
        load_dataset(engine, read_data_folder(data, library))
        return engine
    url = resolve_db_url(db)
    engine = open_store(url)
    if is_empty(engine):
        raise NotFound(
            f"the database {shown_url(url)} is empty: load data with `oversight import DIR` or try `oversight demo`"
        )
    return engine


def shown_url(url: str) -> str:
    """A database URL as it may be shown: without a password."""
    from ..store import redact_url

    return redact_url(url)


def _months(engine: Engine) -> list[Month]:
    from ..store.read import distinct_values

    return sorted(Month.parse(m) for m in distinct_values(engine, "infections", "month"))


def held_years(engine: Engine) -> list[FinancialYear]:
    """The financial years with infection counts, in order."""
    return sorted({m.financial_year for m in _months(engine)})


def _held_text(years: list[FinancialYear]) -> str:
    if not years:
        return "the database holds no infection counts"
    if len(years) == 1:
        return f"the database holds {years[0]} only"
    return f"the database holds {years[0]} to {years[-1]}"


def require_year(engine: Engine, year: FinancialYear, what: str = "infection counts") -> None:
    """Refuse a financial year with no infection counts, naming the years held."""
    years = held_years(engine)
    if year not in years:
        raise NotFound(f"no {what} for {year}: {_held_text(years)}")


def require_quarter(engine: Engine, quarter: Quarter) -> None:
    """Refuse a quarter with neither infection counts for any of its months nor indicators,
    naming the years held."""
    months = set(_months(engine))
    if months.intersection(quarter.months()):
        return
    column = DATA_TABLES["indicators"].c.quarter
    with engine.connect() as conn:
        if conn.execute(select(column).where(column == str(quarter)).limit(1)).first() is not None:
            return
    raise NotFound(f"no infection counts or indicators for {quarter}: {_held_text(held_years(engine))}")


def require_organisation(engine: Engine, code: str) -> str:
    """The organisation's code in capitals, or NotFound."""
    code = code.strip().upper()
    table = DATA_TABLES["organisations"]
    with engine.connect() as conn:
        found = conn.execute(select(table.c.code).where(table.c.code == code)).first()
    if found is None:
        raise NotFound(f"no organisation {code!r} in the database")
    return code


def organisations_of_year(orgs: pd.DataFrame, year: FinancialYear, counting: Rulebook) -> pd.DataFrame:
    """The organisations that existed in ``year``: PCTs to March 2013, CCGs from April 2013, by
    the counting rulebook's ``kinds_in_force`` (kinds it does not name exist throughout)."""
    if "kinds_in_force" not in counting.values:
        return orgs
    spans = counting.value("kinds_in_force")
    keep = []
    for kind in orgs["kind"]:
        start, end = spans.get(kind, (None, None))
        keep.append(
            (start is None or dt.date.fromisoformat(str(start)) <= year.end)
            and (end is None or dt.date.fromisoformat(str(end)) >= year.start)
        )
    return orgs[keep]
