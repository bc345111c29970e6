"""The HTML report: a single self-contained file (no network), rendered with Jinja2 from the
sections the service computes (:mod:`nhs_oversight.service.report`); this module only draws
the figures and renders."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2
from sqlalchemy import Engine

from .. import __version__
from ..rulebooks import RulebookLibrary
from ..service.report import report_sections

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure  # matplotlib is imported only when a figure is drawn

__all__ = ["ReportContext", "build_report", "render_report"]


@dataclass(frozen=True)
class ReportContext:
    """What the report is about and where it came from."""

    source: str
    database: str
    generated_at: dt.datetime
    demo: bool = False
    seed: int | None = None
    figures_dir: Path | None = None


def _env() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("nhs_oversight.report", "templates"),
        autoescape=jinja2.select_autoescape(["html"]),
        undefined=jinja2.StrictUndefined,
    )


def build_report(engine: Engine, library: RulebookLibrary, context: ReportContext) -> dict[str, Any]:
    """The template's variables: the service's sections, their figures, and the report's provenance."""
    variables = report_sections(engine, library)
    if variables["small_numbers"] is not None:
        variables["small_numbers"].update(_small_numbers_figures(variables["small_numbers"], context.figures_dir))
    variables.update(_spc_figures(variables.get("objectives")))
    variables.update(
        {
            "title": "NHS oversight report" + (" (demo data)" if context.demo else ""),
            "generated_at": context.generated_at.strftime("%Y-%m-%d %H:%M %Z").strip(),
            "version": __version__,
            "source": context.source,
            "database": context.database,
            "demo": context.demo,
            "seed": context.seed,
        }
    )
    return variables


def _small_numbers_figures(section: dict[str, Any], figures_dir: Path | None) -> dict[str, Any]:
    from ..stats.figures import chance_by_size_plot, funnel_plot

    limits = section["limits"]
    funnel_svg, funnel_png = _figure(
        funnel_plot(
            section["funnel"],
            observed="observed",
            expected="expected",
            label="org_code",
            levels=limits.levels,
            method=limits.method,
            title=f"C. difficile, trust-apportioned, {section['year']}",
        ),
        "funnel-cdiff",
        figures_dir,
    )
    chance_svg, chance_png = _figure(
        chance_by_size_plot(
            section["chance"],
            section["names"],
            expected="expected_cases",
            ylabel="chance of a C. difficile downgrade on target",
            title=f"Who carries the risk of random variation, {section['quarter']}",
        ),
        "chance-by-size",
        figures_dir,
    )
    return {
        "funnel_svg": funnel_svg,
        "chance_svg": chance_svg,
        "pngs": [p for p in (funnel_png, chance_png) if p],
    }


def _spc_figures(objectives: dict[str, Any] | None) -> dict[str, Any]:
    """The SPC charts of the objectives section, drawn the dashboard's way (present.charts)."""
    charts = (objectives or {}).get("spc") or []
    if not charts:
        return {"spc_figures": [], "chart_assets": "", "spc_rulebook": ""}
    from ..present import charts as draw

    figures = [
        draw.figure_html(
            draw.spc_figure(
                c["rows"],
                title=f"{c['name']} ({c['org_code']}): C. difficile, {c['chart']} chart, {c['signals']} signal(s)",
            ),
            links=False,
        )
        for c in charts
    ]
    return {"spc_figures": figures, "chart_assets": draw.inline_assets(), "spc_rulebook": charts[0]["rulebook"]}


def render_report(variables: dict[str, Any], path: Path) -> Path:
    """Render the report to ``path`` (written whole, then moved into place)."""
    html = _env().get_template("report.html").render(**variables)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.partial")
    try:
        tmp.write_text(html, encoding="utf-8")
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def _figure(fig: Figure, name: str, figures_dir: Path | None) -> tuple[str, str | None]:
    """The figure as inline SVG text, and written as PNG to ``figures_dir`` when given."""
    import tempfile

    import matplotlib.pyplot as plt

    from ..stats.figures import save

    with tempfile.TemporaryDirectory() as tmp:
        svg = save(fig, Path(tmp) / f"{name}.svg").read_text(encoding="utf-8")
    png = None
    if figures_dir is not None:
        figures_dir.mkdir(parents=True, exist_ok=True)
        png = str(save(fig, figures_dir / f"{name}.png"))
    plt.close(fig)
    return svg[svg.index("<svg") :], png
