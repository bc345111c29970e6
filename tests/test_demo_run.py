"""`oversight demo`: the main job runs end to end on the bundled demo data."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from nhs_oversight.cli import app
from nhs_oversight.periods import FinancialYear
from nhs_oversight.service import explain_counts, national_totals, rates_for_year
from nhs_oversight.store import open_store

runner = CliRunner()


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    out = tmp_path_factory.mktemp("demo")
    db = out / "demo.sqlite"
    result = runner.invoke(app, ["demo", "--out-dir", str(out), "--db", str(db)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    return out, str(db), result.output


def test_demo_prints_summary_and_report_path(demo_run) -> None:
    out, _, output = demo_run
    assert "National counts by financial year" in output
    last = output.strip().splitlines()[-1]
    assert last.startswith("Report: ")
    report = Path(last.removeprefix("Report: ").strip())
    assert report == out / "demo-report.html" and report.exists()
    html = report.read_text(encoding="utf-8")
    for section in (
        "National counts by year",
        "Counts and rates by organisation",
        "Infection objectives",
        "Monitoring at",
        "Governance risk ratings",
        "What the C. difficile de minimis did",
        "Small numbers: chance, not performance",
        "Financial risk ratings",
        "<svg",
        "Import log",
        "fictional",
    ):
        assert section in html
    # self-contained: no element of the page fetches from elsewhere (the inlined chart library's
    # own code holds URL strings it never loads, so scripts' bodies are left out of the search)
    markup = re.sub(r"<script\b[^>]*>.*?</script>", "<script></script>", html, flags=re.S)
    assert not re.search(r"""(src|href)=["']https?://""", markup)
    assert not re.search(r"""<(script|link|img)[^>]+(src|href)=["']https?://""", html)
    assert (out / "figures" / "funnel-cdiff.png").stat().st_size > 10_000


def test_demo_database_holds_the_generated_folder(demo_run) -> None:
    out, db, _ = demo_run
    engine = open_store(db)
    totals = national_totals(engine)
    inf = pd.read_csv(out / "demo-data" / "infections.csv")
    assert totals["cases"].sum() == inf["cases"].sum()
    cdiff_1112 = totals[
        (totals["financial_year"] == "2011-12")
        & (totals["organism"] == "cdiff")
        & (totals["apportionment"] != "population")
    ]["cases"].sum()
    assert 19_000 <= cdiff_1112 <= 20_400


def test_rates_table_agrees_with_the_traced_rule_on_demo_data(demo_run, library) -> None:
    _, db, _ = demo_run
    engine = open_store(db)
    year = FinancialYear(2012)
    table, _ = rates_for_year(engine, library, year)
    sample = table.drop_duplicates("org_code").sample(25, random_state=1)["org_code"]
    for code in sample:
        trace = explain_counts(engine, library, code, year)
        for organism, result in trace.result.items():
            row = table[(table["org_code"] == code) & (table["organism"] == organism)].iloc[0]
            assert result["cases"] == row["cases"]
            if result["rate"] is not None:
                assert result["rate"] == pytest.approx(row["rate"], abs=1e-4)


def test_demo_is_repeatable(demo_run, tmp_path: Path) -> None:
    out, _, _ = demo_run
    again = tmp_path / "again"
    result = runner.invoke(app, ["demo-data", str(again)])
    assert result.exit_code == 0
    for f in (out / "demo-data").glob("*.csv"):
        assert (again / f.name).read_bytes() == f.read_bytes()
