"""Counts and rates (RULES.md §0): the store's frames handed to :mod:`nhs_oversight.rules.hcai`."""

from __future__ import annotations

from typing import cast

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from ..explain import Trace
from ..periods import FinancialYear, Month
from ..regimes import COUNTING
from ..rulebooks import Rulebook, RulebookLibrary
from ..rules.hcai import annual_rate, period_rates_from_totals
from ..stats.poisson import rate_ci
from ..store import read_table
from ..store.read import infection_totals
from .common import AssessmentError
from .data import organisations_of_year
from .rulebooks import choose_rulebook

#: The organisms of ``rates`` (``rules.hcai.annual_rates``'s).
ORGANISMS = ("cdiff", "mrsa")

__all__ = ["rates_for_year", "explain_counts", "national_totals"]


def _label_rates(frame: pd.DataFrame, rulebook: Rulebook) -> pd.DataFrame:
    """Add the rulebook, the assumed values the rates rest on, and a plain-English reason."""
    frame = frame.copy()
    frame["rulebook"] = rulebook.label
    per_names = frame["denominator_name"].map(
        {"bed_days": "trust_rate_per_bed_days", "population": "population_rate_per_residents"}
    )
    frame["assumed"] = [name if rulebook[name].status in ("assumed", "what-if") else "" for name in per_names]
    held = frame["apportionment"].map({"trust": "trust-apportioned", "population": "residents'"})
    unit = frame["denominator_name"].map({"bed_days": "bed-days", "population": "residents"})
    reasons = []
    for cases, h, den, u, per, rate in zip(
        frame["cases"], held, frame["denominator"], unit, frame["per"], frame["rate"]
    ):
        if pd.isna(rate):
            reasons.append(f"{cases} {h} cases; no rate: {u} missing or zero")
        else:
            reasons.append(f"{cases} {h} cases ÷ {den:,.0f} {u} × {per:,.0f} = {rate:.2f}")
    frame["reason"] = reasons
    level, method = rulebook["interval_level"], rulebook["interval_method"]
    has_rate = frame["rate"].notna().to_numpy()
    lower = np.full(len(frame), np.nan)
    upper = np.full(len(frame), np.nan)
    if has_rate.any():
        _, lo, hi = rate_ci(
            frame.loc[has_rate, "cases"].to_numpy(),
            frame.loc[has_rate, "denominator"].to_numpy(),
            per=1.0,
            level=float(level.value),
            method=method.value,
        )
        per = frame.loc[has_rate, "per"].to_numpy()
        lower[has_rate], upper[has_rate] = lo * per, hi * per
    frame["rate_lower"], frame["rate_upper"] = lower, upper
    frame["interval"] = f"{float(level.value):.1%} {method.value} Poisson"
    return frame


def rates_for_year(
    engine: Engine,
    library: RulebookLibrary,
    year: FinancialYear,
    *,
    rulebook: str | None = None,
    what_if: dict[str, object] | None = None,
) -> tuple[pd.DataFrame, Rulebook]:
    """Every organisation's counts and rates in ``year`` (RULES.md §0)."""
    rb = choose_rulebook(library, COUNTING, year, rulebook, what_if)
    months = [str(m) for m in year.months()]
    orgs = read_table(engine, "organisations")
    frame = period_rates_from_totals(
        organisations_of_year(orgs, year, rb),
        infection_totals(engine, ORGANISMS, months),  # summed in the database
        read_table(engine, "denominators", financial_year=str(year)),
        year.months(),
        rb,
        ORGANISMS,
    )
    frame.insert(4, "financial_year", str(year))  # as rules.hcai.annual_rates
    return _label_rates(frame, rb), rb


def explain_counts(
    engine: Engine,
    library: RulebookLibrary,
    org_code: str,
    year: FinancialYear,
    *,
    organisms: tuple[str, ...] = ("mrsa", "cdiff"),
    rulebook: str | None = None,
    what_if: dict[str, object] | None = None,
) -> Trace:
    """The trace of an organisation's counts and rates in ``year``."""
    rb = choose_rulebook(library, COUNTING, year, rulebook, what_if)
    orgs = read_table(engine, "organisations", code=org_code.upper())
    if orgs.empty:
        raise AssessmentError(f"no organisation {org_code!r} in the database")
    org = orgs.iloc[0]
    trace = Trace.start(org["code"], str(year), "counts", rb)
    trace.add(
        "organisation",
        f"{org['code']} {org['name']} is a {org['kind'].replace('_', ' ')}",
        inputs={"kind": org["kind"], "region": org["region"]},
        source="organisations",
    )
    monthly = read_table(engine, "infections", org_code=org["code"], month=[str(m) for m in year.months()])
    denominators = read_table(engine, "denominators", org_code=org["code"])
    results = {}
    for organism in organisms:
        r = annual_rate(org["code"], org["kind"], organism, year, monthly, denominators, rb, trace)
        results[organism] = {"cases": r.cases, "rate": None if r.rate is None else round(r.rate, 4), "per": r.per}
    trace.result = results
    return trace


def national_totals(engine: Engine) -> pd.DataFrame:
    """Cases by financial year, organism and apportionment, over all organisations."""
    inf = read_table(engine, "infections")
    if inf.empty:
        return pd.DataFrame(columns=["financial_year", "organism", "apportionment", "cases"])
    year_of = {m: str(Month.parse(m).financial_year) for m in inf["month"].unique()}
    inf = inf.assign(financial_year=inf["month"].map(year_of))
    grouped = inf.groupby(["financial_year", "organism", "apportionment"], as_index=False)
    # as_index=False makes the sum a frame; pandas-stubs types any column's group sum as a Series
    return cast(pd.DataFrame, grouped["cases"].sum())
