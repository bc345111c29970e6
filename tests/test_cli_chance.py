"""`oversight chance` and `compare` against an independent exact computation and simulation."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import poisson
from typer.testing import CliRunner

from nhs_oversight.cli import app

runner = CliRunner()


@pytest.fixture
def folder(governance_folder: Path) -> Path:
    return governance_folder


def _run(folder: Path, tmp_path: Path, *args: str) -> pd.DataFrame:
    out = tmp_path / "chance.csv"
    result = runner.invoke(app, ["chance", "--data", str(folder), "--out", str(out), *args])
    assert result.exit_code == 0, result.output
    return pd.read_csv(out).set_index(["org_code", "organism"])


def test_annual_chance_matches_an_independent_exact_computation(folder: Path, tmp_path: Path) -> None:
    frame = _run(folder, tmp_path, "--year", "2012-13")
    assert list(frame.reset_index().columns[:7]) == [
        "org_code",
        "organism",
        "period",
        "expected_cases",
        "objective",
        "p_breach",
        "p_downgrade",
    ]
    for (code, organism), objective in {
        ("FT1", "cdiff"): 40,
        ("FT2", "cdiff"): 8,
        ("NT1", "cdiff"): 77,
        ("FT1", "mrsa"): 2,
    }.items():
        row = frame.loc[(code, organism)]
        assert row["expected_cases"] == objective and row["objective"] == objective
        # P(X > objective), X ~ Poisson(objective)
        assert row["p_breach"] == pytest.approx(1 - poisson.cdf(objective, objective), abs=1e-9)
        # a downgrade needs more than the objective and at least 12 (C. difficile) or 6 (MRSA) cases
        dm = 12 if organism == "cdiff" else 6
        assert row["p_downgrade"] == pytest.approx(1 - poisson.cdf(max(objective, dm - 1), objective), abs=1e-9)


def test_quarterly_chance_uses_the_year_to_date_trajectory(folder: Path, tmp_path: Path) -> None:
    frame = _run(folder, tmp_path, "--year", "2012-13", "--quarter", "2012-13-Q2")
    nt1 = frame.loc[("NT1", "cdiff")]
    assert nt1["objective"] == 36  # the agreed trajectory, not 77 / 2
    assert nt1["p_breach"] == pytest.approx(poisson.sf(36, 36), abs=1e-9)
    ft2 = frame.loc[("FT2", "cdiff")]
    assert ft2["objective"] == 4.0  # 8 in equal quarters
    assert ft2["p_downgrade"] == pytest.approx(poisson.sf(11, 4.0), abs=1e-12)  # the de minimis decides
    # simulation agrees with the exact figure (4 binomial standard errors)
    rng = np.random.default_rng(20121)
    draws = rng.poisson(36.0, 200_000)
    p = float(np.mean(draws > 36))
    assert abs(p - nt1["p_downgrade"]) < 4 * np.sqrt(p * (1 - p) / draws.size)


def test_compare_de_minimis_against_none(folder: Path, tmp_path: Path) -> None:
    out = tmp_path / "cmp.csv"
    fig = tmp_path / "cmp.svg"
    result = runner.invoke(
        app,
        [
            "compare",
            "monitor-compliance-2012-13",
            "monitor-compliance-2012-13",
            "--year",
            "2012-13",
            "--set-b",
            "cdiff_de_minimis=0",
            "--data",
            str(folder),
            "--out",
            str(out),
            "--figure",
            str(fig),
        ],
    )
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(out)
    cd = frame[frame["organism"] == "cdiff"].set_index("size_band")
    small = cd.loc["5–12"]  # FT2: objective 8
    assert small["p_downgrade_a"] == pytest.approx(poisson.sf(11, 8), abs=1e-9)
    assert small["p_downgrade_b"] == pytest.approx(poisson.sf(8, 8), abs=1e-9)
    large = cd.loc["≥50"]  # NT1: objective 77, the de minimis makes no difference
    assert large["p_downgrade_a"] == pytest.approx(large["p_downgrade_b"])
    assert "what-if: cdiff_de_minimis=0" in frame["rulebook_b"].iloc[0]
    assert fig.stat().st_size > 1000


def test_size_scaled_limit_equalises_the_risk(folder: Path, tmp_path: Path) -> None:
    frame = _run(folder, tmp_path, "--year", "2012-13", "--rulebook", "monitor-compliance-2012-13-poisson")
    cdiff = frame.xs("cdiff", level="organism")
    assert (cdiff["p_downgrade"] <= 0.05 + 1e-12).all()
    assert (cdiff["p_downgrade"] > 0.01).all()


def test_funnel_positions_agree_with_exact_poisson_limits(tmp_path: Path) -> None:
    from nhs_oversight.demo.generate import generate_demo
    from nhs_oversight.stats.funnel import interpolated_poisson_quantile

    folder = tmp_path / "demo"
    generate_demo(folder)
    out, fig = tmp_path / "f.csv", tmp_path / "f.svg"
    result = runner.invoke(
        app, ["funnel", "--year", "2012-13", "--data", str(folder), "--out", str(out), "--figure", str(fig)]
    )
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(out)
    assert frame["expected"].sum() == pytest.approx(frame["observed"].sum())  # expected at the national rate
    for _, r in frame.iterrows():
        upper998 = interpolated_poisson_quantile(0.999, r["expected"])
        upper95 = interpolated_poisson_quantile(0.975, r["expected"])
        lower95 = interpolated_poisson_quantile(0.025, r["expected"])
        if r["observed"] > upper998:
            assert r["position"] == "above 99.8%"
        elif r["observed"] > upper95:
            assert r["position"] == "above 95%"
        elif r["observed"] >= lower95:
            assert r["position"] == "within"
    assert fig.read_text().startswith("<?xml")
    od = runner.invoke(
        app, ["funnel", "--year", "2012-13", "--data", str(folder), "--overdispersion", "winsorised", "--out", str(out)]
    )
    assert od.exit_code == 0, od.output
    assert (pd.read_csv(out)["position"] == "within").sum() > (frame["position"] == "within").sum()


def test_compare_set_applies_to_both(folder: Path, tmp_path: Path) -> None:
    out = tmp_path / "cmp.csv"
    result = runner.invoke(
        app,
        [
            "compare",
            "monitor-compliance-2012-13",
            "monitor-compliance-2012-13-poisson",
            "--year",
            "2012-13",
            "--set",
            "de_minimis_inclusive=false",
            "--data",
            str(folder),
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(out)
    assert frame["rulebook_a"].str.contains("de_minimis_inclusive=False").all()
    assert frame["rulebook_b"].str.contains("de_minimis_inclusive=False").all()
    small = frame[frame["organism"] == "cdiff"].set_index("size_band").loc["5–12"]
    assert small["p_downgrade_a"] == pytest.approx(poisson.sf(12, 8), abs=1e-9)  # exclusive: more than 12


def test_chance_for_commissioners(tmp_path: Path) -> None:
    """PCTs and CCGs: the chance of missing the MRSA objective by chance alone (RULES.md §1.5)."""
    from .conftest import write_folder
    from .test_cli_objectives import ORGS as OBJ_ORGS
    from .test_cli_objectives import _denominators, _infections

    folder = write_folder(
        tmp_path / "pct", organisations=OBJ_ORGS, infections=_infections(), denominators=_denominators()
    )
    db = tmp_path / "pct.sqlite"
    assert runner.invoke(app, ["import", str(folder), "--db", str(db)]).exit_code == 0
    out = tmp_path / "chance.csv"
    result = runner.invoke(app, ["chance", "--year", "2012-13", "--kind", "pct", "--db", str(db), "--out", str(out)])
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(out, dtype={"org_code": str})
    mrsa = frame[frame["organism"] == "mrsa"].set_index("org_code")
    assert set(mrsa.index) == {"5P1", "5P2", "5P3", "5P4", "5P5"}
    assert set(frame["kind"]) == {"pct"} and frame["p_downgrade"].isna().all()
    # 5P3's MRSA objective is 10 cases: on target, X ~ Poisson(10), P(X > 10) = 1 - F(10)
    assert mrsa.at["5P3", "objective"] == 10
    assert mrsa.at["5P3", "p_breach"] == pytest.approx(poisson.sf(10, 10), rel=1e-12)
    assert runner.invoke(app, ["chance", "--year", "2012-13", "--kind", "ccg", "--db", str(db)]).exit_code == 2
