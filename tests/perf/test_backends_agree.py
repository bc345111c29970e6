"""The database's sums (year to date, baselines, quarters of the record) agree on both
backends: every assessment on the demo data, SQLite and PostgreSQL, gives the same table."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from nhs_oversight.demo.generate import generate_demo
from nhs_oversight.inputs import read_data_folder
from nhs_oversight.periods import FinancialYear, Quarter
from nhs_oversight.rulebooks import RulebookLibrary
from nhs_oversight.service.counts import rates_for_year
from nhs_oversight.service.governance import governance_for_quarter
from nhs_oversight.service.objectives import monitor_quarter, objectives_for_year
from nhs_oversight.store import load_dataset, open_store


def _tables(engine, library: RulebookLibrary) -> dict[str, pd.DataFrame]:  # type: ignore[no-untyped-def]
    q, fy = Quarter.parse("2012-13-Q2"), FinancialYear(2012)
    return {
        "rates": rates_for_year(engine, library, fy)[0],
        "mrsa": objectives_for_year(engine, library, "mrsa", fy, traces=False).table,
        "cdiff": objectives_for_year(engine, library, "cdiff", fy, traces=False).table,
        "monitor": monitor_quarter(engine, library, q),
        "governance": governance_for_quarter(engine, library, q).table,
        "governance traced": governance_for_quarter(engine, library, q, traces=True).table,
    }


def test_sqlite_and_postgresql_agree(pg_url: str, tmp_path: Path, library: RulebookLibrary) -> None:
    folder = tmp_path / "demo"
    generate_demo(folder)
    data = read_data_folder(folder, library)
    tables = []
    for url in (f"sqlite:///{tmp_path / 'demo.sqlite'}", pg_url):
        engine = open_store(url, create=True)
        load_dataset(engine, data)
        tables.append(_tables(engine, library))
        engine.dispose()
    sqlite, postgres = tables
    for name in sqlite:
        assert len(sqlite[name]) > 0, name
        pd.testing.assert_frame_equal(postgres[name], sqlite[name], check_dtype=False, obj=name)
    pd.testing.assert_frame_equal(sqlite["governance"], sqlite["governance traced"])
