"""The derived sums (``infection_quarters``, ``infection_years``) always equal the monthly rows
they sum: after a first import, a merge, a replace, and an upgrade from schema version 3; on
SQLite and PostgreSQL. And the reads that use them give what summing the months gives."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import inspect, select, text, update

from nhs_oversight.inputs import read_data_folder
from nhs_oversight.rules.hcai import COUNTED_APPORTIONMENT
from nhs_oversight.store import load_dataset, open_store, read_table
from nhs_oversight.store.read import (
    counted_cases_by_quarter,
    distinct_values,
    failed_indicators,
    infection_totals,
)
from nhs_oversight.store.tables import infection_quarters, infection_years, meta

from ..conftest import write_folder


def _by_hand(engine) -> tuple[pd.DataFrame, pd.DataFrame]:  # type: ignore[no-untyped-def]
    """The monthly rows summed in pandas: by quarter and by financial year."""
    inf = read_table(engine, "infections")
    y, m = inf["month"].str[:4].astype(int), inf["month"].str[5:7].astype(int)
    inf["start_year"] = y - (m < 4)
    inf["quarter"] = ((m - 4) % 12) // 3 + 1
    keys = ["org_code", "organism", "apportionment", "start_year"]
    quarters = inf.groupby([*keys, "quarter"], as_index=False).agg(cases=("cases", "sum"), months=("cases", "size"))
    years = inf.groupby(keys, as_index=False).agg(cases=("cases", "sum"), months=("cases", "size"))
    return quarters, years


def _stored(engine) -> tuple[pd.DataFrame, pd.DataFrame]:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        q = pd.DataFrame(conn.execute(select(infection_quarters)).all(), columns=list(infection_quarters.c.keys()))
        y = pd.DataFrame(conn.execute(select(infection_years)).all(), columns=list(infection_years.c.keys()))
    return q, y


def _assert_summaries_match(engine) -> None:  # type: ignore[no-untyped-def]
    want_q, want_y = _by_hand(engine)
    got_q, got_y = _stored(engine)
    assert len(want_q) > 0
    for want, got in ((want_q, got_q), (want_y, got_y)):
        cols = list(want.columns)
        want = want.sort_values(cols[:-2], ignore_index=True).astype({"cases": "int64", "months": "int64"})
        got = got[cols].sort_values(cols[:-2], ignore_index=True).astype({"cases": "int64", "months": "int64"})
        pd.testing.assert_frame_equal(got, want, check_dtype=False)


MORE = """org_code,organism,month,apportionment,cases
RTH,mrsa,2013-01,trust,9
RTH,mrsa,2013-04,trust,4
RXX,cdiff,2012-12,trust,7
"""


def test_summaries_follow_every_import(engine_url: str, good_folder: Path, tmp_path: Path, library) -> None:
    engine = open_store(engine_url, create=True)
    load_dataset(engine, read_data_folder(good_folder, library))
    _assert_summaries_match(engine)
    # a merge that changes a month already held and adds months of a new quarter and year
    extra = write_folder(tmp_path / "more", infections=MORE)
    load_dataset(engine, read_data_folder(extra, library))
    _assert_summaries_match(engine)
    assert (
        int(
            infection_totals(engine, ("mrsa",), ["2013-04", "2013-05", "2013-06"])
            .query("org_code == 'RTH'")["cases"]
            .sum()
        )
        >= 4
    )
    # replace: the sums hold exactly the new folder's rows
    load_dataset(engine, read_data_folder(good_folder, library), replace=True)
    _assert_summaries_match(engine)


def test_a_failed_import_leaves_the_sums_as_they_were(tmp_path: Path, good_folder: Path, library) -> None:
    engine = open_store(tmp_path / "db.sqlite", create=True)
    load_dataset(engine, read_data_folder(good_folder, library))
    before = _stored(engine)
    data = read_data_folder(good_folder, library)
    data.tables["infections"] = data.tables["infections"].assign(org_code="NOSUCHORG")  # breaks the foreign key
    with pytest.raises(Exception, match="nothing was written"):
        load_dataset(engine, data)
    after = _stored(engine)
    for b, a in zip(before, after):
        pd.testing.assert_frame_equal(a, b)


def test_version_3_gains_the_sums_and_a_covering_index(engine_url: str, good_folder: Path, library) -> None:
    engine = open_store(engine_url, create=True)
    load_dataset(engine, read_data_folder(good_folder, library))
    with engine.begin() as conn:  # as release 0.2 (schema version 3) left it
        conn.execute(text("DROP TABLE infection_quarters"))
        conn.execute(text("DROP TABLE infection_years"))
        conn.execute(text("DROP INDEX ix_indicators_quarter_met_org_code_indicator"))
        conn.execute(text("CREATE INDEX ix_indicators_quarter ON indicators (quarter)"))
        conn.execute(update(meta).where(meta.c.key == "schema_version").values(value="3"))
    engine.dispose()
    upgraded = open_store(engine_url)  # a reading command upgrades in place
    names = {ix["name"] for ix in inspect(upgraded).get_indexes("indicators")}
    assert "ix_indicators_quarter" not in names
    assert "ix_indicators_quarter_met_org_code_indicator" in names
    _assert_summaries_match(upgraded)


def _monthly_totals(engine, organism: str, months: list[str]) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    inf = read_table(engine, "infections")
    inf = inf[(inf["organism"] == organism) & inf["month"].isin(months)]
    out = inf.groupby(["org_code", "organism", "apportionment"], as_index=False).agg(
        cases=("cases", "sum"), months_reported=("cases", "size")
    )
    return out.sort_values(["org_code", "apportionment"], ignore_index=True)


@pytest.mark.parametrize(
    "months",
    [
        [f"2012-{m:02d}" for m in range(4, 13)] + ["2013-01", "2013-02", "2013-03"],  # a financial year
        ["2012-04", "2012-05", "2012-06", "2012-07", "2012-08", "2012-09"],  # a year to date
        ["2012-09", "2012-10", "2012-11", "2012-12", "2013-01"],  # neither: the monthly rows
        ["2012-04"],
    ],
    ids=["year", "quarters", "months", "one month"],
)
def test_totals_from_the_sums_equal_the_months(engine_url: str, good_folder: Path, library, months) -> None:
    engine = open_store(engine_url, create=True)
    load_dataset(engine, read_data_folder(good_folder, library))
    for organism in ("mrsa", "cdiff"):
        got = infection_totals(engine, (organism,), months)
        got = got.sort_values(["org_code", "apportionment"], ignore_index=True)
        pd.testing.assert_frame_equal(got, _monthly_totals(engine, organism, months), check_dtype=False)


def test_counted_cases_by_quarter_equal_the_months(tmp_path: Path, good_folder: Path, library) -> None:
    engine = open_store(tmp_path / "db.sqlite", create=True)
    load_dataset(engine, read_data_folder(good_folder, library))
    wide = counted_cases_by_quarter(engine, ("mrsa", "cdiff"), "2012-04", "2012-09", COUNTED_APPORTIONMENT)
    assert len(wide)
    inf = read_table(engine, "infections").merge(
        read_table(engine, "organisations")[["code", "kind"]], left_on="org_code", right_on="code"
    )
    counted = inf[inf["apportionment"] == inf["kind"].map(COUNTED_APPORTIONMENT)]
    for r in wide.itertuples(index=False):
        assert r.start_year == 2012
        mine = counted[(counted["org_code"] == r.org_code) & (counted["organism"] == r.organism)]
        for q, months in ((r.q1, ("04", "05", "06")), (r.q2, ("07", "08", "09"))):
            assert q == int(mine[mine["month"].isin([f"2012-{m}" for m in months])]["cases"].sum())
        assert r.q3 == 0 and r.q4 == 0  # outside the months asked
    with pytest.raises(ValueError, match="not whole financial-year quarters"):
        counted_cases_by_quarter(engine, ("mrsa",), "2012-05", "2012-09", COUNTED_APPORTIONMENT)


def test_distinct_values_and_failed_indicators(engine_url: str, governance_folder: Path, library) -> None:
    engine = open_store(engine_url, create=True)
    load_dataset(engine, read_data_folder(governance_folder, library))
    inf = read_table(engine, "infections")
    assert distinct_values(engine, "infections", "month") == sorted(inf["month"].unique())
    ind = read_table(engine, "indicators")
    quarters = sorted(ind["quarter"].unique())
    want = sorted(map(tuple, ind.loc[~ind["met"].astype(bool), ["quarter", "org_code", "indicator"]].values))
    assert want
    assert sorted(failed_indicators(engine, quarters)) == want
    assert distinct_values(engine, "indicators", "quarter") == quarters
