"""The shared figure components (present/charts.py) and the board summary, without a browser."""

from __future__ import annotations

import json
import re

from nhs_oversight.present import charts
from nhs_oversight.web.pages.summary import board_summary


def _spec(html: str) -> dict:
    found = re.search(r'<script type="application/json" class="chart-spec">(.*?)</script>', html, re.S)
    assert found, html
    return json.loads(found.group(1))


def test_badge_is_colour_and_words():
    html = str(charts.rating_badge("amber_red"))
    assert 'class="rating rating-amber_red"' in html and ">Amber-red<" in html
    assert ">AR<" in str(charts.rating_badge("amber_red", short=True))
    assert "not rated" in str(charts.rating_badge(None))
    assert "&lt;" in str(charts.rating_badge("<b>"))  # escaped


def test_badge_colours_meet_wcag_aa():
    def luminance(hex_colour: str) -> float:
        rgb = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    for background, text in charts.RATING_COLOURS.values():
        a, b = sorted((luminance(background), luminance(text)), reverse=True)
        assert (a + 0.05) / (b + 0.05) >= 4.5, (background, text)
    css = charts.stylesheet()
    for code, (background, text) in charts.RATING_COLOURS.items():
        assert f".rating-{code} {{ background: {background}; color: {text}; }}" in css


def test_funnel_figure_links_points_to_pages_and_titles_its_axes():
    points = [
        {"org_code": "RAA", "name": "A Hospital", "observed": 30, "expected": 12.0, "position": "above 99.8%"},
        {"org_code": "RBB", "name": "B Hospital", "observed": 10, "expected": 11.0, "position": "within"},
    ]
    limits = [
        {"expected": e, "level": level, "lower": e * 0.5, "upper": e * 1.5} for level in (0.95, 0.998) for e in (1, 20)
    ]
    fig = charts.funnel_figure(points, limits, title="C. difficile funnel", csv_href="/api/funnel?format=csv")
    spec = _spec(str(charts.figure_html(fig)))
    assert spec["layout"]["xaxis"]["title"]["text"] and spec["layout"]["yaxis"]["title"]["text"]
    names = [t.get("name") for t in spec["data"] if t.get("showlegend", True)]
    assert "95% limits" in names and "99.8% limits" in names
    clickable = [t for t in spec["data"] if t.get("mode") == "markers"]
    assert {c for t in clickable for c in t["customdata"]} == {"/org/RAA", "/org/RBB"}
    assert any("A Hospital (RAA)" in t["text"] for t in clickable)
    assert fig.table == [
        {"org_code": "RAA", "name": "A Hospital", "observed": 30, "expected": 12.0, "position": "Above 99.8% limit"}
    ]
    assert 'href="/api/funnel?format=csv"' in str(charts.figure_html(fig))


def test_figure_json_cannot_close_its_script():
    fig = charts.Figure("x", "t", {"data": [{"text": ["</script><script>alert(1)</script>"]}], "layout": {}})
    html = str(charts.figure_html(fig))
    assert html.count("</script>") == 1
    assert _spec(html)["data"][0]["text"] == ["</script><script>alert(1)</script>"]


def test_nan_becomes_null():
    fig = charts.spc_figure(
        [{"month": "2012-04", "value": 1.0, "centre": 1.0, "lower": float("nan"), "upper": 3.0, "special_cause": None}],
        title="SPC",
    )
    assert _spec(str(charts.figure_html(fig)))["data"][3]["y"] == [None]


def test_ratings_grid_has_a_row_per_organisation_and_a_key():
    html = str(
        charts.ratings_grid(
            [{"code": "RAA", "name": "A", "ratings": {"2012-13-Q4": "red"}, "pending": {"2012-13-Q4": True}}],
            ["2012-13-Q3", "2012-13-Q4"],
        )
    )
    assert html.count("<tr>") == 2 and 'href="/org/RAA"' in html
    assert "rating-red" in html and "not rated" in html and "Key:" in html


def test_plotly_is_served_from_the_package_and_needs_no_inline_style():
    path = charts.plotly_js_path()
    assert path.is_file() and path.stat().st_size > 1_000_000
    text = path.read_text(encoding="utf-8")
    assert ".no-inline-styles" in text  # plotly's own styles come from /static/plotly.css
    assert charts.plotly_style_guards()  # and its map styles are kept out by an element's id


def test_board_summary_in_words():
    governance = {
        "rating": "amber_red",
        "published_rating": "green",
        "score": 3.0,
        "failed": "cdiff",
        "pending": True,
        "escalation": False,
    }
    trace = {"steps": [{"uses": [{"name": "cdiff_de_minimis", "value": 12}]}]}
    monitor = [
        {"organism": "cdiff", "ytd_cases": 39, "trajectory": 26.0, "objective": 26},
        {"organism": "mrsa", "ytd_cases": 1, "trajectory": 1.0, "objective": 1},
    ]
    chance = [{"organism": "cdiff", "p_breach": 0.45}]
    lines = board_summary("Woldmoor", "2012-13-Q4", governance, trace, monitor, chance)
    text = " ".join(lines)
    assert "calculated Amber-red (service performance score 3): failed C. difficile" in text
    assert "published rating stays Green until an analyst decides" in text
    assert "13 cases above the trajectory of 26, 50% over" in text
    assert "reach the de minimis of 12" in text
    assert "annual C. difficile objective of 26 cases is already exceeded" in text
    assert "by chance alone with a probability of about 45%" in text
    assert "MRSA: 1 case to the end of 2012-13-Q4, within the trajectory of 1" in text


def test_board_summary_says_what_the_de_minimis_did():
    monitor = [{"organism": "cdiff", "ytd_cases": 5, "trajectory": 3.0, "objective": 4}]
    governance = {"rating": "green", "published_rating": "green", "score": 0.0, "failed": "", "pending": False}
    trace = {"steps": [{"uses": [{"name": "cdiff_de_minimis", "value": 12}]}]}
    text = " ".join(board_summary("Small", "2012-13-Q4", governance, trace, monitor, []))
    assert "The de minimis of 12 C. difficile cases kept this from counting as a failure" in text
    assert "no target failed" in text
