"""``oversight objectives mrsa --rates FILE``: the median / best quartile / 20% rule on published
rates (UKHSA's rates by ICB), where no cases or population are published."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from nhs_oversight.cli import app

from .conftest import SHARED

runner = CliRunner()
REAL = SHARED / "data" / "raw" / "ukhsa-hcai-annual-tables-2024" / "Trust_Rates_final_ICB_rates_by_organism.csv"
HEADER = (
    "Species,Sustainability transformation partnerships code (ONS),Sustainability transformation partnerships "
    "code (NHS),Integrated care board (ICB),2010 to 2011,2011 to 2012\n"
)
MRSA = "Methicillin-resistant Staphylococcus aureus (MRSA)"
# baseline 2011-12 rates: median 3.0, best quartile (QUARTILE.INC) 2.0
RATES = {"QA1": 5.0, "QA2": 4.0, "QA3": 3.0, "QA4": 2.0, "QA5": 1.0}
EXPECTED = {
    "QA1": ("worse_than_median", 3.0),  # min(median 3.0, 5.0 × 0.8 = 4.0)
    "QA2": ("worse_than_median", 3.0),  # min(3.0, 3.2)
    "QA3": ("better_than_median", 2.4),  # at the median: max(quartile 2.0, 3.0 × 0.8 = 2.4)
    "QA4": ("best_quartile", 2.0),  # at the quartile: set locally, keep the rate
    "QA5": ("best_quartile", 1.0),
}


def _table(tmp_path: Path) -> Path:
    rows = [f"{MRSA},E540000{i},{code},NHS ICB {code},[x],{rate}" for i, (code, rate) in enumerate(RATES.items())]
    rows.append("Escherichia coli,E5400009,QA1,NHS ICB QA1,70.1,71.2")
    path = tmp_path / "rates.csv"
    path.write_text(HEADER + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_objectives_from_published_rates_by_hand(tmp_path: Path) -> None:
    out = tmp_path / "objectives.csv"
    args = ["objectives", "mrsa", "--year", "2012-13", "--rates", str(_table(tmp_path)), "--out", str(out)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(out).set_index("org_code")
    assert set(frame.index) == set(RATES)
    for code, (group, rate) in EXPECTED.items():
        assert frame.at[code, "group"] == group, code
        assert frame.at[code, "target_rate"] == pytest.approx(rate), code
        assert frame.at[code, "baseline_rate"] == pytest.approx(RATES[code]), code
    assert frame["target_cases"].isna().all() and frame["baseline_cases"].isna().all()
    assert frame["reason"].str.contains("need the population").all()
    assert (frame["baseline_period"] == "2011-12").all()


def test_published_rates_refusals(tmp_path: Path) -> None:
    table = str(_table(tmp_path))
    zero = runner.invoke(app, ["objectives", "mrsa", "--year", "2014-15", "--rates", table])
    assert zero.exit_code == 2 and "median" in zero.output  # zero tolerance sets no median rule
    later = ["objectives", "mrsa", "--year", "2014-15", "--rates", table, "--rulebook", "mrsa-objective-2010-11"]
    missing = runner.invoke(app, later)
    assert missing.exit_code == 1 and "2013-14" in missing.output
    both = runner.invoke(app, ["objectives", "mrsa", "--year", "2012-13", "--rates", table, "--db", "x.sqlite"])
    assert both.exit_code == 2
    assert runner.invoke(app, ["objectives", "mrsa", "--year", "2012-13", "--rates", "/no/such.csv"]).exit_code == 2


@pytest.mark.skipif(not REAL.exists(), reason="../shared/data/raw is absent")
def test_real_icb_rates(tmp_path: Path) -> None:
    out = tmp_path / "icb.csv"
    args = ["objectives", "mrsa", "--year", "2023-24", "--rates", str(REAL), "--rulebook", "mrsa-objective-2010-11"]
    result = runner.invoke(app, [*args, "--out", str(out)])
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(out)
    assert len(frame) == 42 and (frame["kind"] == "icb").all()
    assert frame["target_cases"].isna().all()
    assert set(frame["group"]) <= {"worse_than_median", "better_than_median", "best_quartile"}
    worse = frame[frame["group"] == "worse_than_median"]
    assert (worse["target_rate"] < worse["baseline_rate"]).all()


ODS = SHARED / "data" / "raw" / "ukhsa-hcai-annual-tables-2024" / "Temporal_Rates_UKHSA_annual_data_tables_Sep2024.ods"


@pytest.mark.skipif(not ODS.exists(), reason="../shared/data/raw is absent")
def test_national_series_command(tmp_path: Path) -> None:
    pytest.importorskip("odf")
    out = tmp_path / "national.csv"
    result = runner.invoke(app, ["national-series", str(ODS), "--out", str(out)])
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(out)
    mrsa = frame[(frame["organism"] == "mrsa") & (frame["measure"] == "all_reported")]
    assert len(mrsa) >= 10 and (mrsa["cases"] > 0).all()
    assert runner.invoke(app, ["national-series", str(tmp_path / "none.ods")]).exit_code == 2
