"""Statistics for small numbers: exact Poisson inference, funnel plots, chance of breach.

``figures`` (matplotlib) is not imported here, so the numbers work without a plotting
library: ``from nhs_oversight.stats import figures`` when a figure is wanted.
"""

from .chance import (
    breach_count,
    p_breach_with_de_minimis,
    p_consecutive_ytd_breaches,
    p_exceed,
    p_repeat,
    p_ytd_breach,
    size_bands,
)
from .funnel import FunnelLimits, Overdispersion, funnel_limits, interpolated_poisson_quantile, overdispersion, zscores
from .poisson import poisson_ci, poisson_test_p, rate_ci

__all__ = [
    "FunnelLimits",
    "Overdispersion",
    "breach_count",
    "funnel_limits",
    "interpolated_poisson_quantile",
    "overdispersion",
    "p_breach_with_de_minimis",
    "p_consecutive_ytd_breaches",
    "p_exceed",
    "p_repeat",
    "p_ytd_breach",
    "poisson_ci",
    "poisson_test_p",
    "rate_ci",
    "size_bands",
    "zscores",
]
