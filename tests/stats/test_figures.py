"""Figures render to non-empty PNG and SVG files."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from nhs_oversight.stats import funnel_limits, overdispersion, p_breach_with_de_minimis, p_exceed
from nhs_oversight.stats.figures import chance_by_size_plot, comparison_plot, funnel_plot, save

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "code": ["RTH", "RXX", "RA1", "RB2", "RC3", "RD4"],
            "observed": [45, 2, 15, 60, 0, 9],
            "expected": [18.5, 3.2, 14.0, 52.0, 1.1, 4.0],
        }
    )


def test_funnel_plot_saves_png_and_svg(frame, tmp_path):
    fig = funnel_plot(frame, label="code", title="C. difficile 2012-13")
    png = save(fig, tmp_path / "funnel.png")
    svg = save(fig, tmp_path / "funnel.svg")
    assert png.read_bytes().startswith(PNG_MAGIC) and png.stat().st_size > 5_000
    text = svg.read_text()
    assert text.lstrip().startswith("<?xml") and "<svg" in text
    # only points outside the 99.8% limits are labelled: RTH (45 against 18.5 expected)
    assert [t.get_text() for t in fig.axes[0].texts] == ["RTH"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["funnel.png", "funnel.svg"]  # no temporary left


def test_funnel_plot_draws_the_limits_it_computes(frame):
    fig = funnel_plot(frame, target_rate=20.0, rate_label="rate per 100,000 bed-days")
    ax = fig.axes[0]
    assert ax.get_ylabel() == "rate per 100,000 bed-days"
    upper_998 = [line for line in ax.get_lines() if line.get_label() == "99.8% limits"][0]
    x, y = upper_998.get_data()
    want = funnel_limits(x, levels=(0.95, 0.998), method="exact").ratio_upper[1] * 20.0
    np.testing.assert_allclose(y, want)


def test_funnel_plot_with_overdispersion(frame, tmp_path):
    od = overdispersion(frame["observed"], frame["expected"], limit=(-np.inf, np.inf))
    fig = funnel_plot(frame, method="normal", overdispersion=od, effect="additive")
    assert save(fig, tmp_path / "od.png").stat().st_size > 0


def test_chance_and_comparison_plots(tmp_path):
    expected = np.array([2.0, 4.0, 8.0, 11.0, 15.0, 30.0, 45.0, 80.0, 150.0])
    frame = pd.DataFrame(
        {
            "expected": expected,
            "no de minimis": p_exceed(expected, expected),
            "de minimis 12": p_breach_with_de_minimis(expected, expected, 12),
        }
    )
    fig = chance_by_size_plot(frame, ["no de minimis", "de minimis 12"], title="Chance of breach if on target")
    assert save(fig, tmp_path / "bands.svg").stat().st_size > 0
    fig = comparison_plot(frame["no de minimis"], frame["de minimis 12"], labels=("none", "12"), sizes=expected)
    assert save(fig, tmp_path / "compare.png").read_bytes().startswith(PNG_MAGIC)


def test_save_refuses_other_formats_and_leaves_nothing(frame, tmp_path):
    fig = funnel_plot(frame)
    with pytest.raises(ValueError):
        save(fig, tmp_path / "funnel.pdf")
    assert list(tmp_path.iterdir()) == []


def test_svg_is_reproducible(frame, tmp_path):
    a = save(funnel_plot(frame), tmp_path / "a.svg").read_bytes()
    b = save(funnel_plot(frame), tmp_path / "b.svg").read_bytes()
    assert a == b
