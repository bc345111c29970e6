"""Funnel plots of organisations' rates (RULES.md §6): observed against expected cases.

Expected cases are what each organisation would have at the national rate of its kind
group (trusts: trust-apportioned cases per bed-day; PCTs and CCGs: residents' cases per
head). Control limits come from the exact Poisson distribution by the counting rulebook's
``funnel_method`` (``exact_test``: a count is outside exactly when the one-sided exact test
says so, PHE's convention; or Spiegelhalter's ``interpolated`` limits), or, with an
overdispersion estimate, from the normal approximation widened by it (``winsorised`` or
``truncated`` on z-scores of O/E, multiplicative; ``shmi``: SHMI practice, log scale, rank
truncation, additive). Every row says which method placed it.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine

from ..periods import FinancialYear
from ..rulebooks import Rulebook, RulebookLibrary
from ..stats.funnel import FunnelLimits, funnel_limits, overdispersion
from .common import AssessmentError
from .counts import rates_for_year
from .objectives import KIND_GROUPS

__all__ = ["FUNNEL_COLUMNS", "funnel_for_year"]

FUNNEL_COLUMNS = [
    "org_code",
    "name",
    "kind",
    "organism",
    "financial_year",
    "observed",
    "expected",
    "ratio",
    "rate",
    "rate_lower",
    "rate_upper",
    "national_rate",
    "position",
    "lower_95",
    "upper_95",
    "lower_998",
    "upper_998",
    "funnel_method",
    "reason",
]
"""The columns at the default levels (95% and 99.8%); other ``funnel_levels`` name their own."""


def funnel_for_year(
    engine: Engine,
    library: RulebookLibrary,
    year: FinancialYear,
    organism: str,
    *,
    kind: str = "trust",
    dispersion: str | None = None,
    rulebook: str | None = None,
    what_if: dict[str, object] | None = None,
) -> tuple[pd.DataFrame, FunnelLimits, Rulebook]:
    """Each organisation's observed and expected cases and where it falls on the funnel.

    Parameters
    ----------
    kind : {'trust', 'pct'}
        The kind group compared.
    dispersion : {'winsorised', 'truncated', 'shmi'}, optional
        Estimate overdispersion (Spiegelhalter 2005) and widen the limits multiplicatively
        (normal approximation); default: exact Poisson limits.

    Returns
    -------
    (pandas.DataFrame, FunnelLimits, Rulebook)
        :data:`FUNNEL_COLUMNS`; ``position`` is ``above 99.8%``, ``above 95%``, ``within``,
        ``below 95%`` or ``below 99.8%`` (levels from the rulebook's ``funnel_levels``).
    """
    rates, rb = rates_for_year(engine, library, year, rulebook=rulebook, what_if=what_if)
    frame = rates[(rates["organism"] == organism) & rates["kind"].isin(KIND_GROUPS[kind]) & (rates["denominator"] > 0)]
    if frame.empty or frame["cases"].sum() == 0:
        raise AssessmentError(f"no {organism} cases with a denominator for {kind}s in {year}")
    national = frame["cases"].sum() / frame["denominator"].sum()
    expected = (frame["denominator"] * national).to_numpy()
    observed = frame["cases"].to_numpy()
    levels = tuple(float(v) for v in rb.value("funnel_levels"))
    if dispersion is None:
        limits = funnel_limits(expected, levels=levels, method=str(rb.value("funnel_method")))  # type: ignore[arg-type]
    elif dispersion == "shmi":
        od = overdispersion(observed, expected, method="shmi", scale="log")
        limits = funnel_limits(expected, levels=levels, method="log", overdispersion=od, effect="additive")
    else:
        od = overdispersion(observed, expected, method=dispersion)  # type: ignore[arg-type]
        limits = funnel_limits(expected, levels=levels, method="normal", overdispersion=od, effect="multiplicative")
    position = limits.position(observed)
    wide = limits.to_wide_frame()
    per = frame["per"].to_numpy()
    out = pd.DataFrame(
        {
            "org_code": frame["org_code"].to_numpy(),
            "name": frame["name"].to_numpy(),
            "kind": frame["kind"].to_numpy(),
            "organism": organism,
            "financial_year": str(year),
            "observed": observed,
            "expected": expected,
            "ratio": observed / expected,
            "rate": frame["rate"].to_numpy(),
            "rate_lower": frame["rate_lower"].to_numpy(),
            "rate_upper": frame["rate_upper"].to_numpy(),
            "national_rate": national * per,
            "position": position,
            **{c: wide[c].to_numpy() for c in wide.columns if c.startswith(("lower_", "upper_"))},
            "funnel_method": limits.method + (f" ({dispersion} overdispersion)" if dispersion else ""),
        }
    )
    how = (
        f"exact Poisson limits, {limits.method}"
        if dispersion is None
        else f"limits widened for overdispersion ({dispersion})"
    )
    out["reason"] = [
        f"{o} cases against {e:.1f} expected at the national rate (ratio {o / e:.2f}): {p} ({how})"
        for o, e, p in zip(out["observed"], out["expected"], out["position"])
    ]
    bounds = [c for c in out.columns if c.startswith(("lower_", "upper_"))]  # named by the rulebook's levels
    head = FUNNEL_COLUMNS[: FUNNEL_COLUMNS.index("position") + 1]
    return out[[*head, *bounds, "funnel_method", "reason"]], limits, rb
