"""Statistics for small numbers: exact Poisson inference, funnel plots, SPC, chance of breach.

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
from .funnel import (
    FunnelLimits,
    Overdispersion,
    exact_test_limits,
    funnel_limits,
    interpolated_poisson_quantile,
    overdispersion,
    shmi_kept,
    zscores,
)
from .poisson import poisson_ci, poisson_intervals, poisson_test_p, rate_ci, rate_intervals
from .spc import SpcRules, c_chart, days_between_cases, spc_chart, t_chart, u_chart, xmr_chart, xmr_warning

__all__ = [
    "FunnelLimits",
    "Overdispersion",
    "SpcRules",
    "breach_count",
    "c_chart",
    "days_between_cases",
    "exact_test_limits",
    "funnel_limits",
    "interpolated_poisson_quantile",
    "overdispersion",
    "p_breach_with_de_minimis",
    "p_consecutive_ytd_breaches",
    "p_exceed",
    "p_repeat",
    "p_ytd_breach",
    "poisson_ci",
    "poisson_intervals",
    "poisson_test_p",
    "rate_ci",
    "rate_intervals",
    "shmi_kept",
    "size_bands",
    "spc_chart",
    "t_chart",
    "u_chart",
    "xmr_chart",
    "xmr_warning",
    "zscores",
]
