"""Financial risk ratings of providers (RULES.md §4, §5, §7).

Three regimes share one scorecard — metrics from ``financials.csv``, each scored against
a table, weighted, averaged and rounded — and differ in what follows:

- **Monitor's financial risk rating** (Compliance Framework, 2010-11 to September 2013,
  rulebook ``monitor-frr-2012-13``): five metrics scored 5 (lowest risk) to 1, weighted
  25/10/20/20/25%, the average "rounded to the nearest whole number", then capped by the
  overriding rules: plan late or incomplete → at most 3; PDC dividend not paid in full or an
  unplanned breach of the prudential borrowing code → 2; one metric at 1 → 2, two at 1 → 1;
  one metric at 2 → 3, two at 2 → 2. Published example: scores 3, 4, 3, 2, 3 → 2.90 → 3.
- **The 10-point scale** of Monitor's 2012 licensing consultation (seed 002, rulebook
  ``monitor-licence-consultation-2012``): "Providers would be ranked on a 10-point scale,
  with 1-5 marked 'normal', 6-7 'concern', 8-9 in 'distress', and 10 'failure'", on the
  familiar metrics plus interest cover, then moved by overrides: "PFI payments should not
  exceed 10 per cent of income"; an external credit rating, reliance on block contracts,
  the number of commissioners, significant indebtedness; and clinical or governance events
  such as a CQC notice of major concern, where "Monitor will consider what costs the
  licensee is likely to incur to rectify this situation ... If the impact would be large
  enough to move the licensee down at least one point on the scale, Monitor will consider
  an override". "Overrides would only be able to move a provider's risk rating plus or
  minus one point on the scale, other than in exceptional circumstances where the evidence
  indicates a high likelihood of a rapid and drastic deterioration."
- **The continuity of service risk rating** (Risk Assessment Framework, from October
  2013, rulebook ``monitor-raf-2013``): capital service cover and liquidity scored 4 to 1,
  averaged and rounded; ``2*`` marks a 2 unlikely to get worse.

Every number comes from the rulebook, metric definitions included: a metric is the
rulebook value ``<metric>_formula`` (figures of ``financials.csv``, numbers, ``+ - * /``
and brackets), evaluated in :class:`~decimal.Decimal` so that a value exactly at a
threshold is at it, and a weighted average of exactly x.5 rounds as the rulebook says.

Division by zero: a formula that divides by zero or by a negative amount (no income, no
assets, a negative plan) has no meaning; the metric is *undefined*, and the rulebook's
``metric_if_undefined`` scores it ``best`` (interest cover with no interest payable),
``worst`` (a margin without income) or ``plan_met`` (EBITDA against a zero or negative
plan: best if EBITDA reaches the plan, else worst). A rating never fails on such figures.

Pure functions: figures, events and rulebooks in; results and a :class:`Trace` out.

References
----------
Seed 002 (HSJ, "FTs with heavy PFI burdens could face ratings downgrade", 2012);
RULES.md §4, §5, §7; the rulebooks' sources.
"""

from __future__ import annotations

import ast
import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_DOWN, ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from functools import lru_cache
from typing import Any

from ..explain import NO_TRACE, Trace
from ..periods import FinancialYear, Quarter
from ..rulebooks import Rulebook, RuleValue

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

#: Regime → the scheme that rates it.
SCHEMES = {
    "monitor-frr": "frr",
    "monitor-licence-consultation": "ten_point",
    "monitor-raf": "continuity",
}

#: How each metric is named and measured in texts.
METRIC_LABELS: dict[str, tuple[str, str]] = {
    "ebitda_margin": ("EBITDA margin", "%"),
    "ebitda_achieved": ("EBITDA achieved", "% of plan"),
    "net_return_after_financing": ("net return after financing", "%"),
    "surplus_margin": ("I&E surplus margin", "%"),
    "liquid_ratio": ("liquid ratio", "days"),
    "interest_cover": ("interest cover", "times"),
    "capital_service_cover": ("capital service cover", "times"),
    "liquidity": ("liquidity", "days"),
    "pfi_share": ("PFI share of income", "of income"),
    "indebtedness": ("borrowings", "years of income"),
}

_ROUNDING = {
    "half_up": ROUND_HALF_UP,
    "half_even": ROUND_HALF_EVEN,
    "half_down": ROUND_HALF_DOWN,
    "ceiling": ROUND_CEILING,
    "floor": ROUND_FLOOR,
}


class FormulaError(ValueError):
    """A rulebook value the rules cannot use: a formula that cannot be read, a table
    whose lengths or order do not fit, an unknown option."""


def scheme_of(rulebook: Rulebook) -> str:
    """``frr``, ``ten_point`` or ``continuity``: which rating a rulebook's regime makes."""
    try:
        return SCHEMES[rulebook.regime]
    except KeyError:
        known = ", ".join(SCHEMES)
        raise FormulaError(f"{rulebook.id}: regime {rulebook.regime!r} is not a financial rating ({known})") from None


def _label(name: str) -> str:
    return METRIC_LABELS.get(name, (name.replace("_", " "), ""))[0]


def _unit(name: str) -> str:
    return METRIC_LABELS.get(name, ("", ""))[1]


def _fmt(x: Decimal | float | None, places: int = 2) -> str:
    if x is None:
        return "–"
    return f"{Decimal(str(x)):,.{places}f}"


def _pct(share: Decimal) -> str:
    """A weight as a percentage without false rounding: 0.25 → 25%, 0.125 → 12.5%."""
    return f"{(share * 100).normalize():f}%"


def _share(x: Decimal) -> str:
    """A share as a percentage to three decimals at most: 0.10001 → 10.001%, 0.12 → 12%."""
    return f"{(x * 100).quantize(Decimal('0.001')).normalize():f}%"


def _dec(x: Any) -> Decimal | None:
    """A figure as an exact decimal; missing (None, NaN) as None."""
    if x is None:
        return None
    if isinstance(x, Decimal):
        return x
    try:
        f = float(x)
    except (TypeError, ValueError):
        return None
    if math.isnan(f):
        return None
    return Decimal(str(x)) if isinstance(x, (int, str)) else Decimal(repr(f))


# --------------------------------------------------------------------------- formulas
class _Undefined(Exception):
    """A formula that divides by zero or a negative amount, or lacks a figure."""

    def __init__(self, why: str) -> None:
        super().__init__(why)
        self.why = why


_ALLOWED = (
    ast.Expression,
    ast.BinOp,
    ast.UnaryOp,
    ast.Constant,
    ast.Name,
    ast.Load,
    ast.Add,
    ast.Sub,
    ast.Mult,
    ast.Div,
    ast.USub,
    ast.UAdd,
)


@lru_cache(maxsize=512)
def _parse(text: str) -> ast.Expression:
    try:
        tree = ast.parse(str(text), mode="eval")
    except SyntaxError:
        raise FormulaError(f"formula {text!r} cannot be read; write figures, numbers, + - * / and brackets") from None
    for node in ast.walk(tree):
        if not isinstance(node, _ALLOWED):
            raise FormulaError(
                f"formula {text!r}: {type(node).__name__} is not allowed; use figures, numbers, + - * / and brackets"
            )
        if isinstance(node, ast.Constant) and (
            isinstance(node.value, bool) or not isinstance(node.value, (int, float))
        ):
            raise FormulaError(f"formula {text!r}: {node.value!r} is not a number")
    return tree


def _figure_names(text: str) -> list[str]:
    """The figures a formula reads, in the order it writes them."""
    found = sorted((n.col_offset, n.id) for n in ast.walk(_parse(text)) if isinstance(n, ast.Name))
    return list(dict.fromkeys(name for _, name in found))


def _eval(node: ast.AST, figures: Mapping[str, Decimal | None], text: str) -> Decimal:
    if isinstance(node, ast.Expression):
        return _eval(node.body, figures, text)
    if isinstance(node, ast.Constant):
        return Decimal(str(node.value))
    if isinstance(node, ast.Name):
        if node.id not in figures:
            known = ", ".join(sorted(figures))
            raise FormulaError(f"formula {text!r} uses {node.id!r}, which is not a figure of financials.csv ({known})")
        value = figures[node.id]
        if value is None:
            raise _Undefined(f"{node.id} is missing")
        return value
    if isinstance(node, ast.UnaryOp):
        inner = _eval(node.operand, figures, text)
        return -inner if isinstance(node.op, ast.USub) else inner
    assert isinstance(node, ast.BinOp)
    left = _eval(node.left, figures, text)
    right = _eval(node.right, figures, text)
    if isinstance(node.op, ast.Add):
        return left + right
    if isinstance(node.op, ast.Sub):
        return left - right
    if isinstance(node.op, ast.Mult):
        return left * right
    if right <= 0:
        what = "zero" if right == 0 else f"a negative amount ({_fmt(right)})"
        raise _Undefined(f"it divides by {ast.unparse(node.right)} = {what}")
    return left / right


def evaluate_formula(text: str, figures: Mapping[str, Any]) -> Decimal | None:
    """Evaluate a rulebook formula in exact decimal arithmetic.

    Parameters
    ----------
    text : str
        E.g. ``"100 * ebitda / operating_income"``: figure names, numbers, ``+ - * /``
        and brackets.
    figures : mapping
        Figure name → value [GBP thousands, or as the figure is measured].

    Returns
    -------
    Decimal or None
        None when the formula divides by zero or a negative amount, or a figure is missing.

    Raises
    ------
    FormulaError
        When the formula cannot be read or names an unknown figure.
    """
    decimals = {k: _dec(v) for k, v in figures.items()}
    try:
        return _eval(_parse(text), decimals, text)
    except _Undefined:
        return None


# ---------------------------------------------------------------------------- metrics
@dataclass(frozen=True)
class Metric:
    """One metric of one provider and period.

    Attributes
    ----------
    name : str
        ``ebitda_margin``, ``interest_cover``, … (the rulebook's ``<name>_formula``).
    formula : str
    value : Decimal or None
        None when undefined (see ``undefined``).
    inputs : dict
        The figures the formula read [GBP thousands; ``annualisation`` a factor].
    undefined : str
        Why the value is undefined (division by zero or a negative amount, a missing figure).
    """

    name: str
    formula: str
    value: Decimal | None
    inputs: dict[str, float | None]
    undefined: str = ""

    @property
    def label(self) -> str:
        return _label(self.name)

    def text(self) -> str:
        if self.value is None:
            return f"{self.label} undefined: {self.undefined}"
        places = 4 if self.name == "pfi_share" else 2
        return f"{self.label} {_fmt(self.value, places)} {_unit(self.name)}".rstrip()


def annualisation(period: FinancialYear | Quarter) -> Decimal:
    """12 ÷ the months a period's year-to-date figures cover: 1 for a year, 4 for Q1.

    Formulas multiply year-to-date flows by it where they meet balances or annual
    thresholds (net return, liquid ratio), so a quarter is read like a year.
    """
    if isinstance(period, Quarter):
        return Decimal(12) / Decimal(3 * period.number)
    return Decimal(1)


def _figures(row: Mapping[str, Any], rulebook: Rulebook, normalised: bool) -> dict[str, Decimal | None]:
    figures: dict[str, Decimal | None] = {str(k): _dec(v) for k, v in row.items()}
    figures["exceptional_income"] = figures.get("exceptional_income") or Decimal(0)
    if figures.get("annualisation") is None:
        figures["annualisation"] = Decimal(1)
    if normalised:
        exceptional = figures["exceptional_income"] or Decimal(0)
        for name in rulebook.value("normalise_figures"):
            value = figures.get(name)
            if value is not None:
                figures[name] = value - exceptional
    return figures


def compute_metrics(row: Mapping[str, Any], rulebook: Rulebook, normalised: bool = False) -> dict[str, Metric]:
    """Every metric the rulebook defines (each ``<name>_formula``), from one row of figures.

    Parameters
    ----------
    row : mapping
        One row of ``financials.csv`` [GBP thousands]; ``annualisation`` (12 ÷ months,
        default 1) may be given for a quarter's year-to-date figures.
    rulebook : Rulebook
    normalised : bool
        Subtract ``exceptional_income`` from the figures named by ``normalise_figures``
        (ebitda, net surplus, operating income) first.

    Returns
    -------
    dict of str to Metric
        The rated metrics first, in the rulebook's order, then any other (PFI share, …).

    Notes
    -----
    RULES.md §4: EBITDA margin % = 100 × ebitda ÷ operating_income; EBITDA achieved % =
    100 × ebitda ÷ planned_ebitda; net return after financing % = 100 × net_surplus ÷
    total_assets; I&E surplus margin % = 100 × net_surplus ÷ operating_income; liquid ratio
    days = 360 × (current_assets − current_liabilities + committed_facilities) ÷
    operating_expenses; interest cover = ebitda ÷ interest_payable; capital service cover =
    (ebitda + interest_receivable) ÷ (pdc_dividend + interest_payable +
    loan_principal_repaid); PFI share = pfi_unitary_payments ÷ operating_income — as the
    rulebook writes them.
    """
    figures = _figures(row, rulebook, normalised)
    rated = list(rulebook.value("rated_metrics"))
    names = rated + sorted(n[: -len("_formula")] for n in rulebook.values if n.endswith("_formula"))
    out: dict[str, Metric] = {}
    for name in names:
        if name in out:
            continue
        formula = str(rulebook.value(f"{name}_formula"))
        used = _figure_names(formula)
        inputs = {n: None if (v := figures.get(n)) is None else float(v) for n in used}
        try:
            value: Decimal | None = _eval(_parse(formula), figures, formula)
            why = ""
        except _Undefined as exc:
            value, why = None, exc.why
        out[name] = Metric(name, formula, value, inputs, why)
    return out


# ---------------------------------------------------------------------------- scoring
@dataclass(frozen=True)
class MetricScore:
    """A metric's score and weight.

    Attributes
    ----------
    metric : Metric
    score : int
    weight : Decimal
        Its share of the weighted average.
    reached : str
        The column it reached (``≥ 5``, ``> 3``, ``< 1``) or why it scored as it did.
    """

    metric: Metric
    score: int
    weight: Decimal
    reached: str


def _table(name: str, rulebook: Rulebook) -> tuple[list[Decimal], list[str], list[int]]:
    thresholds = [Decimal(str(t)) for t in rulebook.value(f"{name}_thresholds")]
    comparisons = [str(c) for c in rulebook.value(f"{name}_comparisons")]
    scores = [int(s) for s in rulebook.value("scores")]
    where = f"{rulebook.id}: {name}"
    if len(scores) != len(thresholds) + 1:
        raise FormulaError(
            f"{where}_thresholds has {len(thresholds)} values; {len(scores)} scores need {len(scores) - 1}"
        )
    if len(comparisons) != len(thresholds):
        raise FormulaError(f"{where}_comparisons needs one comparison per threshold ({len(thresholds)})")
    if any(c not in (">=", ">") for c in comparisons):
        raise FormulaError(f"{where}_comparisons: each must be '>=' or '>', got {comparisons}")
    if any(a < b for a, b in zip(thresholds, thresholds[1:])):
        raise FormulaError(f"{where}_thresholds must not increase from the best score to the worst: {thresholds}")
    return thresholds, comparisons, scores


def score_metric(metric: Metric, rulebook: Rulebook) -> tuple[int, str]:
    """The score of one metric: the highest column whose threshold it reaches.

    Returns
    -------
    (int, str)
        The score and the column reached (``≥ 5``), for the trace.

    Notes
    -----
    The thresholds run from the best score to the worst; ``>=`` reaches a threshold at
    the threshold, ``>`` only above it (the FRR's net return ``>3`` for 5). Below the
    last threshold the metric scores the worst. An undefined metric scores by
    ``metric_if_undefined``.
    """
    thresholds, comparisons, scores = _table(metric.name, rulebook)
    if metric.value is None:
        policy = rulebook.value("metric_if_undefined").get(metric.name, "worst")
        if policy == "plan_met":
            ebitda, plan = metric.inputs.get("ebitda"), metric.inputs.get("planned_ebitda")
            met = ebitda is not None and plan is not None and ebitda >= plan
            return (scores[0], "plan met") if met else (scores[-1], "plan not met")
        if policy not in ("best", "worst"):
            raise FormulaError(
                f"{rulebook.id}: metric_if_undefined {metric.name}: {policy!r}; expected best, worst, plan_met"
            )
        return (scores[0] if policy == "best" else scores[-1]), f"undefined, scored {policy}"
    for threshold, comparison, score in zip(thresholds, comparisons, scores):
        if metric.value > threshold or (comparison == ">=" and metric.value == threshold):
            return score, f"{'≥' if comparison == '>=' else '>'} {threshold.normalize():f}"
    last = thresholds[-1]
    return scores[-1], f"{'<' if comparisons[-1] == '>=' else '≤'} {last.normalize():f}"


def weighted_average(scores: Mapping[str, int], rulebook: Rulebook) -> Decimal:
    """Σ weight × score ÷ Σ weight, exactly [score].

    Dividing by the sum of the weights changes nothing when they add up to 1 (as every
    shipped rulebook's do) and keeps a what-if weight on the same scale.
    """
    weights = {m: Decimal(str(rulebook.value(f"{m}_weight"))) for m in scores}
    total = sum(weights.values(), Decimal(0))
    if total <= 0:
        raise FormulaError(f"{rulebook.id}: the weights of {', '.join(scores)} add up to {total}")
    return sum((weights[m] * scores[m] for m in scores), Decimal(0)) / total


def round_rating(value: Decimal, rulebook: Rulebook) -> int:
    """Round a weighted average to a whole rating as ``rating_rounding`` says (half_up:
    2.5 → 3, 2.49 → 2), in decimal arithmetic."""
    method = rulebook.value("rating_rounding")
    if method not in _ROUNDING:
        raise FormulaError(f"{rulebook.id}: rating_rounding {method!r}; expected one of {', '.join(_ROUNDING)}")
    return int(value.quantize(Decimal(1), rounding=_ROUNDING[method]))


@dataclass(frozen=True)
class Scorecard:
    """The core of every rating: metrics, scores, weighted average and its rounding."""

    metrics: dict[str, Metric]
    scores: dict[str, MetricScore]
    weighted: Decimal
    rating: int

    def score_values(self) -> dict[str, int]:
        return {m: s.score for m, s in self.scores.items()}


def _uses(rulebook: Rulebook, *names: str) -> list[RuleValue]:
    return [rulebook[n] for n in names if n in rulebook.values]


def scorecard(
    row: Mapping[str, Any],
    rulebook: Rulebook,
    normalised: bool = False,
    trace: Trace = NO_TRACE,
    stage: str = "reported",
) -> Scorecard:
    """Metrics, their scores, the weighted average and the rounded rating.

    Parameters
    ----------
    row : mapping
        One row of ``financials.csv`` [GBP thousands] (and ``annualisation``).
    rulebook : Rulebook
    normalised : bool
        Remove exceptional income first.
    trace : Trace, optional
    stage : str
        ``reported`` or ``normalised``, for the trace.
    """
    metrics = compute_metrics(row, rulebook, normalised)
    if normalised:
        trace.add(
            f"finance.{stage}.normalise",
            f"normalised: exceptional income £{_fmt(_dec(row.get('exceptional_income')) or 0, 0)}k removed from "
            + ", ".join(rulebook.value("normalise_figures")),
            inputs={"exceptional_income": float(_dec(row.get("exceptional_income")) or 0)},
            uses=_uses(rulebook, "normalise_figures"),
        )
    scores: dict[str, MetricScore] = {}
    for name in rulebook.value("rated_metrics"):
        metric = metrics[name]
        score, reached = score_metric(metric, rulebook)
        weight = Decimal(str(rulebook.value(f"{name}_weight")))
        scores[name] = MetricScore(metric, score, weight, reached)
        trace.add(
            f"finance.{stage}.metric",
            f"{metric.text()} ({metric.formula}): {reached} → score {score}, weight {_pct(weight)}"
            if metric.value is not None
            else f"{metric.text()} ({metric.formula}) → {reached}: score {score}, weight {_pct(weight)}",
            inputs=dict(metric.inputs),
            value={
                "metric": metric.name,
                "value": None if metric.value is None else float(metric.value),
                "score": score,
                "weight": float(weight),
            },
            source="financials",
            uses=_uses(
                rulebook,
                f"{name}_formula",
                f"{name}_thresholds",
                f"{name}_comparisons",
                f"{name}_weight",
                "scores",
                *(["metric_if_undefined"] if metric.value is None else []),
            ),
        )
    values = {m: s.score for m, s in scores.items()}
    weighted = weighted_average(values, rulebook)
    rating = round_rating(weighted, rulebook)
    terms = " + ".join(f"{_pct(s.weight)} × {s.score}" for s in scores.values())
    trace.add(
        f"finance.{stage}.weighted",
        f"weighted average {terms} = {_fmt(weighted)} → {rating} (rounded {rulebook.value('rating_rounding')})",
        inputs=values,
        value={"weighted_score": float(weighted), "rating": rating},
        uses=_uses(rulebook, "rating_rounding"),
    )
    return Scorecard(metrics, scores, weighted, rating)


# -------------------------------------------------------------------------- overrides
@dataclass(frozen=True)
class Event:
    """A regulatory event of ``events.csv``.

    Attributes
    ----------
    event_id, kind : str
    date : datetime.date
    value : float, optional
        A notch, a share, a count, days late — as the kind measures it.
    estimated_cost : float, optional
        Cost to rectify [GBP thousands].
    exceptional : bool
        Marked exceptional (a high likelihood of rapid and drastic deterioration).
    evidence : str
    """

    event_id: str
    kind: str
    date: dt.date
    value: float | None = None
    estimated_cost: float | None = None
    exceptional: bool = False
    evidence: str = ""


def events_in_window(
    events: Iterable[Event], period: FinancialYear | Quarter, window: str = "year_to_date"
) -> list[Event]:
    """The events that count for a period.

    ``year_to_date``: dated from 1 April of the period's financial year to the end of the
    period (a year: the whole year; a quarter: the year to date, as its figures are).
    ``period``: within the period itself.
    """
    if window == "year_to_date":
        start = period.financial_year.start
    elif window == "period":
        start = period.start
    else:
        raise FormulaError(f"event_window {window!r}; expected year_to_date or period")
    return sorted((e for e in events if start <= e.date <= period.end), key=lambda e: (e.date, e.event_id))


@dataclass
class Override:
    """One override (or FRR overriding rule) considered for a rating.

    Attributes
    ----------
    name : str
        ``pfi_share``, ``cqc_major_concern``, ``one_metric_at_2``, ``plan_late``, …
    trigger : dict
        The figures that triggered (or did not trigger) it.
    threshold : Any
        What the figures were compared with, or the FRR cap.
    movement : int
        The movement it proposes on the rating's scale (0 when not triggered).
    applied : bool
        Whether it moves (or caps) the rating.
    why : str
    event_id : str, optional
    exceptional : bool
        An applied event marked exceptional *with* evidence: outside the net limit.
    evidence : str
    capped : bool
        Applied, but the net limit cut the total it belongs to.
    """

    name: str
    trigger: dict[str, Any]
    threshold: Any
    movement: int
    applied: bool
    why: str
    event_id: str | None = None
    exceptional: bool = False
    evidence: str = ""
    capped: bool = False

    def describe(self) -> str:
        what = self.name + (f" {self.event_id}" if self.event_id else "")
        if not self.applied:
            return f"{what}: not applied ({self.why})"
        moved = f"{self.movement:+d}"
        state = "applied, capped by the net limit" if self.capped else "applied"
        if self.exceptional:
            state = "applied as exceptional"
        return f"{what}: {moved} {state} ({self.why})"

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "event_id": self.event_id,
            "trigger": {k: (float(v) if isinstance(v, Decimal) else v) for k, v in self.trigger.items()},
            "threshold": self.threshold,
            "movement": self.movement,
            "applied": self.applied,
            "capped": self.capped,
            "exceptional": self.exceptional,
            "evidence": self.evidence,
            "why": self.why,
        }


@dataclass
class FinanceRating:
    """A provider's rating under one rulebook, reported or normalised.

    Attributes
    ----------
    scheme : str
        ``frr``, ``ten_point`` or ``continuity``.
    normalised : bool
    card : Scorecard
    uncapped_rating : int
        The rounded weighted average, before caps and overrides.
    rating : int
    label : str
        The rating as published: ``3``, or ``2*``.
    band : str
        ``normal``, ``concern``, ``distress``, ``failure`` on the 10-point scale; empty
        for the FRR and the continuity rating, which have no bands.
    response : str
        What the regulator does at that rating or band.
    overrides : list of Override
        Every cap or override considered.
    net_movement : int
        What the overrides moved, after the net limit (10-point scale).
    reason : str
    """

    scheme: str
    normalised: bool
    card: Scorecard
    uncapped_rating: int
    rating: int
    label: str
    band: str
    response: str
    overrides: list[Override] = field(default_factory=list)
    net_movement: int = 0
    reason: str = ""

    @property
    def weighted_score(self) -> Decimal:
        return self.card.weighted

    def overrides_text(self) -> str:
        return "; ".join(o.describe() for o in self.overrides)


def _scores_text(card: Scorecard) -> str:
    return ", ".join(str(s.score) for s in card.scores.values())


def _response(rulebook: Rulebook, key: Any) -> str:
    responses = rulebook.values.get("rating_responses")
    if responses is None:
        return ""
    table = responses.value
    return str(table.get(key, table.get(str(key), "")))


# -------------------------------------------------------------------------------- FRR
_METRIC_CAPS = (
    ("two_metrics_at_1", 1, 2),
    ("one_metric_at_1", 1, 1),
    ("two_metrics_at_2", 2, 2),
    ("one_metric_at_2", 2, 1),
)


def frr_caps(
    scores: Mapping[str, int],
    uncapped: int,
    rulebook: Rulebook,
    events: Sequence[Event] = (),
    trace: Trace = NO_TRACE,
    stage: str = "reported",
) -> tuple[int, list[Override]]:
    """The FRR's overriding rules: the rating is at most each cap that applies.

    Parameters
    ----------
    scores : mapping
        Metric → score (5 best … 1).
    uncapped : int
        The rounded weighted average.
    rulebook : Rulebook
        ``cap_one_metric_at_1`` (2), ``cap_two_metrics_at_1`` (1), ``cap_one_metric_at_2``
        (3), ``cap_two_metrics_at_2`` (2), and ``cap_<event kind>`` for each event kind that
        caps: ``cap_plan_late`` 3, ``cap_plan_incomplete`` 3, ``cap_pdc_unpaid`` 2,
        ``cap_pbc_breach`` 2.
    events : sequence of Event
        The events of the period (see :func:`events_in_window`).

    Returns
    -------
    (int, list of Override)
        The capped rating and every overriding rule triggered, each with the movement it
        alone would make (``min(cap, uncapped) − uncapped``).

    Notes
    -----
    "One metric at 1" counts at least one metric scoring exactly 1, "two at 1" at least
    two; likewise at 2. A metric at 1 is not also counted as "at 2" (the caps of 1s are
    the stricter anyway).
    """
    records: list[Override] = []
    counts = {1: sum(1 for s in scores.values() if s == 1), 2: sum(1 for s in scores.values() if s == 2)}
    for name, score, at_least in _METRIC_CAPS:
        if counts[score] < at_least:
            continue
        value = rulebook[f"cap_{name}"]
        cap = int(value.value)
        at = [m for m, s in scores.items() if s == score]
        move = min(cap, uncapped) - uncapped
        why = f"{len(at)} metric(s) at {score} ({', '.join(at)}): at most {cap}"
        records.append(Override(name, {"metrics": at}, cap, move, move < 0, why))
        trace.add(f"finance.{stage}.cap", f"overriding rule {why}", inputs={"metrics": at}, value=cap, uses=[value])
    for e in events:
        event_cap = rulebook.values.get(f"cap_{e.kind}")
        if event_cap is None:
            continue
        cap = int(event_cap.value)
        move = min(cap, uncapped) - uncapped
        why = f"{e.kind.replace('_', ' ')} on {e.date}: at most {cap}" + (f" — {e.evidence}" if e.evidence else "")
        trigger = {"date": str(e.date), "value": e.value}
        records.append(Override(e.kind, trigger, cap, move, move < 0, why, e.event_id, evidence=e.evidence))
        trace.add(
            f"finance.{stage}.cap",
            f"overriding rule: event {e.event_id} {why}",
            inputs={"event_id": e.event_id, "date": str(e.date)},
            value=cap,
            source="events",
            uses=_uses(rulebook, f"cap_{e.kind}", "event_window"),
        )
    rating = min([uncapped, *(int(r.threshold) for r in records)])
    if not records:
        trace.add(f"finance.{stage}.cap", f"no overriding rule applies: rating {rating}", value=rating)
    elif rating < uncapped:
        trace.add(f"finance.{stage}.cap", f"capped: {uncapped} → {rating}", value=rating)
    else:
        trace.add(f"finance.{stage}.cap", f"the caps do not lower {uncapped}", value=rating)
    return rating, records


def frr_rating(
    row: Mapping[str, Any],
    rulebook: Rulebook,
    events: Sequence[Event] = (),
    *,
    normalised: bool = False,
    trace: Trace = NO_TRACE,
) -> FinanceRating:
    """Monitor's financial risk rating, 5 (lowest risk) to 1 (RULES.md §4).

    Parameters
    ----------
    row : mapping
        One row of ``financials.csv`` [GBP thousands].
    rulebook : Rulebook
        ``monitor-frr``.
    events : sequence of Event
        The provider's events of the period (plan late or incomplete, PDC unpaid, PBC breach).
    normalised : bool
        Rate with exceptional income removed.
    trace : Trace, optional

    Notes
    -----
    rating = min(round_half_up(Σ wᵢ sᵢ), every cap that applies). Published example:
    scores 3, 4, 3, 2, 3 → 0.25×3 + 0.10×4 + 0.20×3 + 0.20×2 + 0.25×3 = 2.90 → 3, one
    metric at 2 caps at 3 → 3.
    """
    stage = "normalised" if normalised else "reported"
    card = scorecard(row, rulebook, normalised, trace, stage)
    rating, records = frr_caps(card.score_values(), card.rating, rulebook, events, trace, stage)
    reason = f"scores {_scores_text(card)} → weighted {_fmt(card.weighted)} → {card.rating}"
    binding = [r for r in records if r.applied and int(r.threshold) == rating]
    if binding:
        reason += f"; {binding[0].why} → {rating}"
    response = _response(rulebook, rating)
    if response:
        reason += f" ({response})"
    return FinanceRating("frr", normalised, card, card.rating, rating, str(rating), "", response, records, 0, reason)


# -------------------------------------------------------------------------- 10 points
def band_of(rating: int, rulebook: Rulebook) -> str:
    """The band of a 10-point rating: ``normal`` 1–5, ``concern`` 6–7, ``distress`` 8–9,
    ``failure`` 10 (seed 002)."""
    for band, (first, last) in rulebook.value("bands").items():
        if int(first) <= rating <= int(last):
            return str(band)
    raise FormulaError(f"{rulebook.id}: rating {rating} is in no band of {rulebook.value('bands')}")


def _worse(rulebook: Rulebook) -> int:
    """+1 when higher ratings are worse (the 10-point scale), −1 when lower are."""
    scores = [int(s) for s in rulebook.value("scores")]
    return 1 if scores[-1] > scores[0] else -1


def _latest(events: Sequence[Event], kind: str) -> Event | None:
    found = [e for e in events if e.kind == kind and e.value is not None]
    return found[-1] if found else None


def _quantitative_overrides(card: Scorecard, events: Sequence[Event], rulebook: Rulebook) -> list[Override]:
    worse = _worse(rulebook)
    out: list[Override] = []
    pfi = card.metrics.get("pfi_share")
    limit = Decimal(str(rulebook.value("pfi_share_limit")))
    points = int(rulebook.value("pfi_override_points"))
    if pfi is not None:
        if pfi.value is None:
            out.append(
                Override("pfi_share", dict(pfi.inputs), float(limit), 0, False, f"PFI share undefined: {pfi.undefined}")
            )
        else:
            hit = pfi.value > limit
            why = f"PFI payments {_share(pfi.value)} of income {'>' if hit else '≤'} {_share(limit)}"
            out.append(
                Override(
                    "pfi_share",
                    {**pfi.inputs, "pfi_share": float(pfi.value)},
                    float(limit),
                    points * worse if hit else 0,
                    hit,
                    why,
                )
            )
    debt = card.metrics.get("indebtedness")
    debt_limit = Decimal(str(rulebook.value("indebtedness_limit")))
    debt_points = int(rulebook.value("indebtedness_override_points"))
    if debt is not None and debt.value is not None:
        hit = debt.value > debt_limit
        why = f"borrowings {_fmt(debt.value)} years of income {'>' if hit else '≤'} {debt_limit.normalize():f}"
        out.append(
            Override(
                "indebtedness",
                {**debt.inputs, "indebtedness": float(debt.value)},
                float(debt_limit),
                debt_points * worse if hit else 0,
                hit,
                why,
            )
        )
    for e in (e for e in events if e.kind == "indebtedness"):
        hit = e.value is None or Decimal(str(e.value)) > debt_limit
        why = (
            f"indebtedness reported on {e.date}"
            + ("" if e.value is None else f": {e.value:g} years of income")
            + ("" if hit else f" ≤ {debt_limit.normalize():f}")
        )
        out.append(
            _event_override(e, {"value": e.value}, float(debt_limit), debt_points * worse if hit else 0, hit, why)
        )
    credit = _latest(events, "credit_rating")
    if credit is not None:
        down, up = (
            int(rulebook.value("credit_rating_downgrade_from_notch")),
            int(rulebook.value("credit_rating_upgrade_to_notch")),
        )
        cpoints = int(rulebook.value("credit_rating_override_points"))
        notch = Decimal(str(credit.value))
        if notch >= down:
            move, why = cpoints * worse, f"credit rating notch {notch.normalize():f} ≥ {down} (below investment grade)"
        elif notch <= up:
            move, why = -cpoints * worse, f"credit rating notch {notch.normalize():f} ≤ {up} (strong)"
        else:
            move, why = 0, f"credit rating notch {notch.normalize():f} between {up} and {down}"
        out.append(
            _event_override(
                credit, {"notch": float(notch)}, {"downgrade_from": down, "upgrade_to": up}, move, move != 0, why
            )
        )
    block = _latest(events, "block_contract_share")
    if block is not None:
        blimit = Decimal(str(rulebook.value("block_contract_share_limit")))
        share = Decimal(str(block.value))
        hit = share > blimit
        why = f"{_share(share)} of income on block contracts {'>' if hit else '≤'} {_share(blimit)}"
        move = int(rulebook.value("block_contract_override_points")) * worse if hit else 0
        out.append(_event_override(block, {"share": float(share)}, float(blimit), move, hit, why))
    count = _latest(events, "commissioner_count")
    if count is not None:
        minimum = int(rulebook.value("commissioner_count_minimum"))
        n = Decimal(str(count.value))
        hit = n < minimum
        why = f"{n.normalize():f} commissioner(s) {'<' if hit else '≥'} {minimum}"
        move = int(rulebook.value("commissioner_override_points")) * worse if hit else 0
        out.append(_event_override(count, {"commissioners": float(n)}, minimum, move, hit, why))
    return out


def _event_override(
    e: Event, trigger: dict[str, Any], threshold: Any, movement: int, applied: bool, why: str
) -> Override:
    return Override(
        e.kind,
        {"date": str(e.date), **trigger},
        threshold,
        movement,
        applied,
        why,
        e.event_id,
        exceptional=e.exceptional,
        evidence=e.evidence,
    )


def _with_cost(row: Mapping[str, Any], cost: Decimal, rulebook: Rulebook) -> dict[str, Any]:
    adjusted: dict[str, Any] = dict(row)
    for figure, sign in rulebook.value("cost_to_rectify_effect").items():
        base = _dec(adjusted.get(figure))
        if base is None:
            raise FormulaError(f"{rulebook.id}: cost_to_rectify_effect names {figure!r}, which the figures lack")
        adjusted[figure] = base + Decimal(str(sign)) * cost
    return adjusted


def _qualitative_overrides(
    row: Mapping[str, Any],
    card: Scorecard,
    events: Sequence[Event],
    rulebook: Rulebook,
    normalised: bool,
    trace: Trace,
    stage: str,
) -> list[Override]:
    kinds = set(rulebook.value("qualitative_event_kinds"))
    minimum = int(rulebook.value("qualitative_min_movement"))
    worse = _worse(rulebook)
    out: list[Override] = []
    for e in events:
        if e.kind not in kinds:
            continue
        if e.estimated_cost is None:
            out.append(
                _event_override(
                    e,
                    {"estimated_cost": None},
                    minimum,
                    0,
                    False,
                    f"{e.kind.replace('_', ' ')} on {e.date} has no estimated cost to rectify: cannot re-rate",
                )
            )
            continue
        cost = Decimal(str(e.estimated_cost))
        rerated = scorecard(_with_cost(row, cost, rulebook), rulebook, normalised)
        moved = (rerated.rating - card.rating) * worse
        hit = moved >= minimum
        why = (
            f"{e.kind.replace('_', ' ')} on {e.date}: re-rated with £{_fmt(cost, 0)}k to rectify, "
            f"weighted {_fmt(card.weighted)} → {_fmt(rerated.weighted)}, rating {card.rating} → {rerated.rating}, "
            + (f"at least {minimum} point(s) worse" if hit else f"less than {minimum} point worse")
        )
        trace.add(
            f"finance.{stage}.rerate",
            f"event {e.event_id}: {why}; re-rated scores {_scores_text(rerated)}",
            inputs={"estimated_cost": float(cost), **{m: s.score for m, s in rerated.scores.items()}},
            value=rerated.rating,
            source="events",
            uses=_uses(rulebook, "qualitative_event_kinds", "cost_to_rectify_effect", "qualitative_min_movement"),
        )
        trigger = {
            "estimated_cost": float(cost),
            "rerated_weighted_score": float(rerated.weighted),
            "rerated_rating": rerated.rating,
        }
        out.append(_event_override(e, trigger, minimum, (rerated.rating - card.rating) if hit else 0, hit, why))
    return out


def _net(records: list[Override], rulebook: Rulebook) -> int:
    """The overrides' net movement: ordinary ones capped at ± ``override_net_limit``,
    exceptional ones (marked exceptional, with evidence) added in full."""
    limit = int(rulebook.value("override_net_limit"))
    needs_evidence = bool(rulebook.value("exceptional_requires_evidence"))
    for r in records:
        if r.exceptional and needs_evidence and not r.evidence.strip():
            r.exceptional = False
            r.why += "; marked exceptional without evidence, so within the net limit"
        if r.exceptional and not r.applied:
            r.exceptional = False
    exceptional = [r for r in records if r.applied and r.exceptional]
    ordinary = [r for r in records if r.applied and not r.exceptional]
    total = sum(r.movement for r in ordinary)
    capped = max(-limit, min(limit, total))
    if capped != total:
        for r in ordinary:
            if (r.movement > 0) == (total > 0):
                r.capped = True
    for r in exceptional:
        r.why += f"; exceptional, evidence: {r.evidence.strip()}"
    return capped + sum(r.movement for r in exceptional)


def ten_point_rating(
    row: Mapping[str, Any],
    rulebook: Rulebook,
    events: Sequence[Event] = (),
    *,
    normalised: bool = False,
    trace: Trace = NO_TRACE,
) -> FinanceRating:
    """The 10-point financial risk rating of the 2012 licensing consultation (RULES.md §5).

    Parameters
    ----------
    row : mapping
        One row of ``financials.csv`` [GBP thousands].
    rulebook : Rulebook
        ``monitor-licence-consultation``.
    events : sequence of Event
        The provider's events of the period.
    normalised : bool
    trace : Trace, optional

    Notes
    -----
    1. Core rating = round(Σ wᵢ sᵢ) over the seven core metrics, 1 (lowest risk) … 10.
    2. Quantitative overrides, each proposing one point: PFI unitary payments > 10% of
       income (seed); borrowings above the indebtedness limit; an external credit rating
       below investment grade (down) or strong (up); block contracts above a share of
       income; fewer commissioners than the minimum (the last four assumed).
    3. Qualitative overrides: each clinical or governance event with an estimated cost to
       rectify is re-rated with the cost taken off EBITDA, the surplus and current assets
       and added to expenses; it applies only if the re-rated core rating is at least one
       point worse, and proposes the whole difference.
    4. The ordinary overrides move the rating at most ±1 in total; an applied event marked
       exceptional with evidence adds its whole movement beyond that. The result stays on
       the scale (1 … 10), and its band sets the regulator's response.
    """
    stage = "normalised" if normalised else "reported"
    card = scorecard(row, rulebook, normalised, trace, stage)
    records = _quantitative_overrides(card, events, rulebook)
    records += _qualitative_overrides(row, card, events, rulebook, normalised, trace, stage)
    net = _net(records, rulebook)
    scale = [int(s) for s in rulebook.value("scores")]
    moved = card.rating + net
    rating = max(min(scale), min(max(scale), moved))
    for r in records:
        trace.add(
            f"finance.{stage}.override",
            r.describe(),
            inputs={k: (float(v) if isinstance(v, Decimal) else v) for k, v in r.trigger.items()},
            value=r.movement if r.applied else 0,
            source="events" if r.event_id else "financials",
            uses=_override_uses(r, rulebook),
        )
    band = band_of(rating, rulebook)
    response = str(rulebook.value("band_responses").get(band, ""))
    applied = [r for r in records if r.applied]
    trace.add(
        f"finance.{stage}.band",
        f"core {card.rating} {net:+d} from overrides → {rating}: {band} ({response})"
        + (f"; stays on the scale ({moved} → {rating})" if moved != rating else ""),
        inputs={"core": card.rating, "net_movement": net},
        value={"rating": rating, "band": band},
        uses=_uses(rulebook, "override_net_limit", "exceptional_requires_evidence", "bands", "band_responses")
        if applied
        else _uses(rulebook, "bands", "band_responses"),
    )
    reason = f"scores {_scores_text(card)} → weighted {_fmt(card.weighted)} → {card.rating}"
    if applied:
        parts = ", ".join(f"{r.name} {r.movement:+d}" + (" (exceptional)" if r.exceptional else "") for r in applied)
        limit = int(rulebook.value("override_net_limit"))
        capped = any(r.capped for r in applied)
        reason += f"; overrides {parts}" + (f", net capped at ±{limit}" if capped else "") + f" → {rating}"
    reason += f": {band} ({response})"
    return FinanceRating(
        "ten_point", normalised, card, card.rating, rating, str(rating), band, response, records, net, reason
    )


def _override_uses(r: Override, rulebook: Rulebook) -> list[RuleValue]:
    names = {
        "pfi_share": ("pfi_share_formula", "pfi_share_limit", "pfi_override_points"),
        "indebtedness": ("indebtedness_formula", "indebtedness_limit", "indebtedness_override_points"),
        "credit_rating": (
            "credit_rating_downgrade_from_notch",
            "credit_rating_upgrade_to_notch",
            "credit_rating_override_points",
        ),
        "block_contract_share": ("block_contract_share_limit", "block_contract_override_points"),
        "commissioner_count": ("commissioner_count_minimum", "commissioner_override_points"),
    }.get(r.name, ("qualitative_event_kinds", "cost_to_rectify_effect", "qualitative_min_movement"))
    extra = [name for name, used in (("event_window", r.event_id), ("override_net_limit", r.capped),
                                      ("exceptional_requires_evidence", r.exceptional)) if used]  # fmt: skip
    return _uses(rulebook, *names, *extra)


# -------------------------------------------------------------------------- continuity
def not_worse_than(now: Scorecard, before: Scorecard, rulebook: Rulebook) -> bool:
    """Whether no rated metric is lower than before.

    Every metric's thresholds fall from the best score to the worst, so a lower value is
    a worse one; an undefined metric is compared by its score instead.
    """
    worse = _worse(rulebook)
    for name, score in now.scores.items():
        prior = before.scores.get(name)
        if prior is None:
            return False
        a, b = score.metric.value, prior.metric.value
        if a is not None and b is not None:
            if a < b:
                return False
        elif (score.score - prior.score) * worse > 0:
            return False
    return True


def continuity_rating(
    row: Mapping[str, Any],
    rulebook: Rulebook,
    *,
    normalised: bool = False,
    two_star: bool = False,
    previous: Mapping[str, Any] | None = None,
    unlikely_to_worsen: bool | None = None,
    trace: Trace = NO_TRACE,
) -> FinanceRating:
    """Monitor's continuity of service risk rating, 4 (lowest risk) to 1 (RULES.md §7).

    Parameters
    ----------
    row : mapping
        One row of ``financials.csv`` [GBP thousands].
    rulebook : Rulebook
        ``monitor-raf``.
    normalised : bool
    two_star : bool
        Ask for the ``2*`` mark: a rating of ``two_star_rating`` (2) unlikely to get worse.
    previous : mapping, optional
        The same period a year before, for the ``not_worse_than_previous_year`` test.
    unlikely_to_worsen : bool, optional
        An analyst's judgement; when given it decides the star instead of the test.
    trace : Trace, optional

    Notes
    -----
    rating = round_half_up((score(capital service cover) + score(liquidity)) ÷ 2); the
    scores are 4/3/2/1 at ≥2.5/≥1.75/≥1.25/below times and ≥0/≥−7/≥−14/below days (all
    assumed, RULES.md §7).
    """
    stage = "normalised" if normalised else "reported"
    card = scorecard(row, rulebook, normalised, trace, stage)
    rating = card.rating
    label = str(rating)
    star_at = rulebook["two_star_rating"]
    if two_star and rating == int(star_at.value):
        test = rulebook["two_star_test"]
        if unlikely_to_worsen is not None:
            starred, why = (
                unlikely_to_worsen,
                "the analyst judges the position "
                + ("unlikely to worsen" if unlikely_to_worsen else "at risk of worsening"),
            )
        elif test.value == "not_worse_than_previous_year":
            if previous is None:
                starred, why = False, "no figures for the same period a year before: no star"
            else:
                before = scorecard(previous, rulebook, normalised)
                starred = not_worse_than(card, before, rulebook)
                why = (
                    "neither metric is lower than a year before" if starred else "a metric is lower than a year before"
                )
        elif test.value == "analyst":
            starred, why = False, "only an analyst gives the star"
        else:
            raise FormulaError(
                f"{rulebook.id}: two_star_test {test.value!r}; expected not_worse_than_previous_year or analyst"
            )
        if starred:
            label = f"{rating}*"
        trace.add(f"finance.{stage}.two_star", f"rating {rating}: {why} → {label}", value=label, uses=[star_at, test])
    response = _response(rulebook, label)
    reason = (
        ", ".join(f"{s.metric.text()} → {s.score}" for s in card.scores.values())
        + f"; average {_fmt(card.weighted)} → {label}"
        + (f" ({response})" if response else "")
    )
    return FinanceRating("continuity", normalised, card, rating, rating, label, "", response, [], 0, reason)
