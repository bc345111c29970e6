"""`finance_for_period`, `explain_finance` and `finance_section` from a data folder to a
table, a trace and the report fragment; then the demo data set.

The folder's figures are chosen so that each provider's scores can be worked by hand from
the FRR table of RULES.md §4 (arithmetic in the comments).
"""

from __future__ import annotations

import json
from pathlib import Path

import jinja2
import pandas as pd
import pytest

from nhs_oversight.demo.generate import generate_demo
from nhs_oversight.errors import UsageError
from nhs_oversight.inputs import read_data_folder
from nhs_oversight.periods import FinancialYear, Quarter
from nhs_oversight.service.common import AssessmentError
from nhs_oversight.service.finance import (
    FINANCE_COLUMNS,
    explain_finance,
    finance_for_period,
    finance_rulebook,
    finance_section,
)
from nhs_oversight.store import load_dataset, memory_store

from .conftest import write_folder

ORGS = """code,name,kind
RA1,Trust A,foundation_trust
RB1,Trust B,nhs_trust
NI1,Independent I,independent
5P1,PCT with figures,pct
RT1,Twin one,foundation_trust
RT2,Twin two (PFI),foundation_trust
RT3,Twin three (CQC concern),foundation_trust
RX1,Trust X (one-off income),foundation_trust
"""

COLUMNS = (
    "org_code,period,operating_income,operating_expenses,ebitda,planned_ebitda,net_surplus,exceptional_income,"
    "pdc_dividend,interest_payable,interest_receivable,pfi_unitary_payments,loan_principal_repaid,cash,"
    "current_assets,current_liabilities,committed_facilities,total_assets,borrowings"
)
TWIN = "100000,94000,6000,6000,1500,0,1000,500,100,{pfi},1000,5000,15000,12000,2000,60000,10000"
FINANCIALS = "\n".join(
    [
        COLUMNS,
        # RA1: margin 6% → 3; achieved 6,000/7,000 = 85.7% → 4; net return 500/50,000 = 1% → 3;
        # surplus margin 0.5% → 2; liquid 360 × 5,000/94,000 = 19.15 days → 3: 2.90 → 3 (one at 2: max 3)
        "RA1,2012-13,100000,94000,6000,7000,500,0,1000,500,100,0,1000,5000,15000,12000,2000,50000,10000",
        # RA1 Q2 year to date: the same ratios on half a year's flows; liquid 360 × 5,000/(47,000 × 2) = 19.15
        "RA1,2012-13-Q2,50000,47000,3000,3500,250,0,500,250,50,0,500,5000,15000,12000,2000,50000,10000",
        # RB1: margin 9% → 4; achieved 90% → 4; net return 500/25,000 = 2% → 4; surplus margin 0.5% → 2;
        # liquid 360 × 8,000/91,000 = 31.6 → 4: 3.6 → 4, one at 2 → 3
        "RB1,2012-13,100000,91000,9000,10000,500,0,1000,500,100,0,1000,5000,20000,12000,0,25000,10000",
        # NI1: margin 6% → 3; achieved 100% → 5; net return 1.5% → 3; surplus margin 1.5% → 3; liquid 19.15 → 3:
        # 3.2 → 3; a PDC dividend unpaid in January 2013 caps the year at 2
        "NI1,2012-13,100000,94000,6000,6000,1500,0,0,500,100,0,1000,5000,15000,12000,2000,100000,10000",
        # NI1 Q2: the same ratios; the January event is after Q2, so 3
        "NI1,2012-13-Q2,50000,47000,3000,3000,750,0,0,250,50,0,500,5000,15000,12000,2000,100000,10000",
        # 5P1: no income, no spending, no assets: margins, return and liquid ratio undefined → 1;
        # EBITDA 0 meets a plan of 0 → 5: 1.4 → 1
        "5P1,2012-13,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0",
        # RX1: every metric at 5 as reported (margin 12%, achieved 100%, net return 3.5%, surplus margin 3.5%,
        # liquid 360 × 15,000/88,000 = 61 days); without its £4,000k one-off income: margin 8,000/96,000 = 8.3% → 3,
        # achieved 66.7% → 2, net return −0.5% → 3, surplus margin −0.52% → 2, liquid 5: 3.2 → 3, two at 2 → 2
        "RX1,2012-13,100000,88000,12000,12000,3500,4000,1000,500,100,0,1000,5000,20000,5000,0,100000,10000",
        # twins: the base figures (FRR scores 3, 5, 4, 3, 3 → 3.4 → 3; 10-point core 3.78 → 4)
        "RT1,2012-13," + TWIN.format(pfi=0),
        "RT2,2012-13," + TWIN.format(pfi=12000),
        "RT3,2012-13," + TWIN.format(pfi=0),
        # continuity of service (RAF), Q3 year to date (annualisation 12/9): capital service cover 1,500/1,000 = 1.5
        # → 2; liquidity 360 × (10,000 − 12,000)/(54,000 × 4/3) = −10 days → 2: rating 2
        "RT1,2013-14-Q3,60000,54000,1500,1500,500,0,1000,0,0,0,0,1000,10000,12000,0,60000,0",
        "RT2,2013-14-Q3,60000,54000,1500,1500,500,0,1000,0,0,0,0,1000,10000,12000,0,60000,0",
        # a year before: RT1 was worse on both (1.4 times, −12 days) → 2*; RT2's cover was higher (1.6) → 2
        "RT1,2012-13-Q3,60000,54000,1400,1400,500,0,1000,0,0,0,0,1000,9600,12000,0,60000,0",
        "RT2,2012-13-Q3,60000,54000,1600,1600,500,0,1000,0,0,0,0,1000,9600,12000,0,60000,0",
    ]
)
EVENTS = """event_id,org_code,date,kind,value,estimated_cost,exceptional,evidence
E1,RB1,2012-06-15,plan_late,15,,,Annual plan 15 days late
E2,NI1,2013-01-10,pdc_unpaid,200,,,Half-year PDC dividend not paid in full
E3,RA1,2013-05-01,pbc_breach,,,,Outside 2012-13
E4,RT3,2012-08-01,cqc_major_concern,,1000,false,CQC major concern: staffing on medical wards
"""
EXPECTED_FRR = {
    "RA1": (3, 3),
    "RB1": (4, 3),
    "NI1": (3, 2),
    "5P1": (1, 1),
    "RT1": (3, 3),
    "RT2": (3, 3),
    "RT3": (3, 3),
    "RX1": (5, 5),
}


@pytest.fixture
def engine(tmp_path: Path, library):
    folder = write_folder(
        tmp_path / "finance",
        organisations=ORGS,
        infections=None,
        denominators=None,
        financials=FINANCIALS + "\n",
        events=EVENTS,
    )
    eng = memory_store()
    load_dataset(eng, read_data_folder(folder, library))
    return eng


def test_frr_end_to_end(engine, library) -> None:
    table, traces, rb = finance_for_period(engine, library, FinancialYear.parse("2012-13"), "monitor-frr-2012-13")
    assert rb.id == "monitor-frr-2012-13"
    metric_scores = [f"{m}_score" for m in rb.value("rated_metrics")]
    assert list(table.columns[:3]) == FINANCE_COLUMNS[:3]
    assert list(table.columns[3 : 3 + len(metric_scores)]) == metric_scores
    assert list(table.columns[3 + len(metric_scores) : 3 + len(metric_scores) + 6]) == FINANCE_COLUMNS[3:]
    got = {r.org_code: (r.uncapped_rating, r.rating) for r in table.itertuples()}
    assert got == EXPECTED_FRR
    t = table.set_index("org_code")
    assert t.loc["RA1", "weighted_score"] == pytest.approx(2.9)
    assert list(t.loc["RA1", metric_scores]) == [3, 4, 3, 2, 3]
    assert t.loc["RB1", "weighted_score"] == pytest.approx(3.6)
    assert "one_metric_at_2: -1 applied" in t.loc["RB1", "overrides"]
    assert "plan_late E1: not applied" not in t.loc["RB1", "overrides"]  # listed: it would not lower 3
    assert "plan_late E1" in t.loc["RB1", "overrides"]
    assert "pdc_unpaid E2: -1 applied" in t.loc["NI1", "overrides"]
    assert "pbc_breach" not in t.loc["RA1", "overrides"]  # dated in 2013-14
    assert t.loc["5P1", "kind"] == "pct" and t.loc["NI1", "kind"] == "independent"
    assert t.loc["5P1", "ebitda_margin"] is None or pd.isna(t.loc["5P1", "ebitda_margin"])
    assert set(t["band"]) == {""}
    assert (
        t.loc["RA1", "response"] == "no intervention indicated"
        and t.loc["NI1", "response"] == "intervention considered"
    )
    assert (t.loc["RX1", "normalised_uncapped_rating"], t.loc["RX1", "normalised_rating"]) == (3, 2)
    assert t.loc["RX1", "normalised_weighted_score"] == pytest.approx(3.2)
    assert "normalised (exceptional income £4,000k removed): 2" in t.loc["RX1", "reason"]
    others = t.drop(index="RX1")
    assert (others["normalised_rating"] == others["rating"]).all()  # no exceptional income
    assert "ebitda_margin_formula" in t.loc["RA1", "assumed"] and "rating_rounding" in t.loc["RA1", "assumed"]
    assert set(traces) == set(EXPECTED_FRR)


def test_quarter_year_to_date_figures_and_events(engine, library) -> None:
    table, _, rb = finance_for_period(engine, library, Quarter.parse("2012-13-Q2"))
    assert rb.id == "monitor-frr-2012-13"  # in force on 30 September 2012
    t = table.set_index("org_code")
    assert sorted(t.index) == ["NI1", "RA1"]
    assert t.loc["RA1", "liquid_ratio"] == pytest.approx(360 * 5_000 / 94_000)  # annualised expenses
    assert (t.loc["RA1", "rating"], t.loc["NI1", "rating"]) == (3, 3)  # the January event is not yet counted


def test_ten_point_twins_end_to_end(engine, library) -> None:
    table, traces, rb = finance_for_period(engine, library, "2012-13", "monitor-licence-consultation-2012")
    t = table.set_index("org_code")
    # core 3.78 → 4 for all three; RT2 pays 12% of income in PFI (> 10%): +1; RT3's £1,000k concern re-rates to 5: +1
    assert (t.loc["RT1", "uncapped_rating"], t.loc["RT1", "rating"]) == (4, 4)
    assert t.loc["RT2", "rating"] - t.loc["RT1", "rating"] == 1
    assert t.loc["RT3", "rating"] - t.loc["RT1", "rating"] == 1
    assert t.loc["RT2", "pfi_share"] == pytest.approx(0.12) and "pfi_share: +1 applied" in t.loc["RT2", "overrides"]
    assert "cqc_major_concern E4: +1 applied" in t.loc["RT3", "overrides"]
    assert set(t["band"]) <= {"normal", "concern", "distress", "failure"} and t.loc["RT1", "band"] == "normal"
    assert {"interest_cover_score", "capital_service_cover_score"} <= set(table.columns)
    assert any(s.rule == "finance.reported.rerate" for s in traces["RT3"].steps)


def test_continuity_rating_and_two_star(engine, library) -> None:
    table, _, rb = finance_for_period(engine, library, "2013-14-Q3", two_star=True)
    assert rb.id == "monitor-raf-2013"
    t = table.set_index("org_code")
    assert t.loc["RT1", "liquidity"] == pytest.approx(-10)
    assert (t.loc["RT1", "rating"], t.loc["RT2", "rating"]) == (2, 2)
    assert (t.loc["RT1", "rating_label"], t.loc["RT2", "rating_label"]) == ("2*", "2")
    plain, _, _ = finance_for_period(engine, library, "2013-14-Q3")
    assert set(plain["rating_label"]) == {"2"}
    named, _, _ = finance_for_period(engine, library, "2013-14-Q3", two_star=["rt2"])
    assert dict(zip(named["org_code"], named["rating_label"])) == {"RT1": "2", "RT2": "2*"}


def test_rulebook_in_force_on_the_last_day_of_the_period(library) -> None:
    assert finance_rulebook(library, "2010-11").id == "monitor-frr-2012-13"
    assert finance_rulebook(library, "2013-14-Q2").id == "monitor-frr-2012-13"
    assert finance_rulebook(library, "2013-14-Q3").id == "monitor-raf-2013"
    assert finance_rulebook(library, "2013-14").id == "monitor-raf-2013"
    with pytest.raises(AssessmentError, match="no financial rating rulebook is in force"):
        finance_rulebook(library, "2008-09")
    # a rulebook of another regime is a usage error (exit 2), named by the one place rulebooks are chosen
    with pytest.raises(UsageError, match="needs a financial rating rulebook"):
        finance_rulebook(library, "2012-13", "mrsa-objective-2010-11")


def test_what_if_is_applied_and_recorded(engine, library) -> None:
    # RT1's liquid ratio of 19.15 days reaches 19 and scores 4: 0.75 + 0.5 + 0.8 + 0.6 + 1.0 = 3.65 → 4 (was 3.4 → 3)
    what_if = {"liquid_ratio_thresholds": [60, 19, 15, 10]}
    table, traces, rb = finance_for_period(engine, library, "2012-13", "monitor-frr-2012-13", what_if)
    t = table.set_index("org_code")
    assert (t.loc["RT1", "liquid_ratio_score"], t.loc["RT1", "rating"]) == (4, 4)
    assert t.loc["RT1", "rulebook"] == "monitor-frr-2012-13 (what-if: liquid_ratio_thresholds=[60, 19, 15, 10])"
    assert traces["RT1"].what_if == what_if and "liquid_ratio_thresholds" in t.loc["RT1", "assumed"]


def test_errors_a_user_can_act_on(engine, library) -> None:
    with pytest.raises(AssessmentError, match=r"no financials for 2011-12 .*periods held: 2012-13"):
        finance_for_period(engine, library, "2011-12", "monitor-frr-2012-13")
    with pytest.raises(AssessmentError, match="no organisation 'ZZZ'"):
        explain_finance(engine, library, "ZZZ", "2012-13")
    with pytest.raises(AssessmentError, match="no financials for RA1 for 2013-14-Q3"):
        explain_finance(engine, library, "RA1", "2013-14-Q3")
    with pytest.raises(AssessmentError, match="turnover"):
        finance_for_period(
            engine, library, "2012-13", "monitor-frr-2012-13", {"ebitda_margin_formula": "ebitda / turnover"}
        )


def test_explain_shows_every_metric_with_inputs_score_weight_and_cap(engine, library) -> None:
    trace = explain_finance(engine, library, "rb1", "2012-13", "monitor-frr-2012-13")
    metrics = [s for s in trace.steps if s.rule == "finance.reported.metric"]
    assert [s.value["metric"] for s in metrics] == [
        "ebitda_margin",
        "ebitda_achieved",
        "net_return_after_financing",
        "surplus_margin",
        "liquid_ratio",
    ]
    assert metrics[0].inputs == {"ebitda": 9_000.0, "operating_income": 100_000.0}
    assert metrics[0].value["score"] == 4 and metrics[0].value["weight"] == 0.25
    text = trace.to_text()
    assert "weighted average 25% × 4 + 10% × 4 + 20% × 4 + 20% × 2 + 25% × 4 = 3.60 → 4" in text
    assert "overriding rule 1 metric(s) at 2 (surplus_margin): at most 3" in text
    assert "plan late on 2012-06-15: at most 3" in text
    assert any(s.rule == "finance.normalised.same" for s in trace.steps)  # no one-off income to remove
    one_off = explain_finance(engine, library, "RX1", "2012-13")
    assert len([s for s in one_off.steps if s.rule == "finance.normalised.metric"]) == 5
    assert {k: trace.result[k] for k in ("rating", "band", "normalised_rating")} == {
        "rating": "3",
        "band": "",
        "normalised_rating": "3",
    }
    caps = {o["name"]: (o["threshold"], o["movement"], o["applied"]) for o in trace.result["overrides"]}
    assert caps == {"one_metric_at_2": (3, -1, True), "plan_late": (3, -1, True)}
    assert json.loads(trace.to_json())["result"]["rating"] == "3"
    ten = explain_finance(engine, library, "RT2", "2012-13", "monitor-licence-consultation-2012")
    assert any(s.rule == "finance.reported.override" and "pfi_share: +1 applied" in s.text for s in ten.steps)


def _render(section: dict) -> str:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("nhs_oversight.report", "templates"),
        autoescape=jinja2.select_autoescape(["html"]),
        undefined=jinja2.StrictUndefined,
    )
    return env.get_template("_finance.html").render(finance=section)


def test_section_and_fragment(engine, library) -> None:
    section = finance_section(engine, library, "2012-13")
    assert section["providers"] == 8 and section["rated"]["rulebook"] == "monitor-frr-2012-13"
    assert sum(r[1] for r in section["rated"]["distribution"]) == 8
    assert section["rated"]["normalised_differs"] == 1
    assert [m["org_code"] for m in section["ten_point"]["moved"]] == ["RT2", "RT3"]
    assert section["pfi"]["above"] == 1 and section["pfi"]["providers"][0]["org_code"] == "RT2"
    html = _render(section)
    assert "Financial risk ratings, 2012-13" in html and "RT2" in html and "12.0%" in html
    assert _render({}).strip() == ""


# --- the demo data set ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory, library):
    folder = tmp_path_factory.mktemp("demo")
    generate_demo(folder)
    eng = memory_store()
    load_dataset(eng, read_data_folder(folder, library))
    return eng


def test_demo_frr_distribution_is_sensible(demo, library) -> None:
    table, traces, _ = finance_for_period(demo, library, "2012-13")
    assert len(table) == 154 and set(table["kind"]) == {"foundation_trust", "nhs_trust", "independent"}
    counts = table["rating"].value_counts()
    assert set(counts.index) == {1, 2, 3, 4, 5}
    assert table["rating"].median() >= 3  # most providers are sound
    assert 0.1 < (table["rating"] <= 2).mean() < 0.5  # a tail of struggling trusts, not the majority
    assert (table["rating"] <= table["uncapped_rating"]).all()  # caps only ever lower
    assert (table["normalised_rating"] <= table["rating"]).all()  # removing one-off income never helps
    assert (table["normalised_rating"] < table["rating"]).any()
    assert set(traces) == set(table["org_code"])


def test_demo_ten_point_overrides_respect_the_limit(demo, library) -> None:
    table, _, _ = finance_for_period(demo, library, "2012-13", "monitor-licence-consultation-2012")
    assert (table["band"] == "normal").mean() > 0.6
    assert set(table["band"]) <= {"normal", "concern", "distress", "failure"}
    moved = table["rating"] - table["uncapped_rating"]
    ordinary = table["exceptional"] == ""
    assert moved[ordinary].abs().max() <= 1
    pfi = table[table["overrides"].str.contains("pfi_share: +1 applied", regex=False)]
    assert 10 <= len(pfi) <= 30 and (pfi["pfi_share"] > 0.10).all()
    assert (table.loc[table["pfi_share"] <= 0.10, "overrides"].str.contains("pfi_share: +1")).sum() == 0


def test_demo_section_renders_for_the_latest_year(demo, library) -> None:
    section = finance_section(demo, library, "2013-14")
    assert section["rated"]["rulebook"] == "monitor-raf-2013" and section["providers"] == 154
    assert sum(b[3] for b in section["ten_point"]["bands"]) == 154
    assert section["pfi"]["above"] >= 10
    html = _render(section)
    assert html.count("<tr>") > 154 and "PFI exposure" in html


def test_finance_command_and_explain(tmp_path) -> None:
    """`oversight finance` and `explain --regime finance` on the demo data folder."""
    import pandas as pd
    from typer.testing import CliRunner

    from nhs_oversight.cli import app
    from nhs_oversight.demo.generate import generate_demo

    runner = CliRunner()
    folder = tmp_path / "demo"
    generate_demo(folder)
    out = tmp_path / "f.csv"
    result = runner.invoke(app, ["finance", "--period", "2012-13", "--data", str(folder), "--out", str(out)])
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(out)
    assert list(frame.columns[:3]) == ["org_code", "period", "rulebook"]
    assert {"weighted_score", "uncapped_rating", "rating", "band", "overrides", "reason"} <= set(frame.columns)
    assert (frame["rulebook"] == "monitor-frr-2012-13").all() and frame["rating"].between(1, 5).all()
    ten = runner.invoke(
        app,
        [
            "finance",
            "--period",
            "2012-13",
            "--rulebook",
            "monitor-licence-consultation-2012",
            "--data",
            str(folder),
            "--out",
            str(out),
        ],
    )
    assert ten.exit_code == 0, ten.output
    assert set(pd.read_csv(out)["band"]) <= {"normal", "concern", "distress", "failure"}
    code = frame["org_code"].iloc[0]
    explained = runner.invoke(
        app, ["explain", code, "--period", "2012-13", "--regime", "finance", "--data", str(folder)]
    )
    assert explained.exit_code == 0, explained.output
    assert "ebitda_margin_thresholds" in explained.output and "weighted" in explained.output
    assert (
        runner.invoke(app, ["finance", "--period", "2012-13", "--rulebook", "nope", "--data", str(folder)]).exit_code
        == 2
    )
    assert runner.invoke(app, ["finance", "--period", "2012-14", "--data", str(folder)]).exit_code == 2
