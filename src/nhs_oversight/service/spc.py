"""Statistical process control of one organisation's monthly cases (NHS "Making Data Count").

The store's monthly counts (the apportionment the organisation is held to), or for a t chart
the days between its case-level reports, handed to :mod:`nhs_oversight.stats.spc` with the
run lengths and rules of an ``spc`` rulebook.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from ..errors import NotFound, UsageError
from ..periods import Month
from ..regimes import COUNTING, SPC
from ..rulebooks import RulebookLibrary
from ..rules.hcai import COUNTED_APPORTIONMENT
from ..stats.spc import SPC_CHARTS, SpcRules, days_between_cases, spc_chart
from ..store import read_table
from .rulebooks import choose_rulebook

__all__ = ["SPC_COLUMNS", "spc_for_organisation"]

SPC_COLUMNS = ["org_code", "organism", "month", "value", "centre", "lower", "upper", "special_cause", "rule", "chart"]


def _months(first: Month, last: Month) -> list[Month]:
    return list(first.iter_to(last))


def spc_for_organisation(
    engine: Engine,
    library: RulebookLibrary,
    org_code: str,
    organism: str,
    *,
    first: Month | None = None,
    last: Month | None = None,
    chart: str | None = None,
    rulebook: str | None = None,
    what_if: dict[str, Any] | None = None,
) -> tuple[pd.DataFrame, Any, str | None]:
    """An SPC chart of one organisation's cases.

    Parameters
    ----------
    org_code : str
    organism : {'mrsa', 'cdiff'}
    first, last : Month, optional
        The months charted (default: every month the database holds for the organisation).
    chart : {'xmr', 'c', 'u', 't'}, optional
        Default: the rulebook's ``spc_default_chart``. ``u`` needs bed-days (trusts), ``t``
        case-level reports (``cases.csv``).

    Returns
    -------
    (pandas.DataFrame, Rulebook, str or None)
        :data:`SPC_COLUMNS` (a t chart adds ``date``, one row per case after the first), the
        rulebook, and a warning when an XmR chart is asked of fewer than the rulebook's
        ``spc_xmr_min_mean`` cases a month.
    """
    orgs = read_table(engine, "organisations", code=org_code)
    kind = str(orgs.iloc[0]["kind"])
    if first is not None and last is not None and last < first:
        raise UsageError(f"--to {last} is before --from {first}", param="--to")
    inf = read_table(engine, "infections", org_code=org_code, organism=organism)
    inf = inf[inf["apportionment"] == COUNTED_APPORTIONMENT.get(kind, "trust")]
    if inf.empty:
        raise NotFound(f"no {organism} counts for {org_code} in the database")
    held = sorted(Month.parse(m) for m in inf["month"].unique())
    first = first or held[0]
    last = last or held[-1]
    months = _months(first, last)
    rb = choose_rulebook(library, SPC, first.financial_year, rulebook, what_if)
    chart = chart or str(rb.value("spc_default_chart"))
    if chart not in SPC_CHARTS:
        raise UsageError(f"{chart!r} is not one of {', '.join(SPC_CHARTS)}", param="--chart")
    rules = SpcRules.from_rulebook(rb.value)
    counts = inf.groupby("month")["cases"].sum()
    values = np.array([float(counts.get(str(m), 0)) for m in months])
    if len(months) < 2:
        raise UsageError(f"an SPC chart needs at least two months; {first} to {last} is {len(months)}", param="--from")
    warning = None
    if chart == "t":
        frame = _t_chart(engine, library, org_code, kind, organism, first, last, rules)
    else:
        exposure = per = None
        if chart == "u":
            exposure, per = _bed_days(engine, library, org_code, months)
        frame = spc_chart(chart, values, rules, exposure=exposure, per=per)  # type: ignore[arg-type]
        warning = frame.attrs.get("warning")
        frame.insert(0, "month", [str(m) for m in months])
    frame.insert(0, "organism", organism)
    frame.insert(0, "org_code", org_code)
    frame["rule"] = frame["rule"].fillna("")
    frame["rulebook"] = rb.label
    return frame, rb, warning


def _bed_days(engine: Engine, library: RulebookLibrary, org_code: str, months: list[Month]) -> tuple[np.ndarray, float]:
    """Each month's share of its financial year's occupied bed-days, by days in the month."""
    den = read_table(engine, "denominators", org_code=org_code)
    by_year = dict(zip(den["financial_year"], den["bed_days"]))
    exposure: list[float] = []
    for m in months:
        year = m.financial_year
        total = by_year.get(str(year))
        if total is None or pd.isna(total) or float(total) <= 0:
            raise NotFound(f"a u chart needs {org_code}'s bed-days for {year}; the database has none")
        days_in_year = (year.end - year.start).days + 1
        exposure.append(float(total) * ((m.end - m.start).days + 1) / days_in_year)
    counting = choose_rulebook(library, COUNTING, months[0].financial_year)
    return np.array(exposure), float(counting.value("trust_rate_per_bed_days"))


def _t_chart(
    engine: Engine,
    library: RulebookLibrary,
    org_code: str,
    kind: str,
    organism: str,
    first: Month,
    last: Month,
    rules: SpcRules,
) -> pd.DataFrame:
    """Days between the organisation's cases: trust-apportioned ones for a trust, residents'
    for a commissioner (the counting rulebook's day rule)."""
    cases = read_table(engine, "cases", organism=organism)
    if cases.empty:
        raise NotFound(f"a t chart needs case-level {organism} reports (cases.csv); the database has none")
    specimen = pd.to_datetime(cases["specimen_date"])
    in_range = (specimen >= pd.Timestamp(first.start)) & (specimen <= pd.Timestamp(last.end))
    cases, specimen = cases[in_range], specimen[in_range]
    if COUNTED_APPORTIONMENT.get(kind) == "population":
        mine = cases["responsible_org"] == org_code
    else:
        counting = choose_rulebook(library, COUNTING, first.financial_year)
        from_day = int(counting.value(f"{organism}_trust_apportioned_from_day"))
        admitted = pd.to_datetime(cases["admission_date"])
        day = (specimen - admitted).dt.days + 1
        mine = (cases["reporting_org"] == org_code) & (day >= from_day)
    dates = sorted(specimen[mine].dt.date)
    if len(dates) < 3:
        raise NotFound(f"a t chart needs at least three {organism} cases of {org_code} from {first} to {last}")
    frame = spc_chart("t", days_between_cases(dates), rules)
    after: list[dt.date] = dates[1:]
    frame.insert(0, "month", [f"{d:%Y-%m}" for d in after])
    frame.insert(1, "date", [d.isoformat() for d in after])
    return frame
