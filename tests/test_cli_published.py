"""`oversight import-published`: real published tables into the database or a data folder."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from nhs_oversight.cli import app
from nhs_oversight.inputs.published import read_published
from nhs_oversight.store import open_store, read_table

from .conftest import SHARED

runner = CliRunner()
RAW = SHARED / "data" / "raw" / "ukhsa-ecoli-monthly-trust-ccg"
pytestmark = pytest.mark.skipif(not RAW.exists(), reason="../shared/data/raw is absent")


@pytest.mark.parametrize("name", ["Ecol_2017-18.csv", "E.coli_CCG_2016-17.csv", "Ecoli_2018-19.csv"])
def test_every_organisation_and_case_reaches_the_database(tmp_path: Path, name: str) -> None:
    db = tmp_path / "pub.sqlite"
    result = runner.invoke(app, ["import-published", str(RAW / name), "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert "equals the sum of the rows" in result.output
    table = read_published(RAW / name)
    engine = open_store(db)
    assert len(read_table(engine, "organisations")) == len(table.organisations)
    assert read_table(engine, "infections")["cases"].sum() == table.infections["cases"].sum()


def test_known_organisations_keep_their_kind(tmp_path: Path) -> None:
    db = tmp_path / "pub.sqlite"
    assert runner.invoke(app, ["import-published", str(RAW / "Ecol_2017-18.csv"), "--db", str(db)]).exit_code == 0
    before = read_table(open_store(db), "organisations").set_index("code")["kind"]
    assert runner.invoke(app, ["import-published", str(RAW / "Ecoli_2018-19.csv"), "--db", str(db)]).exit_code == 0
    after = read_table(open_store(db), "organisations").set_index("code")["kind"]
    assert (after[before.index] == before).all()  # the long table calls every trust an nhs_trust
    assert (before == "foundation_trust").any()


def test_out_dir_writes_a_data_folder_that_imports(tmp_path: Path) -> None:
    out = tmp_path / "folder"
    result = runner.invoke(app, ["import-published", str(RAW / "E.coli_CCG_2015-16.csv"), "--out-dir", str(out)])
    assert result.exit_code == 0, result.output
    assert pd.read_csv(out / "infections.csv")["cases"].sum() == 38_244
    assert runner.invoke(app, ["import", str(out), "--db", str(tmp_path / "x.sqlite")]).exit_code == 0


def test_a_contradicting_organism_is_refused_and_nothing_written(tmp_path: Path) -> None:
    db = tmp_path / "pub.sqlite"
    result = runner.invoke(
        app, ["import-published", str(RAW / "Ecol_2017-18.csv"), "--organism", "mrsa", "--db", str(db)]
    )
    assert result.exit_code == 1 and "Ecol_2017-18.csv" in result.output and "contradicts" in result.output
    assert not db.exists()
    assert runner.invoke(app, ["import-published", str(tmp_path / "nope.csv")]).exit_code == 2
