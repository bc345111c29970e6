"""The figures of a self-contained file (the HTML report) draw offline, from inline assets."""

from __future__ import annotations

import time

from nhs_oversight.present import charts

from .conftest import Page


def test_figures_draw_in_a_file_with_inline_assets(browser, tmp_path):
    points = [
        {"org_code": f"R{i:02d}", "name": f"Trust {i}", "observed": i * 2, "expected": i * 1.5, "position": "within"}
        for i in range(1, 30)
    ]
    limits = [{"expected": e, "level": lv, "lower": e * 0.6, "upper": e * 1.4} for lv in (0.95, 0.998) for e in (1, 45)]
    fig = charts.funnel_figure(points, limits, title="Funnel", href=None)
    html = (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Report</title>"
        f"{charts.inline_assets()}</head><body>{charts.rating_badge('amber_red')}"
        f"{charts.figure_html(fig, links=False)}</body></html>"
    )
    path = tmp_path / "report.html"
    path.write_text(html, encoding="utf-8")
    page = Page(browser, "file://", tmp_path / "profile")
    try:
        page.driver.get(path.as_uri())
        deadline = time.monotonic() + 30
        while not page.all("[data-chart][data-ready]"):
            assert time.monotonic() < deadline, "the figure was not drawn"
            time.sleep(0.2)
        assert len(page.all("figure.chart .scatterlayer .points path.point")) == len(points)
        assert page.console_errors() == []
        assert [u for u in page.requested() if u.startswith(("http:", "https:"))] == []
    finally:
        page.quit()
