"""The scorecard the financial ratings share, and the records they return.

Three regimes share one scorecard — metrics from ``financials.csv``, each scored against
a table, weighted, averaged and rounded — and differ in what follows (the FRR's caps,
:mod:`.frr`; the 10-point scale's overrides, :mod:`.ten_point`; the continuity rating's
``2*``, :mod:`.continuity`).

A metric is the rulebook's ``<metric>_formula`` evaluated exactly (:mod:`.formula`). Its
score is the highest column of ``<metric>_thresholds`` it reaches; the thresholds run
from the best score to the worst. An undefined metric (a division by zero or by a
negative amount: no income, no assets, a negative plan) is scored by the rulebook's
``metric_if_undefined``: ``best`` (interest cover with no interest payable), ``worst`` (a
margin without income) or ``plan_met`` (EBITDA against a zero or negative plan: best if
EBITDA reaches the plan, else worst). The scores are weighted by ``<metric>_weight``,
averaged and rounded as ``rating_rounding`` says, in decimal arithmetic.

Pure functions: figures, events and rulebooks in; results and a :class:`Trace` out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_DOWN, ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from typing import Any

from ...explain import NO_TRACE, Trace
from ...periods import FinancialYear, Quarter
from ...rulebooks import Rulebook, RuleValue
from .formula import FormulaError, _dec, _evaluate, _figure_names, _fmt

__all__ = [
    "SCHEMES",
    "METRIC_LABELS",
    "Metric",
    "MetricScore",
    "Scorecard",
    "Event",
    "Override",
    "FinanceRating",
    "scheme_of",
    "annualisation",
    "compute_metrics",
    "score_metric",
    "weighted_average",
    "round_rating",
    "scorecard",
    "events_in_window",
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


def _pct(share: Decimal) -> str:
    """A weight as a percentage without false rounding: 0.25 → 25%, 0.125 → 12.5%."""
    return f"{(share * 100).normalize():f}%"


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
        value, why = _evaluate(formula, figures)
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


def _stage(normalised: bool) -> str:
    """``normalised`` or ``reported``: the stage a rating's trace steps are named by."""
    return "normalised" if normalised else "reported"


def _scores_text(card: Scorecard) -> str:
    return ", ".join(str(s.score) for s in card.scores.values())


def _core_reason(card: Scorecard) -> str:
    """The scorecard in a rating's reason: ``scores 3, 4, 3, 2, 3 → weighted 2.90 → 3``."""
    return f"scores {_scores_text(card)} → weighted {_fmt(card.weighted)} → {card.rating}"


def _worse(rulebook: Rulebook) -> int:
    """+1 when higher ratings are worse (the 10-point scale), −1 when lower are."""
    scores = [int(s) for s in rulebook.value("scores")]
    return 1 if scores[-1] > scores[0] else -1


# ---------------------------------------------------------------------------- records
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

    def trigger_values(self) -> dict[str, Any]:
        """The trigger with decimals as floats, for a trace or JSON."""
        return {k: (float(v) if isinstance(v, Decimal) else v) for k, v in self.trigger.items()}

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "event_id": self.event_id,
            "trigger": self.trigger_values(),
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


def _response(rulebook: Rulebook, key: Any) -> str:
    """What the regulator does at a rating (``rating_responses``); empty when the rulebook says nothing."""
    responses = rulebook.values.get("rating_responses")
    if responses is None:
        return ""
    table = responses.value
    return str(table.get(key, table.get(str(key), "")))
