"""The report's sections as data: what the HTML report (and the dashboard) render.

Each section is computed by the same use cases as the command line, and every number a rule
uses (the de minimis, the band edges, the small-organisation threshold, the rulebooks
compared) comes from the rulebooks in force, never from the template.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy import Engine

from ..periods import FinancialYear, Quarter
from ..regimes import CDIFF_OBJECTIVE, GOVERNANCE, MRSA_OBJECTIVE
from ..rulebooks import RulebookError, RulebookLibrary
from ..rules.governance import RATINGS
from ..store import import_log, read_table
from . import monitor_quarter, national_totals, objectives_for_year, rates_for_year, savings_for_year
from .governance import governance_cached, quarters_with_data
from .rulebooks import choose_rulebook

__all__ = ["report_sections", "objective_year", "governance_quarter", "policies", "ORGANISM_NAMES"]

ORGANISM_NAMES = {"mrsa": "MRSA bacteraemia", "cdiff": "C. difficile infection"}


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


def report_sections(engine: Engine, library: RulebookLibrary) -> dict[str, Any]:
    """Everything the report shows, as data (the template's variables, less the figures and
    where the report came from).

    Raises
    ------
    AssessmentError
        The database holds no infection counts.
    """
    from .common import AssessmentError

    orgs = read_table(engine, "organisations")
    totals = national_totals(engine)
    years = sorted(totals["financial_year"].unique())
    if not years:
        raise AssessmentError("the database holds no infection counts to report on")
    fys = [FinancialYear.parse(y) for y in years]
    per_year = {}
    rulebook = None
    for fy in fys:
        per_year[str(fy)], rulebook = rates_for_year(engine, library, fy)
    assert rulebook is not None
    latest = years[-1]
    small = library.in_force(MRSA_OBJECTIVE.id, MRSA_OBJECTIVE.date(fys[-1]))["small_organisation_below_cases"]
    small_cases = int(small.value)
    org_tables = []
    for organism in ("mrsa", "cdiff"):
        rows = []
        frames = {y: f[f["organism"] == organism].set_index("org_code") for y, f in per_year.items()}
        for code, org in orgs.sort_values(["kind", "code"]).set_index("code").iterrows():
            cases = [int(frames[y].at[code, "cases"]) if code in frames[y].index else None for y in years]
            rates = [frames[y].at[code, "rate"] if code in frames[y].index else None for y in years]
            rows.append(
                {
                    "code": code,
                    "name": org["name"],
                    "kind": org["kind"],
                    "cases": ["" if c is None else c for c in cases],
                    "rates": ["" if r is None or pd.isna(r) else f"{r:.2f}" for r in rates],
                    "small": next((c for c in reversed(cases) if c is not None), 0) < small_cases,
                }
            )
        org_tables.append((ORGANISM_NAMES[organism], rows))
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
                f"{ORGANISM_NAMES[organism]}: trusts with fewer than {small_cases} trust-apportioned cases in {latest}",
                f"{int((trusts['cases'] < small_cases).sum())} of {len(trusts)}",
            )
        )
    used = [rulebook["trust_rate_per_bed_days"], rulebook["population_rate_per_residents"], small]
    objectives = objectives_section(engine, library, fys)
    if objectives is not None:
        summary += objectives.pop("summary")
    governance = governance_section(engine, library)
    if governance is not None:
        summary += governance.pop("summary")
    small_numbers = small_numbers_section(engine, library)
    if small_numbers is not None:
        summary += small_numbers.pop("summary")
    finance = _finance(engine, library)
    if finance is not None:
        summary.append((f"Financial ratings {finance['period']}", f"{finance['providers']} providers rated"))
    return {
        "objectives": objectives,
        "governance": governance,
        "small_numbers": small_numbers,
        "finance": finance,
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


def objective_year(library: RulebookLibrary, years: list[FinancialYear]) -> FinancialYear | None:
    """The latest year of the data for which both MRSA and C. difficile objectives have a
    rulebook in force."""
    for fy in sorted(years, reverse=True):
        try:
            for regime in (MRSA_OBJECTIVE, CDIFF_OBJECTIVE):
                library.in_force(regime.id, regime.date(fy))
        except RulebookError:
            continue
        return fy
    return None


def _group_counts(table: pd.DataFrame) -> list[list[object]]:
    table = table.assign(kind_group=table["kind"].map(lambda k: "PCTs and CCGs" if k in ("pct", "ccg") else "trusts"))
    counts = table.groupby(["kind_group", "group"]).size().unstack(fill_value=0)
    cols = [
        g
        for g in (
            "worse_than_median",
            "better_than_median",
            "best_quartile",
            "exempt",
            "uniform",
            "zero_tolerance",
            "no_rate",
        )
        if g in counts.columns
    ]
    header: list[object] = ["", *cols]
    return [header] + [[idx, *[int(v) for v in counts.loc[idx, cols]]] for idx in counts.index]


def objectives_section(engine: Engine, library: RulebookLibrary, years: list[FinancialYear]) -> dict | None:
    """Objectives, the C. difficile national line, savings and year-end monitoring."""
    fy = objective_year(library, years)
    if fy is None:
        return None
    mrsa = objectives_for_year(engine, library, "mrsa", fy)
    cdiff = objectives_for_year(engine, library, "cdiff", fy)
    saving, _, _ = savings_for_year(engine, library, "mrsa", fy)
    q4 = Quarter(fy, 4)
    monitoring = monitor_quarter(engine, library, q4)
    status = monitoring.groupby(["organism", "status"]).size().unstack(fill_value=0)
    exceeded = monitoring[monitoring["status"] == "objective_exceeded"].sort_values(["organism", "cases_to_objective"])
    national = cdiff.national or {}
    rows = []
    for organism, result in (("MRSA", mrsa), ("C. difficile", cdiff)):
        for r in result.table.sort_values(["kind", "org_code"]).itertuples(index=False):
            rows.append({"organism": organism, **r._asdict()})
    small = mrsa.table[mrsa.table["kind"].isin(("foundation_trust", "nhs_trust"))]
    from .usecases import national_text

    summary = [
        (f"MRSA objectives {fy} ({mrsa.rulebook.id}, baseline {mrsa.baseline_period})", national_text(mrsa.national))
        if mrsa.national
        else (f"MRSA objectives {fy}", f"{mrsa.rulebook.id}, baseline {mrsa.baseline_period}"),
        (f"C. difficile objectives {fy} ({cdiff.rulebook.id})", national_text(national)),
        (
            f"Monitoring at {q4}: objectives exceeded",
            ", ".join(
                f"{o}: {int(status.at[o, 'objective_exceeded']) if 'objective_exceeded' in status.columns else 0}"
                for o in status.index
            ),
        ),
    ]
    return {
        "year": str(fy),
        "quarter": str(q4),
        "spc": spc_section(engine, library, monitoring, fy),
        "mrsa_rulebook": mrsa.rulebook.id,
        "cdiff_rulebook": cdiff.rulebook.id,
        "mrsa_groups": _group_counts(mrsa.table),
        "cdiff_groups": _group_counts(cdiff.table),
        "baseline": mrsa.baseline_period,
        "national": national,
        "national_text": national_text(national),
        "mrsa_national_text": national_text(mrsa.national) if mrsa.national else "",
        "saving": saving,
        "small_acute": int(small["small_organisation"].sum()),
        "acute": len(small),
        "status_columns": list(status.columns),
        "status_rows": [[o, *[int(status.at[o, c]) for c in status.columns]] for o in status.index],
        "exceeded": exceeded.head(40).to_dict("records"),
        "exceeded_total": len(exceeded),
        "rows": rows,
        "summary": summary,
    }


#: How many trusts the report charts: those furthest past their C. difficile objective.
SPC_TRUSTS = 4


def spc_section(
    engine: Engine, library: RulebookLibrary, monitoring: pd.DataFrame, year: FinancialYear
) -> list[dict[str, Any]]:
    """SPC charts of the trusts whose C. difficile monitoring status is worst at the year's end
    (furthest past their objective), over their months to the end of ``year``. Each chart is
    the rulebook's default unless its mean is below ``spc_xmr_min_mean`` cases a month, when
    the c chart its warning points to is drawn instead."""
    from ..periods import Month
    from ..regimes import SPC
    from .spc import spc_for_organisation

    cdiff = monitoring[(monitoring["organism"] == "cdiff") & (monitoring["status"] == "objective_exceeded")]
    worst = cdiff.sort_values(["cases_to_objective", "org_code"]).head(SPC_TRUSTS)
    rb = choose_rulebook(library, SPC, year)
    names = dict(zip(*read_table(engine, "organisations")[["code", "name"]].to_numpy().T))
    charts = []
    for code in worst["org_code"]:
        first = Month(year.start_year - 2, 4)
        table, _, warning = spc_for_organisation(engine, library, code, "cdiff", first=first, last=year.months()[-1])
        if warning is not None:
            table, _, _ = spc_for_organisation(
                engine, library, code, "cdiff", first=first, last=year.months()[-1], chart="c"
            )
        charts.append(
            {
                "org_code": code,
                "name": names.get(code, code),
                "chart": str(table["chart"].iloc[0]),
                "rulebook": rb.id,
                "signals": int((table["special_cause"] != "neither").sum()),
                "rows": table.to_dict("records"),
                "note": warning or "",
            }
        )
    return charts


def governance_quarter(engine: Engine, library: RulebookLibrary) -> Quarter | None:
    """The latest quarter of the indicators with a ``monitor-compliance`` rulebook, and the
    C. difficile and MRSA objectives it scores, in force."""
    for q in sorted(quarters_with_data(engine), reverse=True):
        try:
            library.in_force(GOVERNANCE.id, GOVERNANCE.date(q))
            library.in_force(CDIFF_OBJECTIVE.id, CDIFF_OBJECTIVE.date(q.year))
            library.in_force(MRSA_OBJECTIVE.id, MRSA_OBJECTIVE.date(q.year))
        except RulebookError:
            continue
        return q
    return None


def governance_section(engine: Engine, library: RulebookLibrary) -> dict | None:
    """Rating distribution, the trusts that moved, and what the C. difficile de minimis did."""
    q = governance_quarter(engine, library)
    if q is None:
        return None
    now = governance_cached(engine, library, q).table
    before = governance_cached(engine, library, q - 1).table
    without = governance_cached(engine, library, q, what_if={"cdiff_de_minimis": 0}).table
    order = {r: i for i, r in enumerate(RATINGS)}
    moved = now.merge(before[["org_code", "rating"]], on="org_code", suffixes=("", "_before"))
    moved = moved[moved["rating"] != moved["rating_before"]]
    moved = moved.assign(
        direction=["down" if order[a] > order[b] else "up" for a, b in zip(moved["rating"], moved["rating_before"])]
    )
    both = now.merge(without[["org_code", "rating", "failed"]], on="org_code", suffixes=("", "_without"))
    protected = both[both["failed_without"].str.contains("cdiff") & ~both["failed"].str.contains("cdiff")]
    rb = choose_rulebook(library, GOVERNANCE, q)
    de_minimis = int(rb.value("cdiff_de_minimis"))
    has_traj = now[now["cdiff_trajectory"].notna()]
    small = has_traj["cdiff_trajectory"] < de_minimis
    rating_changed = protected[protected["rating"] != protected["rating_without"]]
    distribution = now.groupby(["kind", "rating"]).size().unstack(fill_value=0)
    cols = [r for r in RATINGS if r in distribution.columns]
    return {
        "quarter": str(q),
        "previous": str(q - 1),
        "rulebook": now["rulebook"].iloc[0],
        "distribution": [["", *cols]] + [[k, *[int(v) for v in distribution.loc[k, cols]]] for k in distribution.index],
        "published_pending": int(now["decision"].str.startswith("pending").sum()),
        "escalations": int(now["escalation"].sum()),
        "moved_down": moved[moved["direction"] == "down"].to_dict("records"),
        "moved_up": int((moved["direction"] == "up").sum()),
        "protected": protected.to_dict("records"),
        "protected_small": int((protected["cdiff_trajectory"] < de_minimis).sum()),
        "de_minimis": de_minimis,
        "band_edges": [float(e) for e in rb.value("band_edges")],
        "protected_rating_changed": len(rating_changed),
        "small_trusts": int(small.sum()),
        "large_trusts": int((~small).sum()),
        "small_headroom": float(has_traj.loc[small, "cdiff_de_minimis_headroom"].mean()) if small.any() else 0.0,
        "summary": [
            (f"Governance ratings {q}", ", ".join(f"{r}: {int((now['rating'] == r).sum())}" for r in RATINGS)),
            (f"Downgrades awaiting a decision at {q}", str(int(now["decision"].str.startswith("pending").sum()))),
            (
                f"C. difficile failures the de minimis of {de_minimis} prevented at {q}",
                f"{len(protected)}, {int((protected['cdiff_trajectory'] < de_minimis).sum())} of them at trusts "
                f"whose trajectory is under {de_minimis}",
            ),
        ],
    }


def policies(library: RulebookLibrary, quarter: Quarter) -> dict[str, tuple[str, dict[str, Any]]]:
    """The rule sets the report compares: the governance rulebook in force, the same without its
    C. difficile de minimis, and each alternative that extends it (e.g. a size-scaled limit)."""
    rb = choose_rulebook(library, GOVERNANCE, quarter)
    de_minimis = int(rb.value("cdiff_de_minimis"))
    out: dict[str, tuple[str, dict[str, Any]]] = {
        f"de minimis {de_minimis} ({rb.id})": (rb.id, {}),
        "no de minimis": (rb.id, {"cdiff_de_minimis": 0}),
    }
    for alt in library.all():
        if alt.regime in GOVERNANCE.ids and alt.in_force is None and rb.id in alt.extends:
            out[alt.id] = (alt.id, {})
    return out


def small_numbers_section(engine: Engine, library: RulebookLibrary) -> dict | None:
    """The C. difficile funnel and who carries the risk of random variation under the rule sets
    of :func:`policies` (tables only; the report draws the figures)."""
    from .chance import chance_for, compare_rulebooks
    from .funnel import funnel_for_year

    q = governance_quarter(engine, library)
    if q is None:
        return None
    year = q.year
    table, limits, _ = funnel_for_year(engine, library, year, "cdiff")
    compared = policies(library, q)
    tables = {
        name: chance_for(engine, library, year, quarter=q, rulebook=rb, what_if=w)[0]
        for name, (rb, w) in compared.items()
    }
    names = list(tables)
    wide = tables[names[0]][["org_code", "organism", "expected_cases"]].copy()
    for name in names:
        wide[name] = tables[name]["p_downgrade"].to_numpy()
    wide = wide[wide["organism"] == "cdiff"]
    last = names[-1]
    bands = compare_rulebooks(tables[names[0]], tables[last])
    bands = bands[bands["organism"] == "cdiff"]
    dm = compare_rulebooks(tables[names[1]], tables[names[0]])
    dm = dm[dm["organism"] == "cdiff"]
    outside = int((table["position"] != "within").sum())
    return {
        "year": str(year),
        "quarter": str(q),
        "funnel": table,
        "limits": limits,
        "chance": wide,
        "outside": outside,
        "trusts": len(table),
        "bands": bands.to_dict("records"),
        "dm_bands": dm.to_dict("records"),
        "names": names,
        "compared": [names[0], last],
        "summary": [
            (f"C. difficile funnel {year}: trusts outside the 95% limits", f"{outside} of {len(table)}"),
            (
                f"Expected chance downgrades of trusts exactly on target at {q}",
                ", ".join(f"{n}: {_cdiff_downgrades(tables[n]):.1f}" for n in names),
            ),
        ],
    }


def _cdiff_downgrades(table: pd.DataFrame) -> float:
    """Expected number of C. difficile downgrades by chance alone (sum of probabilities)."""
    return float(table.loc[table["organism"] == "cdiff", "p_downgrade"].sum())


def _finance(engine: Engine, library: RulebookLibrary) -> dict | None:
    """The finance section for the latest financial year with figures (None without any)."""
    from ..service.common import AssessmentError
    from ..service.finance import finance_section

    fin = read_table(engine, "financials")
    years = sorted(p for p in fin["period"].unique() if "Q" not in p)
    if not years:
        return None
    try:
        return finance_section(engine, library, FinancialYear.parse(years[-1]))
    except AssessmentError:
        return None
