"""One function per use case: what the command line, the report and the HTTP API call.

Each takes the data (an engine), the rulebook library and the arguments as values (periods
parsed, codes as text), checks them before any work, and returns a :class:`Result` (or a
:class:`~nhs_oversight.explain.Trace` for ``explain``). Nothing here prints, knows of typer,
rich, HTTP or HTML, or writes outside the database.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import Engine

from ..errors import NotFound, UsageError
from ..explain import Trace
from ..periods import FinancialYear, Period, Quarter
from ..regimes import GOVERNANCE, objective_regime
from ..rulebooks import RulebookLibrary
from ..rules.governance import RATINGS
from .data import require_organisation, require_quarter, require_year
from .objectives import KIND_GROUPS
from .results import Result
from .rulebooks import choose_rulebook

__all__ = [
    "ORGANISMS",
    "KINDS",
    "ImportReport",
    "rates",
    "objectives",
    "objectives_from_rates",
    "monitor",
    "savings",
    "reviews",
    "governance",
    "history",
    "decide",
    "finance",
    "chance",
    "compare",
    "funnel",
    "spc",
    "explain",
    "import_folder",
    "import_published",
    "national_series",
    "EXPLAIN_REGIMES",
]

ORGANISMS = ("mrsa", "cdiff")
KINDS = tuple(KIND_GROUPS)
#: What ``explain`` explains, and whether it wants a quarter (True), a year (False) or either (None).
EXPLAIN_REGIMES: dict[str, bool | None] = {
    "counts": False,
    "mrsa-objective": False,
    "cdiff-objective": False,
    "monitor": True,
    "governance": True,
    "finance": None,
}


def _choice(value: str | None, allowed: tuple[str, ...], param: str) -> None:
    if value is not None and value not in allowed:
        raise UsageError(f"{value!r} is not one of {', '.join(allowed)}", param=param)


# ---------------------------------------------------------------------------- counts
def rates(
    engine: Engine,
    library: RulebookLibrary,
    year: FinancialYear,
    *,
    organism: str | None = None,
    kind: str | None = None,
    rulebook: str | None = None,
    what_if: dict[str, Any] | None = None,
) -> Result:
    """Cases and rates by organisation for a financial year (``oversight rates``)."""
    from .counts import rates_for_year

    _choice(organism, ORGANISMS, "--organism")
    _choice(kind, KINDS, "--kind")
    require_year(engine, year)
    frame, rb = rates_for_year(engine, library, year, rulebook=rulebook, what_if=what_if)
    if organism:
        frame = frame[frame["organism"] == organism]
    if kind:
        frame = frame[frame["apportionment"] == ("trust" if kind == "trust" else "population")]
    display = ["org_code", "kind", "organism", "cases", "denominator", "rate", "rate_lower", "rate_upper", "reason"]
    return Result(
        frame.reset_index(drop=True),
        f"Cases and rates, {year} ({rb.label})",
        "rates",
        str(year),
        rb,
        dict(what_if or {}),
        display=display,
    )


def national_series(path: Path) -> Result:
    """The national series of UKHSA's annual tables (``.ods``): counts and rates by organism,
    year and measure (``oversight national-series``)."""
    from ..inputs.published import read_national_series

    if not path.is_file():
        raise UsageError(f"{path}: no such file", param="FILE")
    table = read_national_series(path)
    return Result(
        table,
        f"National series from {path.name}",
        "national-series",
        display=["organism", "financial_year", "measure", "cases", "rate", "rate_per"],
        extra={"source": path.name},
    )


# ------------------------------------------------------------------------ objectives
def objectives(
    engine: Engine,
    library: RulebookLibrary,
    organism: str,
    year: FinancialYear,
    *,
    baseline: FinancialYear | None = None,
    kind: str | None = None,
    method: str | None = None,
    reduction: float | None = None,
    rulebook: str | None = None,
    what_if: dict[str, Any] | None = None,
    traces: bool = False,
) -> Result:
    """MRSA or C. difficile objectives (``oversight objectives mrsa|cdiff``), with the national
    line (``ENGLAND``) for C. difficile when trusts are included."""
    from .objectives import baseline_months, objectives_for_year

    _choice(organism, ORGANISMS, "organism")
    _choice(kind, KINDS, "--kind")
    _choice(method, ("uniform", "median-quartile"), "--method")
    if reduction is not None and not 0 <= reduction < 1:
        raise UsageError(f"{reduction} is not a reduction between 0 and 1 (e.g. 0.18)", param="--reduction")
    rb = choose_rulebook(library, objective_regime(organism), year, rulebook, what_if)
    months = baseline_months(rb, year, baseline)
    require_year(engine, months[-1].financial_year, f"baseline infection counts (baseline {months[0]} to {months[-1]})")
    result = objectives_for_year(
        engine,
        library,
        organism,
        year,
        rulebook=rulebook,
        what_if=what_if,
        baseline=baseline,
        kind=kind,
        method=method,
        reduction=reduction,
        traces=traces,
    )
    table = result.table
    extra: dict[str, Any] = {"baseline_period": result.baseline_period}
    if result.national is not None and (kind is None or kind == "trust"):
        extra["national"] = result.national
        table = pd.concat([table, pd.DataFrame([_national_row(result)])], ignore_index=True)
    name = "MRSA" if organism == "mrsa" else "C. difficile"
    return Result(
        table,
        f"{name} objectives {year} (baseline {result.baseline_period}; {result.rulebook.label})",
        f"objectives {organism}",
        str(year),
        result.rulebook,
        {k: new for k, (_, new) in result.rulebook.what_if.items()},
        result.traces if traces else {},
        display=[
            "org_code",
            "kind",
            "baseline_cases",
            "baseline_rate",
            "group",
            "target_rate",
            "target_cases",
            "small_organisation",
            "reason",
        ],
        extra=extra,
    )


def objectives_from_rates(
    library: RulebookLibrary,
    path: Path,
    year: FinancialYear,
    *,
    rulebook: str | None = None,
    what_if: dict[str, Any] | None = None,
) -> Result:
    """MRSA objectives of the commissioners of a published rates table (``oversight objectives
    mrsa --rates FILE``): groups and target rates; target cases need a population, which such
    tables do not publish, so they are empty and the reasons say so."""
    from .published import objectives_from_rates as from_rates

    if not path.is_file():
        raise UsageError(f"{path}: no such file", param="--rates")
    table, rb, baseline = from_rates(library, path, year, rulebook=rulebook, what_if=what_if)
    return Result(
        table,
        f"MRSA objectives {year} from published rates (baseline {baseline}; {rb.label}); "
        "target cases need a population, which the table does not publish",
        "objectives mrsa",
        str(year),
        rb,
        dict(what_if or {}),
        display=["org_code", "kind", "baseline_rate", "group", "target_rate", "reason"],
        extra={"baseline_period": baseline, "source": path.name},
    )


def national_text(n: dict[str, Any]) -> str:
    """The national line in words, like with like: trust-apportioned objectives against the
    trust-apportioned baseline, all cases against the published all-case figures."""
    achieved = n.get("reduction_achieved")
    text = f"national (trust-apportioned): baseline {n['baseline_total']:,} cases, objectives {n['objectives_total']:,}"
    if achieved is not None:
        text += f": a reduction of {achieved:.2%}"
    if n.get("reduction_asked") is not None:
        met = "meets" if n["meets_ambition"] else "falls short of"
        text += f" against {n['reduction_asked']:.0%} asked ({met} the ambition)"
    if "all_cases_baseline" in n:
        text += f"; all cases reported by trusts in the baseline: {n['all_cases_baseline']:,}"
        if "national_ambition_cases" in n:
            text += (
                f", beside the published {n['national_baseline_cases']:,} → {n['national_ambition_cases']:,} "
                f"(all cases, a {n['published_reduction']:.1%} reduction)"
            )
    if "previous_national_reduction" in n:
        text += f"; the previous national target was a {n['previous_national_reduction']:.0%} reduction (seed 001)"
    return text


def _national_row(result: Any) -> dict[str, object]:
    """The national line as a row: baseline total, objectives total, reduction achieved."""
    n = result.national
    return {
        "org_code": "ENGLAND",
        "kind": "national",
        "baseline_cases": n["baseline_total"],
        "group": "national",
        "target_cases": n["objectives_total"],
        "reason": national_text(n),
        "organism": result.table["organism"].iloc[0],
        "financial_year": result.table["financial_year"].iloc[0],
        "baseline_period": result.baseline_period,
        "rulebook": result.rulebook.label,
    }


def monitor(
    engine: Engine,
    library: RulebookLibrary,
    quarter: Quarter,
    *,
    organism: str | None = None,
    kind: str | None = None,
    what_if: dict[str, Any] | None = None,
) -> Result:
    """Year-to-date cases against trajectory and objective (``oversight monitor``)."""
    from .objectives import monitor_quarter

    _choice(organism, ORGANISMS, "--organism")
    _choice(kind, KINDS, "--kind")
    organisms = (organism,) if organism else ORGANISMS
    rulebooks = [choose_rulebook(library, objective_regime(o), quarter.year, None, what_if) for o in organisms]
    require_quarter(engine, quarter)
    table = monitor_quarter(
        engine, library, quarter, organisms=organisms, kind=kind, what_if={o: dict(what_if or {}) for o in organisms}
    )
    return Result(
        table,
        f"Monitoring to the end of {quarter}",
        "monitor",
        str(quarter),
        rulebooks[-1] if len(rulebooks) == 1 else None,
        dict(what_if or {}),
        display=["org_code", "kind", "organism", "ytd_cases", "trajectory", "objective", "status", "reason"],
    )


def savings(
    engine: Engine,
    library: RulebookLibrary,
    year: FinancialYear,
    *,
    organism: str = "mrsa",
    baseline: FinancialYear | None = None,
    rulebook: str | None = None,
    what_if: dict[str, Any] | None = None,
) -> Result:
    """Cases the objectives would avoid and their cost (``oversight savings``); the words are
    in ``traces["ENGLAND"]``."""
    from .objectives import savings_for_year

    _choice(organism, ORGANISMS, "--organism")
    choose_rulebook(library, objective_regime(organism), year, rulebook, what_if)
    require_year(engine, year - 1, "baseline infection counts")
    summary, result, trace = savings_for_year(
        engine, library, organism, year, rulebook=rulebook, what_if=what_if, baseline=baseline
    )
    return Result(
        pd.DataFrame([summary]),
        f"Savings of the {organism} objectives, {year}",
        "savings",
        str(year),
        result.rulebook,
        dict(what_if or {}),
        {"ENGLAND": trace},
    )


def reviews(engine: Engine, library: RulebookLibrary, year: FinancialYear) -> Result:
    """MRSA cases by post-infection review assignment (``oversight reviews``)."""
    from .objectives import reviews_for_year

    table = reviews_for_year(engine, year)
    return Result(table, f"MRSA post-infection reviews, {year}", "reviews", str(year))


# ------------------------------------------------------------------------ governance
def governance(
    engine: Engine,
    library: RulebookLibrary,
    quarter: Quarter,
    *,
    rulebook: str | None = None,
    what_if: dict[str, Any] | None = None,
    org_codes: list[str] | None = None,
) -> Result:
    """Calculated and published governance ratings (``oversight governance``)."""
    from .governance import governance_for_quarter

    choose_rulebook(library, GOVERNANCE, quarter, rulebook, what_if)
    require_quarter(engine, quarter)
    return governance_for_quarter(engine, library, quarter, rulebook=rulebook, what_if=what_if, org_codes=org_codes)


def history(engine: Engine, library: RulebookLibrary, org_code: str) -> Result:
    """A trust's calculated and published ratings quarter by quarter (``oversight history``)."""
    from .governance import history as record

    return record(engine, library, require_organisation(engine, org_code))


def decide(
    engine: Engine,
    library: RulebookLibrary,
    org_code: str,
    quarter: Quarter,
    *,
    reason: str,
    decided_by: str,
    rating: str | None = None,
    action: str | None = None,
    rulebook: str | None = None,
) -> dict[str, Any]:
    """Record an analyst's decision on a calculated rating in the append-only log.

    The action defaults to ``accept`` when no rating is named or it equals the calculated
    one, else ``hold``. Returns the stored decision (with its ``id``).

    Raises
    ------
    UsageError
        An unknown rating or action, ``hold`` without a rating, ``accept`` of another rating,
        or an empty reason or name.
    NotFound
        An unknown organisation, or one that is not rated.
    """
    from ..store.decisions import ACTIONS, Decision, record_decision
    from .governance import governance_for_quarter

    _choice(rating, RATINGS, "rating")
    _choice(action, ACTIONS, "action")
    if not reason.strip():
        raise UsageError("give the reason for the decision", param="reason")
    if not decided_by.strip():
        raise UsageError("give who decides", param="decided_by")
    if action == "hold" and rating is None:
        raise UsageError("holding needs the rating to publish", param="rating")
    code = require_organisation(engine, org_code)
    choose_rulebook(library, GOVERNANCE, quarter, rulebook)
    require_quarter(engine, quarter)
    result = governance_for_quarter(engine, library, quarter, rulebook=rulebook, org_codes=[code])
    row = result.table.iloc[0]
    calculated = str(row["rating"])
    chosen = action or ("accept" if rating is None or rating == calculated else "hold")
    if chosen == "accept" and rating is not None and rating != calculated:
        raise UsageError(
            f"accepting publishes the calculated rating {calculated}; hold to publish {rating}", param="rating"
        )
    published = rating if rating is not None else calculated
    assert result.rulebook is not None
    decision = Decision(
        code,
        str(quarter),
        chosen,
        published,
        calculated,
        float(row["score"]),
        result.rulebook.id,
        " ".join(reason.split()),
        decided_by.strip(),
    )
    decision_id = record_decision(engine, decision)
    return {"id": decision_id, **decision.__dict__}


# --------------------------------------------------------------------------- finance
def finance(
    engine: Engine,
    library: RulebookLibrary,
    period: Period,
    *,
    rulebook: str | None = None,
    what_if: dict[str, Any] | None = None,
    two_star: bool = False,
    org_codes: list[str] | None = None,
) -> Result:
    """Financial ratings (``oversight finance``)."""
    from .finance import finance_for_period, finance_rulebook

    finance_rulebook(library, period, rulebook, what_if)
    table, traces, rb = finance_for_period(
        engine, library, period, rulebook, what_if, two_star=two_star, codes=org_codes
    )
    return Result(
        table,
        f"Financial ratings, {period} ({rb.label})",
        "finance",
        str(period),
        rb,
        dict(what_if or {}),
        traces,
        display=[
            "org_code",
            "kind",
            "weighted_score",
            "uncapped_rating",
            "rating_label",
            "normalised_rating_label",
            "band",
            "overrides_applied",
            "reason",
        ],
    )


# --------------------------------------------------------------------- small numbers
def _quarter_of(year: FinancialYear, quarter: Quarter | None) -> Quarter:
    if quarter is not None and quarter.year != year:
        raise UsageError(f"{quarter} is not in {year}", param="--quarter")
    return quarter or Quarter(year, 4)


def chance(
    engine: Engine,
    library: RulebookLibrary,
    year: FinancialYear,
    *,
    quarter: Quarter | None = None,
    rulebook: str | None = None,
    what_if: dict[str, Any] | None = None,
    kind: str = "trust",
) -> Result:
    """Each organisation's chance of a breach and a downgrade on target (``oversight chance``);
    ``kind="pct"``: each PCT's or CCG's chance of missing its objective by chance alone."""
    from .chance import chance_for

    _choice(kind, KINDS, "--kind")
    q = _quarter_of(year, quarter)
    choose_rulebook(library, GOVERNANCE, q, rulebook, what_if)
    require_year(engine, year)
    table, rb = chance_for(engine, library, year, quarter=quarter, rulebook=rulebook, what_if=what_if, kind=kind)
    if kind == "trust":
        title = f"Chance of a breach and a downgrade on target, {quarter or year} ({rb.label})"
        display = ["org_code", "organism", "kind", "expected_cases", "objective", "p_breach", "p_downgrade"]
        display.append("size_band")
    else:  # commissioners are not rated: the governance rulebook's values do not apply to them
        title = f"Chance of missing the objective on target, PCTs and CCGs, {quarter or year}"
        display = ["org_code", "organism", "kind", "expected_cases", "objective", "p_breach", "size_band"]
    return Result(
        table,
        title,
        "chance",
        str(quarter or year),
        rb if kind == "trust" else None,
        dict(what_if or {}),
        display=display,
    )


def compare(
    engine: Engine,
    library: RulebookLibrary,
    rulebook_a: str,
    rulebook_b: str,
    year: FinancialYear,
    *,
    quarter: Quarter | None = None,
    what_if_a: dict[str, Any] | None = None,
    what_if_b: dict[str, Any] | None = None,
) -> Result:
    """Chance-downgrade rates by size band under two rulebooks (``oversight compare``); the
    two chance tables are in ``extra["a"]`` and ``extra["b"]``."""
    from .chance import chance_for, compare_rulebooks

    q = _quarter_of(year, quarter)
    choose_rulebook(library, GOVERNANCE, q, rulebook_a, what_if_a, param="RULEBOOK_A")
    choose_rulebook(library, GOVERNANCE, q, rulebook_b, what_if_b, param="RULEBOOK_B")
    require_year(engine, year)
    a, rb_a = chance_for(engine, library, year, quarter=quarter, rulebook=rulebook_a, what_if=what_if_a)
    b, rb_b = chance_for(engine, library, year, quarter=quarter, rulebook=rulebook_b, what_if=what_if_b)
    table = compare_rulebooks(a, b)
    table.insert(2, "rulebook_a", rb_a.label)
    table.insert(3, "rulebook_b", rb_b.label)
    return Result(
        table,
        f"Chance of a downgrade on target, {quarter or year}: A = {rb_a.label}, B = {rb_b.label}",
        "compare",
        str(quarter or year),
        None,
        {"a": dict(what_if_a or {}), "b": dict(what_if_b or {})},
        display=[
            "organism",
            "size_band",
            "organisations",
            "mean_expected",
            "p_downgrade_a",
            "p_downgrade_b",
            "expected_downgrades_a",
            "expected_downgrades_b",
        ],
        extra={"a": rb_a.label, "b": rb_b.label, "tables": {"a": a, "b": b}},
    )


def funnel(
    engine: Engine,
    library: RulebookLibrary,
    year: FinancialYear,
    *,
    organism: str = "cdiff",
    kind: str = "trust",
    overdispersion: str | None = None,
    rulebook: str | None = None,
    what_if: dict[str, Any] | None = None,
) -> Result:
    """The funnel plot's table (``oversight funnel``); the limits are in ``extra["limits"]``."""
    from .funnel import funnel_for_year

    _choice(organism, ORGANISMS, "--organism")
    _choice(kind, KINDS, "--kind")
    _choice(overdispersion, ("winsorised", "truncated", "shmi"), "--overdispersion")
    require_year(engine, year)
    table, limits, rb = funnel_for_year(
        engine, library, year, organism, kind=kind, dispersion=overdispersion, rulebook=rulebook, what_if=what_if
    )
    return Result(
        table,
        f"Funnel: {organism}, {kind}s, {year}",
        "funnel",
        str(year),
        rb,
        dict(what_if or {}),
        display=["org_code", "kind", "observed", "expected", "ratio", "rate", "rate_lower", "rate_upper", "position"],
        extra={"limits": limits},
    )


def spc(
    engine: Engine,
    library: RulebookLibrary,
    org_code: str,
    organism: str,
    *,
    first: str | None = None,
    last: str | None = None,
    chart: str | None = None,
    rulebook: str | None = None,
    what_if: dict[str, Any] | None = None,
) -> Result:
    """A statistical process control chart of an organisation's monthly cases (``oversight spc``);
    a warning (XmR of small counts) is in ``extra["warning"]``."""
    from . import params
    from .spc import spc_for_organisation

    _choice(organism, ORGANISMS, "--organism")
    _choice(chart, ("xmr", "c", "u", "t"), "--chart")
    months = []
    for text, param in ((first, "--from"), (last, "--to")):
        months.append(params.month(text, param) if text else None)
    code = require_organisation(engine, org_code)
    table, rb, warning = spc_for_organisation(
        engine,
        library,
        code,
        organism,
        first=months[0],
        last=months[1],
        chart=chart,
        rulebook=rulebook,
        what_if=what_if,
    )
    name = "MRSA" if organism == "mrsa" else "C. difficile"
    return Result(
        table,
        f"{name} cases of {code}: {table['chart'].iloc[0]} chart ({rb.label})",
        "spc",
        f"{table['month'].iloc[0]} to {table['month'].iloc[-1]}",
        rb,
        dict(what_if or {}),
        display=["month", "value", "centre", "lower", "upper", "special_cause", "rule"],
        extra={"warning": warning} if warning else {},
    )


# --------------------------------------------------------------------------- explain
def explain(
    engine: Engine,
    library: RulebookLibrary,
    org_code: str,
    period: Period,
    *,
    regime: str | None = None,
    organism: str | None = None,
    rulebook: str | None = None,
    what_if: dict[str, Any] | None = None,
) -> Trace:
    """The whole trace of one result (``oversight explain``): a year defaults to counts, a
    quarter to governance."""
    regime = regime or ("governance" if isinstance(period, Quarter) else "counts")
    _choice(regime, tuple(EXPLAIN_REGIMES), "--regime")
    _choice(organism, ORGANISMS, "--organism")
    quarterly = EXPLAIN_REGIMES[regime]
    if quarterly is not None and quarterly != isinstance(period, Quarter):
        need = "a quarter, e.g. 2012-13-Q2" if quarterly else "a financial year, e.g. 2012-13"
        raise UsageError(f"--regime {regime} explains {need}", param="--period")
    code = require_organisation(engine, org_code)
    year = period.year if isinstance(period, Quarter) else period
    if regime == "finance":
        from .finance import explain_finance

        return explain_finance(engine, library, code, period, rulebook=rulebook, what_if=what_if)
    if regime == "governance":
        assert isinstance(period, Quarter)
        result = governance(engine, library, period, rulebook=rulebook, what_if=what_if, org_codes=[code])
        return result.traces[code]
    if isinstance(period, Quarter):
        require_quarter(engine, period)
    else:
        require_year(engine, period)
    if regime == "counts":
        from .counts import explain_counts

        organisms = (organism,) if organism else ORGANISMS
        return explain_counts(engine, library, code, year, organisms=organisms, rulebook=rulebook, what_if=what_if)
    if regime == "monitor":
        from .explain import explain_monitor

        assert isinstance(period, Quarter)
        return explain_monitor(engine, library, code, period, organism or "cdiff", rulebook=rulebook, what_if=what_if)
    from .explain import explain_objective

    which = regime.split("-")[0]
    choose_rulebook(library, objective_regime(which), year, rulebook, what_if)
    return explain_objective(engine, library, code, year, which, rulebook=rulebook, what_if=what_if)


# --------------------------------------------------------------------------- imports
@dataclass
class ImportReport:
    """What an import did: a table per data table, and the import's id (None for a dry run)."""

    result: Result
    import_id: int | None
    notes: list[str]


def import_folder(
    folder: Path,
    url: str,
    library: RulebookLibrary,
    *,
    replace: bool = False,
    dry_run: bool = False,
    progress: Callable[[str], None] | None = None,
) -> ImportReport:
    """Validate a data folder and load it as it streams, all or nothing (``oversight import``).

    Memory does not grow with the folder (:func:`nhs_oversight.store.load.load_stream`). A
    database that does not exist yet appears only once the folder has been imported.
    """
    from ..inputs.stream import FolderStream
    from ..store import open_store, read_table
    from ..store.load import DatabaseAppeared, check_stream, load_stream, load_stream_into_new

    if not folder.is_dir():
        raise NotFound(f"{folder}: no such folder")
    exists = not url.startswith("sqlite:///") or Path(url.removeprefix("sqlite:///")).exists()
    engine = open_store(url, create=True) if exists else None
    known = read_table(engine, "organisations") if engine is not None else None
    say = progress or (lambda _: None)
    stream = FolderStream(folder, library, known_orgs=known, progress=lambda n: say(f"Reading {n}"))
    if dry_run:
        rows = check_stream(stream)
        table = pd.DataFrame({"table": list(rows), "rows": list(rows.values())})
        return ImportReport(
            Result(table, "Valid", "import"), None, ["Dry run: the folder is valid; nothing was written."]
        )
    writing = lambda n: say(f"Writing {n}")  # noqa: E731
    try:
        if engine is not None:
            summary = load_stream(engine, stream, replace=replace, progress=writing)
        else:
            summary = load_stream_into_new(url, stream, replace=replace, progress=writing)
    except DatabaseAppeared:  # another import created it meanwhile: take turns, as in an existing one
        return import_folder(folder, url, library, replace=replace, progress=progress)
    rows = summary.rows
    table = pd.DataFrame(
        {
            "table": list(rows),
            "rows": list(rows.values()),
            "inserted": [summary.inserted.get(t, 0) for t in rows],
            "updated": [summary.updated.get(t, 0) for t in rows],
            "unchanged": [rows[t] - summary.inserted.get(t, 0) - summary.updated.get(t, 0) for t in rows],
        }
    )
    title = f"Import {summary.import_id} ({'replace' if replace else 'merge'})"
    return ImportReport(Result(table, title, "import"), summary.import_id, [])


def import_published(
    file: Path,
    library: RulebookLibrary,
    *,
    organism: str | None = None,
    url: str | None = None,
    out_dir: Path | None = None,
) -> ImportReport:
    """Read a published surveillance table and load it, or write it as a data folder
    (``oversight import-published``). Organisations already in the database keep their name
    and kind; the published totals are checked against the rows."""
    from ..inputs.published import read_published, write_data_folder
    from ..store import load_dataset, open_store, read_table

    if not file.is_file():
        raise UsageError(f"{file}: no such file", param="FILE")
    _choice(organism, (*ORGANISMS, "ecoli"), "--organism")
    table = read_published(file, organism)
    notes = [
        f"{file.name}: {table.layout} table of {table.organism}, {len(table.organisations):,} organisations, "
        f"{int(table.infections['cases'].sum()):,} cases in {table.infections['month'].nunique()} months"
    ]
    bad = table.mismatches()
    if len(bad):
        notes.append(f"{len(bad)} published total(s) differ from the sum of the rows (see the table below)")
    elif len(table.totals):
        notes.append(f"Every published total ({len(table.totals)}) equals the sum of the rows.")
    else:
        notes.append("The file publishes no totals to check the rows against.")
    if out_dir is not None:
        written = write_data_folder(table, out_dir)
        notes.append(f"Wrote {', '.join(str(p) for p in written.values())}")
        return ImportReport(Result(bad, "Totals that do not match", "import-published"), None, notes)
    assert url is not None
    data = table.to_dataset()
    engine = open_store(url, create=True)
    known = read_table(engine, "organisations")
    orgs = data.tables["organisations"]
    data.tables["organisations"] = orgs[~orgs["code"].isin(known["code"])]
    summary = load_dataset(engine, data)
    frame = pd.DataFrame(
        {
            "table": list(summary.inserted),
            "inserted": list(summary.inserted.values()),
            "updated": [summary.updated[t] for t in summary.inserted],
        }
    )
    if len(bad):
        notes.append("Totals that do not match: " + "; ".join(str(r) for r in bad.to_dict("records")))
    return ImportReport(Result(frame, f"Import {summary.import_id}", "import-published"), summary.import_id, notes)
