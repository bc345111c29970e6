"""Financial risk ratings of providers (RULES.md §4, §5, §7).

Three regimes share one scorecard — metrics from ``financials.csv``, each scored against
a table, weighted, averaged and rounded — and differ in what follows:

- :mod:`.frr`: **Monitor's financial risk rating** (Compliance Framework, 2010-11 to
  September 2013, rulebook ``monitor-frr-2012-13``), 5 to 1, capped by the overriding rules.
- :mod:`.ten_point`: **the 10-point scale** of Monitor's 2012 licensing consultation (seed
  002, rulebook ``monitor-licence-consultation-2012``), moved by overrides of at most ±1.
- :mod:`.continuity`: **the continuity of service risk rating** (Risk Assessment
  Framework, from October 2013, rulebook ``monitor-raf-2013``), 4 to 1, and ``2*``.

:mod:`.formula` evaluates the rulebook's metric formulas in exact decimal arithmetic;
:mod:`.scorecard` scores, weights and rounds them and holds the records every rating
returns. Each module quotes the words of its source.

Pure functions: figures, events and rulebooks in; results and a :class:`Trace` out.

References
----------
Seed 002 (HSJ, "FTs with heavy PFI burdens could face ratings downgrade", 2012);
RULES.md §4, §5, §7; the rulebooks' sources.
"""

from .continuity import continuity_rating, not_worse_than
from .formula import FormulaError, evaluate_formula
from .frr import frr_caps, frr_rating
from .scorecard import (
    METRIC_LABELS,
    SCHEMES,
    Event,
    FinanceRating,
    Metric,
    MetricScore,
    Override,
    Scorecard,
    annualisation,
    compute_metrics,
    events_in_window,
    round_rating,
    scheme_of,
    score_metric,
    scorecard,
    weighted_average,
)
from .ten_point import band_of, ten_point_rating

__all__ = [
    "SCHEMES",
    "METRIC_LABELS",
    "FormulaError",
    "Metric",
    "MetricScore",
    "Scorecard",
    "Override",
    "Event",
    "FinanceRating",
    "scheme_of",
    "annualisation",
    "evaluate_formula",
    "compute_metrics",
    "score_metric",
    "weighted_average",
    "round_rating",
    "scorecard",
    "frr_caps",
    "frr_rating",
    "ten_point_rating",
    "continuity_rating",
    "band_of",
    "events_in_window",
    "not_worse_than",
]
