"""The HTML report: a single self-contained file (no network), rendered with Jinja2."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import jinja2
import pandas as pd
from sqlalchemy import Engine

from .. import __version__
from ..assess import national_totals, rates_for_year
from ..periods import FinancialYear
from ..rulebooks import RulebookLibrary
from ..store import import_log, read_table

__all__ = ["ReportContext", "build_report", "render_report"]

_ORGANISM_NAMES = {"mrsa": "MRSA bacteraemia", "cdiff": "C. difficile infection"}


@dataclass(frozen=True)
class ReportContext:
    """What the report is about and where it came from."""

    source: str
    database: str
    generated_at: dt.datetime
    demo: bool = False
    seed: int | None = None


def _env() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("nhs_oversight.report", "templates"),
        autoescape=jinja2.select_autoescape(["html"]),
        undefined=jinja2.StrictUndefined,
    )


def _national_rows(totals: pd.DataFrame) -> tuple[list[str], list[list]]:
    columns = [
        ("mrsa", ("trust", "non_trust", "reported"), "MRSA, all cases"),
        ("mrsa", ("trust",), "MRSA, trust-apportioned"),
        ("cdiff", ("trust", "non_trust", "reported"), "C. difficile, all cases"),
        ("cdiff", ("trust",), "C. difficile, trust-apportioned"),
    ]
    rows = []
    for year in sorted(totals["financial_year"].unique()):
        t = totals[totals["financial_year"] == year]
        row: list = [year]
        for organism, apps, _ in columns:
            row.append(int(t[(t["organism"] == organism) & t["apportionment"].isin(apps)]["cases"].sum()))
        rows.append(row)
    return [c[2] for c in columns], rows


def build_report(engine: Engine, library: RulebookLibrary, context: ReportContext) -> dict:
    """Compute everything the report shows; returns the template's variables."""
    orgs = read_table(engine, "organisations")
    totals = national_totals(engine)
    years = sorted(totals["financial_year"].unique())
    if not years:
        raise ValueError("the database holds no infection counts to report on")
    fys = [FinancialYear.parse(y) for y in years]
    per_year = {}
    rulebook = None
    for fy in fys:
        per_year[str(fy)], rulebook = rates_for_year(engine, library, fy)
    assert rulebook is not None
    latest = years[-1]
    small = library.in_force("mrsa-objective", fys[-1].start)["small_organisation_below_cases"]
    small_cases = int(small.value)
    org_tables = []
    for organism in ("mrsa", "cdiff"):
        rows = []
        frames = {y: f[f["organism"] == organism].set_index("org_code") for y, f in per_year.items()}
        for code, org in orgs.sort_values(["kind", "code"]).set_index("code").iterrows():
            cases = [int(frames[y].at[code, "cases"]) for y in years]
            rates = [frames[y].at[code, "rate"] for y in years]
            rows.append(
                {
                    "code": code,
                    "name": org["name"],
                    "kind": org["kind"],
                    "cases": cases,
                    "rates": ["" if pd.isna(r) else f"{r:.2f}" for r in rates],
                    "small": cases[-1] < small_cases,
                }
            )
        org_tables.append((_ORGANISM_NAMES[organism], rows))
    national_columns, national_rows = _national_rows(totals)
    latest_frame = per_year[latest]
    summary = [
        ("Organisations", f"{len(orgs):,}"),
        ("Financial years", f"{years[0]} to {latest}"),
        ("Counting rulebook", rulebook.id),
    ]
    for organism in ("mrsa", "cdiff"):
        f = latest_frame[latest_frame["organism"] == organism]
        trusts = f[f["apportionment"] == "trust"]
        summary.append(
            (
                f"{_ORGANISM_NAMES[organism]}: trusts with fewer than {small_cases} "
                f"trust-apportioned cases in {latest}",
                f"{int((trusts['cases'] < small_cases).sum())} of {len(trusts)}",
            )
        )
    used = [rulebook["trust_rate_per_bed_days"], rulebook["population_rate_per_residents"], small]
    return {
        "title": "NHS oversight report" + (" (demo data)" if context.demo else ""),
        "generated_at": context.generated_at.strftime("%Y-%m-%d %H:%M %Z").strip(),
        "version": __version__,
        "source": context.source,
        "database": context.database,
        "demo": context.demo,
        "seed": context.seed,
        "summary": summary,
        "kinds": sorted(orgs["kind"].value_counts().items()),
        "national_columns": national_columns,
        "national_rows": national_rows,
        "latest_year": latest,
        "years": years,
        "org_tables": org_tables,
        "small_cases": small_cases,
        "trust_per": float(rulebook.value("trust_rate_per_bed_days")),
        "pop_per": float(rulebook.value("population_rate_per_residents")),
        "rulebooks": library.all(),
        "assumptions": [u for u in used if u.status == "assumed"],
        "imports": import_log(engine).fillna("").to_dict("records"),
    }


def render_report(variables: dict, path: Path) -> Path:
    """Render the report to ``path`` (written whole, then moved into place)."""
    html = _env().get_template("report.html").render(**variables)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.partial")
    tmp.write_text(html, encoding="utf-8")
    tmp.replace(path)
    return path
