"""Funnel plots of organisations' rates (RULES.md §6): observed against expected cases.

Expected cases are what each organisation would have at the national rate of its kind
group (trusts: trust-apportioned cases per bed-day; PCTs and CCGs: residents' cases per
head). Control limits come from the exact Poisson distribution, or, with an overdispersion
estimate, from the normal approximation widened by it.
"""

from __future__ import annotations

import numpy as np
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
    "reason",
]


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
    dispersion : {'winsorised', 'truncated'}, optional
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
        limits = funnel_limits(expected, levels=levels, method="exact")
    else:
        od = overdispersion(observed, expected, method=dispersion)  # type: ignore[arg-type]
        limits = funnel_limits(expected, levels=levels, method="normal", overdispersion=od, effect="multiplicative")
    position = np.full(len(frame), "within", dtype=object)
    for level in sorted(levels):  # the wider limit, checked last, wins
        side = limits.outside(observed, level)
        position[side > 0] = f"above {level:.1%}".replace(".0%", "%")
        position[side < 0] = f"below {level:.1%}".replace(".0%", "%")
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
        }
    )
    how = "exact Poisson limits" if dispersion is None else f"limits widened for overdispersion ({dispersion})"
    out["reason"] = [
        f"{o} cases against {e:.1f} expected at the national rate (ratio {o / e:.2f}): {p} ({how})"
        for o, e, p in zip(out["observed"], out["expected"], out["position"])
    ]
    return out[FUNNEL_COLUMNS], limits, rb
