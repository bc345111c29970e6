"""The demo data folder validates, loads, and serves the zero-tolerance year (2013-14)."""

from __future__ import annotations

import pathlib

import pandas as pd
import pytest
from sqlalchemy import Engine

from nhs_oversight.demo.generate import generate_demo
from nhs_oversight.inputs import read_data_folder
from nhs_oversight.inputs.errors import InputError
from nhs_oversight.periods import FinancialYear
from nhs_oversight.rulebooks import RulebookLibrary, load_library
from nhs_oversight.service import objectives_for_year, rates_for_year, reviews_for_year
from nhs_oversight.store import load_dataset, memory_store

YEAR = FinancialYear(2013)


@pytest.fixture(scope="module")
def library() -> RulebookLibrary:
    return load_library()


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    out = tmp_path_factory.mktemp("demo-load")
    generate_demo(out)
    return out


@pytest.fixture(scope="module")
def engine(folder: pathlib.Path, library: RulebookLibrary) -> Engine:
    engine = memory_store()
    load_dataset(engine, read_data_folder(folder, library), replace=True)
    return engine


def test_the_whole_folder_validates(folder: pathlib.Path, library: RulebookLibrary) -> None:
    data = read_data_folder(folder, library)
    written = {path.stem: sum(1 for _ in path.open()) - 1 for path in folder.glob("*.csv")}
    # cases.csv adds no count to infections: every count it derives is given there too
    assert data.rows() == written


def test_a_case_that_disagrees_with_infections_is_refused(
    folder: pathlib.Path, library: RulebookLibrary, tmp_path: pathlib.Path
) -> None:
    for path in folder.glob("*.csv"):
        (tmp_path / path.name).write_bytes(path.read_bytes())
    cases = pd.read_csv(tmp_path / "cases.csv", dtype=str, keep_default_na=False)
    cases.loc[0, "admission_date"] = ""  # a trust-apportioned case becomes non-trust
    cases.to_csv(tmp_path / "cases.csv", index=False, lineterminator="\n")
    with pytest.raises(InputError, match="cases.csv gives"):
        read_data_folder(tmp_path, library)


def test_reviews_of_2013_14(engine: Engine) -> None:
    reviews = reviews_for_year(engine, YEAR)
    columns = ["cases", "assigned_trust", "assigned_ccg", "assigned_third_party", "awaiting_review"]
    by_role = reviews.groupby("role")[columns].sum()
    assert (by_role.loc["reporting"] == by_role.loc["responsible"]).all()
    total = by_role.loc["reporting"]
    assert total["cases"] == 890 == total[columns[1:]].sum()
    assert (total[columns[1:]] > 0).all()
    assert set(reviews.kind[reviews.role == "responsible"]) == {"ccg"}


def test_zero_tolerance_objectives_for_trusts_and_ccgs(engine: Engine, library: RulebookLibrary) -> None:
    result = objectives_for_year(engine, library, "mrsa", YEAR)
    table = result.table
    assert result.rulebook.id == "mrsa-zero-tolerance-2013-14"
    assert (table.group == "zero_tolerance").all() and (table.target_cases == 0).all()
    assert {"foundation_trust", "nhs_trust", "ccg"} <= set(table.kind)
    assert (table.kind == "ccg").sum() == 211


def test_rates_of_2013_14_are_ccg_rates(engine: Engine, library: RulebookLibrary) -> None:
    rates, _ = rates_for_year(engine, library, YEAR)
    ccg = rates[rates.kind == "ccg"]
    assert len(ccg) == 2 * 211 and ccg.rate.notna().all()
    assert (ccg.apportionment == "population").all() and (ccg.denominator_name == "population").all()
    assert ccg.groupby("organism").cases.sum().to_dict() == {"cdiff": 14_650, "mrsa": 890}
    assert 53.5e6 < ccg[ccg.organism == "mrsa"].denominator.sum() < 54.5e6
    assert rates[rates.kind == "pct"].rate.isna().all()  # PCTs have no 2013-14 population
