"""The command line: exit statuses, outputs, and the commands of INTERFACE.md."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from nhs_oversight.cli import app

runner = CliRunner()


@pytest.fixture
def db(tmp_path: Path, good_folder: Path) -> str:
    path = tmp_path / "db.sqlite"
    result = runner.invoke(app, ["import", str(good_folder), "--db", str(path)])
    assert result.exit_code == 0, result.output
    return str(path)


def test_import_reports_rows_and_reimport_is_unchanged(tmp_path: Path, good_folder: Path, db: str) -> None:
    result = runner.invoke(app, ["import", str(good_folder), "--db", db])
    assert result.exit_code == 0
    # re-importing the same folder changes nothing: every infections row is counted unchanged
    assert "Unchanged" in result.output
    assert re.search(r"^infections\s+7\s+0\s+0\s+7$", result.output, re.M), result.output
    log = runner.invoke(app, ["imports", "--db", db])
    assert log.exit_code == 0 and "infections.csv" in log.output


def test_dry_run_writes_nothing(tmp_path: Path, good_folder: Path) -> None:
    path = tmp_path / "dry.sqlite"
    result = runner.invoke(app, ["import", str(good_folder), "--db", str(path), "--dry-run"])
    assert result.exit_code == 0 and "nothing was written" in result.output
    assert not path.exists()


def test_usage_errors_exit_2(db: str) -> None:
    assert runner.invoke(app, ["rates", "--year", "2012-14", "--db", db]).exit_code == 2
    assert runner.invoke(app, ["rates", "--year", "2012-13", "--db", db, "--rulebook", "nope"]).exit_code == 2
    assert runner.invoke(app, ["rates", "--year", "2012-13", "--db", db, "--set", "colour=1"]).exit_code == 2
    assert runner.invoke(app, ["rates", "--year", "2012-13", "--db", db, "--data", "."]).exit_code == 2
    assert runner.invoke(app, ["rates", "--year", "2012-13", "--db", db, "--out", "x.txt"]).exit_code == 2
    assert runner.invoke(app, ["explain", "RTH", "--period", "2012-13-Q9", "--db", db]).exit_code == 2
    assert runner.invoke(app, ["nonsense"]).exit_code == 2


def test_empty_database_and_unknown_org_are_refused(tmp_path: Path, db: str) -> None:
    result = runner.invoke(app, ["rates", "--year", "2012-13", "--db", str(tmp_path / "empty.sqlite")])
    assert result.exit_code == 1 and "empty" in result.output
    result = runner.invoke(app, ["explain", "ZZZ", "--period", "2012-13", "--db", db])
    assert result.exit_code == 1 and "ZZZ" in result.output


def test_rulebooks_list_and_show() -> None:
    result = runner.invoke(app, ["rulebooks"])
    assert result.exit_code == 0
    for rid in ("mrsa-objective-2010-11", "mrsa-objective-2009-10", "mrsa-zero-tolerance-2013-14"):
        assert rid in result.output
    shown = runner.invoke(app, ["rulebooks", "show", "mrsa-objective-2010-11"])
    assert shown.exit_code == 0
    assert "worse_than_median_reduction" in shown.output and "hsj.co.uk" in shown.output
    assert "values are assumed" in shown.output
    as_json = runner.invoke(
        app, ["rulebooks", "show", "mrsa-objective-2009-10", "--json", "--set", "exemption_below_cases=10"]
    )
    data = json.loads(as_json.output)
    assert data["values"]["exemption_below_cases"]["value"] == 10
    assert data["values"]["exemption_below_cases"]["status"] == "what-if"
    assert runner.invoke(app, ["rulebooks", "show", "nope"]).exit_code == 2


def test_broken_rulebook_file_is_refused_with_exit_1(tmp_path: Path, db: str) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: bad\nregime: hcai-counting\ntitle: t\nvalues: {x: {value: 1}}\n")
    result = runner.invoke(app, ["rates", "--year", "2012-13", "--db", db, "--rulebook", str(bad)])
    assert result.exit_code == 1 and "bad.yaml" in result.output and "required key is missing" in result.output


@pytest.mark.parametrize("suffix", [".csv", ".json", ".parquet", ".xlsx"])
def test_rates_out_formats(tmp_path: Path, db: str, suffix: str) -> None:
    out = tmp_path / f"rates{suffix}"
    result = runner.invoke(app, ["rates", "--year", "2012-13", "--db", db, "--out", str(out), "--organism", "mrsa"])
    assert result.exit_code == 0, result.output
    if suffix == ".csv":
        frame = pd.read_csv(out)
    elif suffix == ".json":
        payload = json.loads(out.read_text())
        assert payload["metadata"]["rulebook"] == "hcai-counting-2008"
        frame = pd.DataFrame(payload["rows"])
    elif suffix == ".parquet":
        frame = pd.read_parquet(out)
    else:
        frame = pd.read_excel(out)
    rth = frame[frame["org_code"] == "RTH"].iloc[0]
    assert rth["cases"] == 3 and rth["rate"] == pytest.approx(1.0)
    assert rth["rulebook"] == "hcai-counting-2008"
    assert "3 trust-apportioned cases ÷ 300,000 bed-days × 100,000 = 1.00" == rth["reason"]
    assert rth["assumed"] == "trust_rate_per_bed_days"


def test_rates_what_if_is_recorded(tmp_path: Path, db: str) -> None:
    out = tmp_path / "r.csv"
    result = runner.invoke(
        app, ["rates", "--year", "2012-13", "--db", db, "--out", str(out), "--set", "trust_rate_per_bed_days=10000"]
    )
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(out)
    rth = frame[(frame["org_code"] == "RTH") & (frame["organism"] == "mrsa")].iloc[0]
    assert rth["rate"] == pytest.approx(0.1)
    assert "what-if: trust_rate_per_bed_days=10000" in rth["rulebook"]


def test_rates_from_a_data_folder(good_folder: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.csv"
    result = runner.invoke(app, ["rates", "--year", "2012-13", "--data", str(good_folder), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert (pd.read_csv(out)["org_code"] == "5QJ").any()


def test_explain_prints_the_whole_trace(db: str) -> None:
    result = runner.invoke(app, ["explain", "RTH", "--period", "2012-13", "--db", db])
    assert result.exit_code == 0, result.output
    text = result.output
    assert "RTH · 2012-13 · counts" in text
    assert "2012-04 = 2" in text and "2013-03 = not reported" in text
    assert "rate = 3 cases ÷ 300,000 bed-days × 100,000 = 1.00" in text
    assert "hcai-counting-2008" in text and "assumed" in text
    as_json = json.loads(runner.invoke(app, ["explain", "5QJ", "--period", "2012-13", "--db", db, "--json"]).output)
    assert as_json["result"]["mrsa"] == {"cases": 7, "rate": 1.75, "per": 100000.0}


def test_incremental_folder_may_refer_to_organisations_already_loaded(tmp_path: Path, db: str) -> None:
    from .conftest import write_folder

    more = write_folder(
        tmp_path / "more",
        organisations=None,
        denominators=None,
        infections="org_code,organism,month,apportionment,cases\nRXX,cdiff,2012-08,trust,3\n",
    )
    assert runner.invoke(app, ["import", str(more), "--db", db, "--dry-run"]).exit_code == 0
    result = runner.invoke(app, ["import", str(more), "--db", db])
    assert result.exit_code == 0, result.output
    fresh = runner.invoke(app, ["import", str(more), "--db", str(tmp_path / "fresh.sqlite")])
    assert fresh.exit_code == 1 and "organisations.csv: is missing" in fresh.output


def test_choice_options_are_checked(db: str) -> None:
    assert runner.invoke(app, ["rates", "--year", "2012-13", "--db", db, "--organism", "mssa"]).exit_code == 2
    assert runner.invoke(app, ["rates", "--year", "2012-13", "--db", db, "--kind", "ccg"]).exit_code == 2
    assert runner.invoke(app, ["explain", "RTH", "--period", "2012-13", "--db", db, "--organism", "x"]).exit_code == 2
    assert runner.invoke(app, ["explain", "RTH", "--period", "2012-13", "--db", db, "--regime", "x"]).exit_code == 2


def test_rates_carry_exact_poisson_intervals(tmp_path: Path, db: str) -> None:
    from scipy.stats import chi2

    out = tmp_path / "r.csv"
    assert runner.invoke(app, ["rates", "--year", "2012-13", "--db", db, "--out", str(out)]).exit_code == 0
    rth = pd.read_csv(out).set_index(["org_code", "organism"]).loc[("RTH", "mrsa")]
    # 3 cases in 300,000 bed-days: Garwood 95% limits chi2(0.025, 6)/2 and chi2(0.975, 8)/2 cases
    assert rth["rate_lower"] == pytest.approx(chi2.ppf(0.025, 6) / 2 / 300_000 * 100_000, rel=1e-9)
    assert rth["rate_upper"] == pytest.approx(chi2.ppf(0.975, 8) / 2 / 300_000 * 100_000, rel=1e-9)
    assert rth["interval"] == "95.0% exact Poisson"
    wider = tmp_path / "w.csv"
    runner.invoke(app, ["rates", "--year", "2012-13", "--db", db, "--out", str(wider), "--set", "interval_level=0.998"])
    w = pd.read_csv(wider).set_index(["org_code", "organism"]).loc[("RTH", "mrsa")]
    assert w["rate_lower"] < rth["rate_lower"] and w["rate_upper"] > rth["rate_upper"]
