"""The objective rules run on published rates (UKHSA's rates by ICB), where the cases and the
population behind each rate are not published: groups and target rates, no target cases."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import NotFound, UsageError
from ..explain import Trace
from ..periods import FinancialYear
from ..regimes import MRSA_OBJECTIVE
from ..rulebooks import RulebookLibrary
from ..rules.objectives import OBJECTIVE_COLUMNS, Baseline, median_quartile_objectives
from .objectives import baseline_months
from .rulebooks import choose_rulebook

__all__ = ["objectives_from_rates"]


def objectives_from_rates(
    library: RulebookLibrary,
    path: Path,
    year: FinancialYear,
    *,
    rulebook: str | None = None,
    what_if: dict[str, Any] | None = None,
    traces: dict[str, Trace] | None = None,
) -> tuple[pd.DataFrame, Any, str]:
    """MRSA objectives of the commissioners in a published rates table.

    Parameters
    ----------
    path : Path
        A published table of rates (``read_published_rates``: e.g. UKHSA's rates per 100,000
        population by ICB, organism and year).
    year : FinancialYear
        The objective year; its baseline (by the rulebook: the previous year) must be in the table.

    Returns
    -------
    (pandas.DataFrame, Rulebook, str)
        ``OBJECTIVE_COLUMNS`` (``baseline_cases``, ``denominator``, ``target_cases`` and
        ``small_organisation`` empty: not published), the rulebook and the baseline year.
    """
    from ..inputs.published import read_published_rates

    rb = choose_rulebook(library, MRSA_OBJECTIVE, year, rulebook, what_if)
    if rb.value("reduction_method") != "median-quartile":
        raise UsageError(
            f"{rb.id} does not set objectives by the median and best quartile ({rb.value('reduction_method')}); "
            "published rates need that rule: name e.g. --rulebook mrsa-objective-2010-11",
            param="--rulebook",
        )
    months = baseline_months(rb, year)
    baseline = months[-1].financial_year
    if len(months) != 12 or months[0] != baseline.months()[0]:
        raise UsageError(f"{rb.id}'s baseline is not a financial year; published rates are annual", param="--rulebook")
    rates = read_published_rates(path)
    rates = rates[(rates["organism"] == "mrsa") & (rates["financial_year"] == str(baseline)) & rates["rate"].notna()]
    if rates.empty:
        raise NotFound(f"{path.name}: no published MRSA rates for {baseline}, the baseline of {year}")
    baselines = [
        Baseline(
            org_code=str(r.org_code),
            kind=str(r.kind),
            cases=None,
            denominator=None,
            per=100_000.0,
            unit="population",
            published_rate=Decimal(str(r.rate)),
        )
        for r in rates.itertuples(index=False)
    ]
    table = median_quartile_objectives(baselines, rb, period=str(baseline), traces=traces)
    table["organism"] = "mrsa"
    table["financial_year"] = str(year)
    table["baseline_period"] = str(baseline)
    table["rulebook"] = rb.label
    table["assumed"] = ";".join(sorted(v.name for v in rb.assumed))
    return table[OBJECTIVE_COLUMNS], rb, str(baseline)
