"""Infection objectives: the MRSA objective, C. difficile objectives, zero tolerance
(RULES.md §1, §2).

The Department of Health's MRSA objective (seed 001): "organisations with higher MRSA
rates than the national median will be told to reduce them to the median or by 20 per
cent, whichever is greater. Those better than the median will have to reduce rates to
those of the best performing quartile, or by 20 per cent, whichever is less. Trusts in
the best performing quartile will have their targets set locally with the aim of
maintaining their performance." Trusts are compared with trusts on bed-day rates, PCTs
with PCTs on population rates.

C. difficile objectives (seed 000): each trust's objective is set "in order to produce an
18 per cent national reduction"; the method was not published, so the allocation is a
rulebook option (a uniform cut, or the median/quartile rule).

All arithmetic that decides a group or rounds a case count is done in :class:`Decimal`,
so that a rate exactly at the median is at the median and 9.5 cases round to 10.

Pure functions: frames and rulebooks in, frames and traces out.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pandas as pd

from ..explain import NO_TRACE, Trace
from ..rulebooks import Rulebook, RuleValue

__all__ = [
    "GROUPS",
    "OBJECTIVE_COLUMNS",
    "quantile_inc",
    "round_half_up",
    "decimal_rate",
    "Baseline",
    "median_quartile_objectives",
    "uniform_objectives",
    "zero_tolerance_objectives",
    "national_line",
    "savings",
    "median_quartile_table",
    "uniform_table",
    "zero_tolerance_table",
]

GROUPS = (
    "worse_than_median",
    "better_than_median",
    "best_quartile",
    "exempt",
    "uniform",
    "zero_tolerance",
    "no_rate",
)

#: The columns of ``oversight objectives`` (INTERFACE.md), then the extras.
OBJECTIVE_COLUMNS = [
    "org_code",
    "kind",
    "baseline_cases",
    "denominator",
    "baseline_rate",
    "group",
    "target_rate",
    "target_cases",
    "small_organisation",
    "locally_set",
    "reason",
    "organism",
    "financial_year",
    "baseline_period",
    "rulebook",
    "agreed_cases",
    "assumed",
]

_HUNDRED = Decimal(100)


def quantile_inc(values: Sequence[Decimal], percentile: int | Decimal) -> Decimal:
    """A percentile by linear interpolation, as spreadsheet ``PERCENTILE.INC``/``QUARTILE.INC``
    and ``MEDIAN`` compute it (numpy's ``method="linear"``), in exact decimal arithmetic.

    Parameters
    ----------
    values : sequence of Decimal
        At least one value.
    percentile : int or Decimal
        0 to 100.

    Notes
    -----
    With the values sorted ``x[0] ≤ … ≤ x[n-1]``, ``h = (n - 1) p / 100`` and the result is
    ``x[⌊h⌋] + (h - ⌊h⌋)(x[⌊h⌋+1] - x[⌊h⌋])``.
    """
    if not values:
        raise ValueError("a quantile needs at least one value")
    xs = sorted(values)
    h = (len(xs) - 1) * Decimal(percentile) / _HUNDRED
    lo = int(h)  # h ≥ 0, so int() is floor
    if lo + 1 >= len(xs):
        return xs[-1]
    return xs[lo] + (h - lo) * (xs[lo + 1] - xs[lo])


def round_half_up(value: Decimal) -> int:
    """Round to a whole number, halves up (9.5 → 10, 9.49 → 9)."""
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _rounder(rulebook: Rulebook) -> Callable[[Decimal], int]:
    method = rulebook.value("target_cases_rounding")
    if method != "half_up":
        raise ValueError(f"{rulebook.id}: unknown target_cases_rounding {method!r}; expected half_up")
    return round_half_up


def decimal_rate(cases: int, denominator: float, per: float) -> Decimal:
    """``cases ÷ denominator × per`` exactly [cases per ``per`` bed-days or residents]."""
    return Decimal(cases) * Decimal(str(per)) / Decimal(str(denominator))


def _d(x: Decimal | None, places: int = 2) -> str:
    return "–" if x is None else f"{x:,.{places}f}"


@dataclass(frozen=True)
class Baseline:
    """What the objective rules need of one organisation.

    Attributes
    ----------
    org_code, kind : str
    cases : int
        Baseline cases (trust-apportioned for trusts, residents' for PCTs) [cases].
    denominator : float or None
        Baseline bed-days or population, annual [bed-days or residents].
    per : float
        The rate unit [bed-days or residents], e.g. 100,000.
    unit : str
        ``bed-days`` or ``population``.
    agreed : int or None
        A locally agreed objective from ``objectives.csv`` [cases].
    published_rate : Decimal or None
        A rate as published (e.g. UKHSA's rates by ICB), when the cases and the denominator
        behind it are not: ``cases`` and ``denominator`` are then None, and so are the size
        flag and the target cases (they need a population).
    """

    org_code: str
    kind: str
    cases: int | None
    denominator: float | None
    per: float
    unit: str
    agreed: int | None = None
    published_rate: Decimal | None = None

    @property
    def rate(self) -> Decimal | None:
        if self.published_rate is not None:
            return self.published_rate
        if self.cases is None or self.denominator is None or not self.denominator > 0:
            return None
        return decimal_rate(self.cases, self.denominator, self.per)

    def per_label(self) -> str:
        return f"per {self.per:,.0f} {self.unit}"


def _row(b: Baseline, **values: object) -> dict[str, object]:
    rate = b.rate
    return {
        "org_code": b.org_code,
        "kind": b.kind,
        "baseline_cases": b.cases,
        "denominator": b.denominator,
        "baseline_rate": None if rate is None else float(rate),
        "agreed_cases": b.agreed,
        **values,
    }


def _baseline_step(b: Baseline, trace: Trace, rulebook: Rulebook, period: str) -> None:
    rate = b.rate
    if b.published_rate is not None:
        trace.add(
            "objective.baseline",
            f"baseline {period}: published rate {_d(b.published_rate)} {b.per_label()} "
            f"(cases and {b.unit} not published)",
            value=float(b.published_rate),
            source=f"published rates, {period}",
            uses=[rulebook["baseline_start_offset_months"], rulebook["baseline_months"]],
        )
        return
    trace.add(
        "objective.baseline",
        f"baseline {period}: {b.cases} cases, {b.unit} {b.denominator:,.0f} → rate {_d(rate)} {b.per_label()}"
        if rate is not None
        else f"baseline {period}: {b.cases} cases; no {b.unit} figure, so no rate",
        inputs={"cases": b.cases, b.unit: b.denominator},
        value=None if rate is None else float(rate),
        source=f"infections and denominators, {period}",
        uses=[rulebook["baseline_start_offset_months"], rulebook["baseline_months"]],
    )


def _small(b: Baseline, trace: Trace, rulebook: Rulebook) -> bool | None:
    limit = rulebook["small_organisation_below_cases"]
    if b.cases is None:
        return None  # a published rate without its cases: the size is not known
    small = b.cases < int(limit.value)
    trace.add(
        "objective.small",
        f"{b.cases} baseline cases {'<' if small else '≥'} {limit.value}: "
        + ("a small organisation, where a few cases move the rate a long way" if small else "not small"),
        inputs={"baseline_cases": b.cases},
        value=small,
        uses=[limit],
    )
    return small


def _begin(b: Baseline, rulebook: Rulebook, period: str, traces: dict[str, Trace] | None) -> tuple[Trace, bool | None]:
    """Every method's first steps: the organisation's trace, its baseline and its size flag."""
    trace: Trace = NO_TRACE
    if traces is not None:
        trace = traces.setdefault(b.org_code, Trace.start(b.org_code, period, rulebook.regime, rulebook))
    _baseline_step(b, trace, rulebook, period)
    return trace, _small(b, trace, rulebook)


def _target_cases(b: Baseline, target_rate: Decimal, trace: Trace, rulebook: Rulebook) -> int | None:
    if b.denominator is None:
        trace.add("objective.cases", f"target cases need the {b.unit}, which is not published: none set", value=None)
        return None
    exact = target_rate * Decimal(str(b.denominator)) / Decimal(str(b.per))
    cases = _rounder(rulebook)(exact)
    trace.add(
        "objective.cases",
        f"target cases = {_d(target_rate, 4)} × {b.denominator:,.0f} ÷ {b.per:,.0f} = {_d(exact, 3)} → {cases} "
        "(rounded half up)",
        inputs={"target_rate": float(target_rate), b.unit: b.denominator},
        value=cases,
        uses=[rulebook["target_cases_rounding"], rulebook["target_denominator"]],
    )
    return cases


def _locally_set(b: Baseline, default_cases: int, trace: Trace) -> tuple[int, str]:
    """A best-quartile target is set locally: an agreed value replaces the default."""
    if b.agreed is None:
        return default_cases, f" = {default_cases} cases by default, to be set locally"
    trace.add(
        "objective.local",
        f"set locally: the agreed objective of {b.agreed} cases replaces the default {default_cases}",
        inputs={"agreed_cases": b.agreed},
        value=b.agreed,
        source="objectives.csv",
    )
    return b.agreed, f"; {b.agreed} cases agreed locally (default {default_cases})"


def _median_quartile_group(
    rate: Decimal,
    cases: int | None,
    median: Decimal,
    quartile: Decimal,
    worse_cut: RuleValue,
    better_cut: RuleValue,
    exemption: RuleValue | None,
    per_label: str,
    median_text: str,
    quartile_text: str,
) -> tuple[str, Decimal, str]:
    """One organisation's group, target rate and reason under the median-quartile rule
    (RULES.md §1), traced or not: exempt below ``exemption`` baseline cases (keep the rate);
    above the median, the median or ``worse_cut`` less, whichever is greater; above the best
    quartile, the best quartile or ``better_cut`` less, whichever is less; else set locally
    (keep the rate). Rates are per ``per_label``; ``median_text`` and ``quartile_text`` are
    the national figures as shown (``_d``)."""
    if exemption is not None and exemption.value is not None and cases is not None and cases < int(exemption.value):
        return (
            "exempt",
            rate,
            f"{cases} baseline cases < {exemption.value}: exempt from reducing → keep the rate {_d(rate)} {per_label}",
        )
    if rate > median:
        cut = Decimal(str(worse_cut.value))
        reduced = (1 - cut) * rate
        target = min(median, reduced)
        which = "the median" if median <= reduced else f"{cut:.0%} less"
        return (
            "worse_than_median",
            target,
            f"rate {_d(rate)} is above the median {median_text}: reduce to the median or by {cut:.0%}, "
            f"whichever is greater → {which}, {_d(target)} {per_label}",
        )
    if rate > quartile:
        cut = Decimal(str(better_cut.value))
        reduced = (1 - cut) * rate
        target = max(quartile, reduced)
        which = (
            "the best quartile"
            if quartile > reduced
            else (f"{cut:.0%} less" if reduced > quartile else f"{cut:.0%} less, which is the best quartile")
        )
        where = "at" if rate == median else "below"
        return (
            "better_than_median",
            target,
            f"rate {_d(rate)} is {where} the median {median_text} and above the best quartile {quartile_text}: "
            f"reduce to the best quartile or by {cut:.0%}, whichever is less → {which}, {_d(target)} {per_label}",
        )
    where = "at" if rate == quartile else "below"
    return (
        "best_quartile",
        rate,
        f"rate {_d(rate)} is {where} the best-quartile boundary {quartile_text}: set locally, "
        f"aiming to maintain performance → keep {_d(rate)} {per_label}",
    )


def median_quartile_objectives(
    baselines: Sequence[Baseline],
    rulebook: Rulebook,
    *,
    reduction_name: tuple[str, str] = ("worse_than_median_reduction", "better_than_median_reduction"),
    period: str = "",
    traces: dict[str, Trace] | None = None,
) -> pd.DataFrame:
    """Targets by the median / best-quartile / 20% rule, one organisation kind at a time.

    Parameters
    ----------
    baselines : sequence of Baseline
        Organisations of one kind group (trusts, or PCTs and CCGs): compared with each other.
    rulebook : Rulebook
        ``mrsa-objective`` (or ``cdiff-objective`` for ``--method median-quartile``).
    reduction_name : (str, str)
        The rulebook values of the reduction for worse- and better-than-median organisations.
    period : str
        The baseline period, for the text of the trace.
    traces : dict, optional
        Filled with one :class:`Trace` per organisation, keyed by code.

    Returns
    -------
    pandas.DataFrame
        The objective columns (see :data:`OBJECTIVE_COLUMNS`) except the labels the caller adds.

    Notes
    -----
    With baseline rate r, national median M and best-quartile boundary Q (the 25th
    percentile; lower is better):

    - r > M: target = min(M, (1 − 0.2) r), the greater reduction;
    - Q < r ≤ M: target = max(Q, (1 − 0.2) r), the lesser reduction;
    - r ≤ Q: set locally; default target = r (maintain), replaced by an agreed value.

    Under ``mrsa-objective-2009-10`` organisations with fewer than 12 baseline cases are
    exempt (target = baseline). Target cases = target rate × denominator ÷ per, rounded half
    up.

    References
    ----------
    Seed 001 (HSJ, "PCTs could struggle to hit MRSA objective"); RULES.md §1.
    """
    worse_cut = rulebook[reduction_name[0]]
    better_cut = rulebook[reduction_name[1]]
    median_p, quartile_p = rulebook["median_percentile"], rulebook["best_quartile_percentile"]
    method = rulebook["quantile_method"]
    if method.value != "linear":
        raise ValueError(f"{rulebook.id}: unknown quantile_method {method.value!r}; expected linear")
    exemption = rulebook.values.get("exemption_below_cases")
    rates = [b.rate for b in baselines if b.rate is not None]
    median = quantile_inc(rates, median_p.value) if rates else None
    quartile = quantile_inc(rates, quartile_p.value) if rates else None
    rows = []
    for b in baselines:
        trace, small = _begin(b, rulebook, period, traces)
        r = b.rate
        if r is None or median is None or quartile is None:
            rows.append(
                _row(
                    b,
                    group="no_rate",
                    target_rate=None,
                    target_cases=None,
                    small_organisation=small,
                    locally_set=False,
                    reason=f"no {b.unit} figure for the baseline: no rate, no objective",
                )
            )
            continue
        trace.add(
            "objective.national",
            f"national median {_d(median)} and best-quartile boundary {_d(quartile)} of {len(rates)} "
            f"{'trusts' if b.unit == 'bed-days' else 'PCTs and CCGs'}' baseline rates",
            inputs={"organisations": len(rates)},
            value={"median": float(median), "best_quartile": float(quartile)},
            uses=[median_p, quartile_p, method],
        )
        group, target, text = _median_quartile_group(
            r, b.cases, median, quartile, worse_cut, better_cut, exemption, b.per_label(), _d(median), _d(quartile)
        )
        locally = group == "best_quartile"
        uses = {
            "exempt": exemption,
            "worse_than_median": worse_cut,
            "better_than_median": better_cut,
            "best_quartile": rulebook["best_quartile_default"],
        }[group]
        trace.add(
            "objective.group",
            text,
            inputs=None if group == "exempt" else {"rate": float(r)},
            value=group,
            uses=[uses] if uses is not None else [],
        )
        cases = _target_cases(b, target, trace, rulebook)
        if cases is None:
            text += f"; target cases need the {b.unit}, which is not published"
        elif locally:
            cases, local_text = _locally_set(b, cases, trace)
            text += local_text
        else:
            text = f"{text} = {cases} cases"
        trace.result = {"group": group, "target_rate": float(target), "target_cases": cases}
        rows.append(
            _row(
                b,
                group=group,
                target_rate=float(target),
                target_cases=cases,
                small_organisation=small,
                locally_set=locally,
                reason=text,
            )
        )
    return pd.DataFrame(rows)


def uniform_objectives(
    baselines: Sequence[Baseline],
    rulebook: Rulebook,
    reduction: float,
    *,
    period: str = "",
    traces: dict[str, Trace] | None = None,
) -> pd.DataFrame:
    """Every organisation's objective = its baseline cut by the national reduction.

    Parameters
    ----------
    baselines : sequence of Baseline
    rulebook : Rulebook
        A ``cdiff-objective`` rulebook.
    reduction : float
        The national reduction [proportion], e.g. 0.18 (``--reduction``, else the rulebook's).
    period : str
    traces : dict, optional

    Notes
    -----
    objective = baseline cases × (1 − reduction), rounded half up: 77 × 0.82 = 63.14 → 63;
    zero and single-digit objectives stand (seed 000: four trusts had a target of zero).
    An agreed objective in ``objectives.csv`` is shown beside it (``agreed_cases``).
    """
    cut = Decimal(str(reduction))
    rounder = _rounder(rulebook)
    rows = []
    for b in baselines:
        trace, small = _begin(b, rulebook, period, traces)
        if b.cases is None:
            raise ValueError(f"{b.org_code}: a uniform cut needs baseline cases, not a published rate alone")
        exact = Decimal(b.cases) * (1 - cut)
        cases = rounder(exact)
        text = f"{b.cases} baseline cases less {cut:.0%} = {_d(exact, 2)} → {cases} cases (rounded half up)"
        trace.add(
            "objective.uniform",
            text,
            inputs={"baseline_cases": b.cases, "reduction": reduction},
            value=cases,
            uses=[rulebook["national_reduction"], rulebook["target_cases_rounding"], rulebook["allocation_method"]],
        )
        r = b.rate
        target_rate = None if r is None else float(Decimal(cases) * Decimal(str(b.per)) / Decimal(str(b.denominator)))
        if b.agreed is not None and b.agreed != cases:
            text += f"; agreed locally: {b.agreed}"
        trace.result = {"group": "uniform", "target_cases": cases}
        rows.append(
            _row(
                b,
                group="uniform",
                target_rate=target_rate,
                target_cases=cases,
                small_organisation=small,
                locally_set=False,
                reason=text,
            )
        )
    return pd.DataFrame(rows)


def zero_tolerance_objectives(
    baselines: Sequence[Baseline],
    rulebook: Rulebook,
    *,
    period: str = "",
    traces: dict[str, Trace] | None = None,
) -> pd.DataFrame:
    """Zero tolerance (from 2013-14): every organisation's MRSA objective is zero.

    Every case then needs a post-infection review assigning it to the trust, the CCG or a
    third party (RULES.md §1.6).
    """
    objective = rulebook["objective_cases"]
    rows = []
    for b in baselines:
        trace, small = _begin(b, rulebook, period, traces)
        text = f"zero tolerance: objective {objective.value} cases; every case has a post-infection review"
        trace.add(
            "objective.zero_tolerance",
            text,
            value=objective.value,
            uses=[objective, rulebook["post_infection_review_required"]],
        )
        trace.result = {"group": "zero_tolerance", "target_cases": int(objective.value)}
        rows.append(
            _row(
                b,
                group="zero_tolerance",
                target_rate=0.0,
                target_cases=int(objective.value),
                small_organisation=small,
                locally_set=False,
                reason=text,
            )
        )
    return pd.DataFrame(rows)


def national_line(
    objectives: pd.DataFrame, rulebook: Rulebook, reduction: float | None, all_cases: int | None = None
) -> dict[str, object]:
    """Baseline total, objectives total and the reduction they achieve, like with like.

    Parameters
    ----------
    objectives : pandas.DataFrame
        Rows of one organisation kind group (trusts; PCTs would count the same cases twice).
    rulebook : Rulebook
        An objective rulebook: its published national figures, if it has them
        (``national_baseline_cases`` and ``national_ambition_cases``: all cases reported in
        England; ``previous_national_reduction``: a national target before this one).
    reduction : float or None
        The national reduction asked for [proportion] (None: no national figure is asked).
    all_cases : int, optional
        Every case of the baseline reported by trusts (trust- and non-trust-apportioned) [cases]:
        what the published national figures count.

    Returns
    -------
    dict
        Trust-apportioned: ``baseline_total, objectives_total, reduction_achieved`` against
        ``reduction_asked`` (``meets_ambition``). All cases: ``all_cases_baseline`` beside the
        published ``national_baseline_cases`` and ``national_ambition_cases`` and the
        reduction those imply (``published_reduction``), where the rulebook has them.
    """
    rated = objectives[objectives["target_cases"].notna()]
    baseline = int(rated["baseline_cases"].sum())
    total = int(rated["target_cases"].sum())
    achieved = None if baseline == 0 else float(1 - Decimal(total) / Decimal(baseline))
    line: dict[str, object] = {
        "baseline_total": baseline,
        "objectives_total": total,
        "reduction_achieved": achieved,
        "reduction_asked": reduction,
        "meets_ambition": None if reduction is None else achieved is not None and achieved >= reduction - 1e-12,
    }
    if all_cases is not None:
        line["all_cases_baseline"] = all_cases
    for name in ("national_baseline_cases", "national_ambition_cases", "previous_national_reduction"):
        if name in rulebook.values and rulebook.value(name) is not None:
            line[name] = rulebook.value(name)
    if "national_baseline_cases" in line and "national_ambition_cases" in line:
        published = Decimal(str(line["national_ambition_cases"])) / Decimal(str(line["national_baseline_cases"]))
        line["published_reduction"] = float(1 - published)
    return line


def savings(objectives: pd.DataFrame, rulebook: Rulebook, trace: Trace = NO_TRACE) -> dict[str, object]:
    """Cases avoided if every organisation met its objective, and what they would save.

    Parameters
    ----------
    objectives : pandas.DataFrame
        Objective rows of one kind group (trusts: the PCT rows count the same cases again).
    rulebook : Rulebook
        With ``cost_per_case`` [GBP], ``savings_horizon_years`` [years] and
        ``discount_rate`` [per year]; ``claimed_net_saving`` [GBP] when the source claimed one.
    trace : Trace, optional

    Returns
    -------
    dict
        ``cases_avoided_per_year, cost_per_case, horizon_years, discount_rate,
        saving_per_year, saving_over_horizon`` (GBP, discounted) and ``claimed_net_saving``.

    Notes
    -----
    cases avoided = Σ max(baseline cases − objective, 0); the saving over the horizon is
    Σ_{t=0}^{h−1} avoided × cost ÷ (1 + d)^t, assuming the reduction is held every year.
    The seed's £160m net over 10 years (seed 001) also counted avoided deaths, so it is an
    order-of-magnitude check, not a like-for-like one.
    """
    rated = objectives[objectives["target_cases"].notna()]
    avoided = int((rated["baseline_cases"] - rated["target_cases"]).clip(lower=0).sum())
    cost, horizon, rate = rulebook["cost_per_case"], rulebook["savings_horizon_years"], rulebook["discount_rate"]
    per_year = Decimal(avoided) * Decimal(str(cost.value))
    factor = sum(1 / (1 + Decimal(str(rate.value))) ** t for t in range(int(horizon.value)))
    total = per_year * factor
    trace.add(
        "objective.savings",
        f"{avoided} cases avoided a year × £{cost.value:,} = £{per_year:,.0f} a year; over {horizon.value} years "
        f"discounted at {Decimal(str(rate.value)):.1%}: £{total:,.0f}",
        inputs={"organisations": len(rated), "cases_avoided_per_year": avoided},
        value=float(total),
        uses=[cost, horizon, rate],
    )
    out: dict[str, object] = {
        "cases_avoided_per_year": avoided,
        "cost_per_case": float(cost.value),
        "horizon_years": int(horizon.value),
        "discount_rate": float(rate.value),
        "saving_per_year": float(per_year),
        "saving_over_horizon": float(total),
    }
    claimed = rulebook.values.get("claimed_net_saving")
    if claimed is not None and claimed.value is not None:
        out["claimed_net_saving"] = float(claimed.value)
    return out


# --------------------------------------------------------------------------- untraced
# The same rules over a frame of baselines, for runs that keep no trace: one pass, each
# decimal computed once. The numbers, groups and reasons are those of the traced functions
# above (tests/perf check it); ``assumed`` is what the trace's ``assumed_label`` would be.


def _assumed(*values: RuleValue | None) -> str:
    """The names of the assumed or what-if values among those a path uses, in order, once."""
    return ";".join(dict.fromkeys(v.name for v in values if v is not None and v.status in ("assumed", "what-if")))


def _baseline_columns(frame: pd.DataFrame) -> tuple[list[Any], ...]:
    """``org_code, kind, cases, denominator (None when missing), per, unit, agreed`` as lists."""
    den = frame["denominator"].astype("float64")
    denominators = [None if d != d else d for d in den.tolist()]  # NaN → None
    agreed = [None if a is None or a != a else int(a) for a in frame["agreed"].tolist()]
    return (
        frame["org_code"].tolist(),
        frame["kind"].tolist(),
        [int(c) for c in frame["cases"].tolist()],
        denominators,
        [float(p) for p in frame["per"].tolist()],
        frame["unit"].tolist(),
        agreed,
    )


def _table(columns: dict[str, list[Any]]) -> pd.DataFrame:
    return pd.DataFrame(columns) if columns["org_code"] else pd.DataFrame()


def _rates(cases: list[int], denominators: list[Any], pers: list[float]) -> list[Decimal | None]:
    per_text: dict[float, Decimal] = {}
    out: list[Decimal | None] = []
    for c, d, p in zip(cases, denominators, pers):
        if d is None or not d > 0:
            out.append(None)
            continue
        per = per_text.get(p)
        if per is None:
            per = per_text[p] = Decimal(str(p))
        out.append(Decimal(c) * per / Decimal(str(d)))
    return out


def median_quartile_table(
    frame: pd.DataFrame,
    rulebook: Rulebook,
    *,
    reduction_name: tuple[str, str] = ("worse_than_median_reduction", "better_than_median_reduction"),
    period: str = "",
) -> pd.DataFrame:
    """:func:`median_quartile_objectives` without traces, over a frame.

    Parameters
    ----------
    frame : pandas.DataFrame
        ``org_code, kind, cases, denominator, per, unit, agreed`` (one kind group):
        what :class:`Baseline` holds, a column each.

    Returns
    -------
    pandas.DataFrame
        The columns of :func:`median_quartile_objectives`, and ``assumed``.
    """
    worse_cut, better_cut = rulebook[reduction_name[0]], rulebook[reduction_name[1]]
    median_p, quartile_p = rulebook["median_percentile"], rulebook["best_quartile_percentile"]
    method = rulebook["quantile_method"]
    if method.value != "linear":
        raise ValueError(f"{rulebook.id}: unknown quantile_method {method.value!r}; expected linear")
    exemption = rulebook.values.get("exemption_below_cases")
    rounder = _rounder(rulebook)
    small_limit = rulebook["small_organisation_below_cases"]
    small_below = int(small_limit.value)
    begin = (rulebook["baseline_start_offset_months"], rulebook["baseline_months"], small_limit)
    national = (median_p, quartile_p, method)
    target = (rulebook["target_cases_rounding"], rulebook["target_denominator"])
    labels = {
        "no_rate": _assumed(*begin),
        "exempt": _assumed(*begin, *national, exemption, *target),
        "worse_than_median": _assumed(*begin, *national, worse_cut, *target),
        "better_than_median": _assumed(*begin, *national, better_cut, *target),
        "best_quartile": _assumed(*begin, *national, rulebook["best_quartile_default"], *target),
    }
    codes, kinds, cases, dens, pers, units, agreed = _baseline_columns(frame)
    rates = _rates(cases, dens, pers)
    present = [r for r in rates if r is not None]
    median = quantile_inc(present, median_p.value) if present else None
    quartile = quantile_inc(present, quartile_p.value) if present else None
    median_text = "" if median is None else _d(median)
    quartile_text = "" if quartile is None else _d(quartile)
    out: dict[str, list[Any]] = {
        k: []
        for k in (
            "org_code", "kind", "baseline_cases", "denominator", "baseline_rate", "agreed_cases", "group",
            "target_rate", "target_cases", "small_organisation", "locally_set", "reason", "assumed",
        )
    }  # fmt: skip
    for code, kind, c, d, p, unit, a, r in zip(codes, kinds, cases, dens, pers, units, agreed, rates):
        small = c < small_below
        out["org_code"].append(code)
        out["kind"].append(kind)
        out["baseline_cases"].append(c)
        out["denominator"].append(d)
        out["baseline_rate"].append(None if r is None else float(r))
        out["agreed_cases"].append(a)
        out["small_organisation"].append(small)
        if r is None or median is None or quartile is None:
            out["group"].append("no_rate")
            out["target_rate"].append(None)
            out["target_cases"].append(None)
            out["locally_set"].append(False)
            out["reason"].append(f"no {unit} figure for the baseline: no rate, no objective")
            out["assumed"].append(labels["no_rate"])
            continue
        group, goal, text = _median_quartile_group(
            r, c, median, quartile, worse_cut, better_cut, exemption, f"per {p:,.0f} {unit}", median_text, quartile_text
        )
        locally = group == "best_quartile"
        n = rounder(goal * Decimal(str(d)) / Decimal(str(p)))
        if locally:
            if a is None:
                text += f" = {n} cases by default, to be set locally"
            else:
                text += f"; {a} cases agreed locally (default {n})"
                n = a
        else:
            text = f"{text} = {n} cases"
        out["group"].append(group)
        out["target_rate"].append(float(goal))
        out["target_cases"].append(n)
        out["locally_set"].append(locally)
        out["reason"].append(text)
        out["assumed"].append(labels[group])
    return _table(out)


def uniform_table(frame: pd.DataFrame, rulebook: Rulebook, reduction: float, *, period: str = "") -> pd.DataFrame:
    """:func:`uniform_objectives` without traces, over a frame (see :func:`median_quartile_table`)."""
    cut = Decimal(str(reduction))
    keep = 1 - cut
    cut_pct = f"{cut:.0%}"
    rounder = _rounder(rulebook)
    small_limit = rulebook["small_organisation_below_cases"]
    small_below = int(small_limit.value)
    label = _assumed(
        rulebook["baseline_start_offset_months"],
        rulebook["baseline_months"],
        small_limit,
        rulebook["national_reduction"],
        rulebook["target_cases_rounding"],
        rulebook["allocation_method"],
    )
    codes, kinds, cases, dens, pers, units, agreed = _baseline_columns(frame)
    rates = _rates(cases, dens, pers)
    out: dict[str, list[Any]] = {
        k: []
        for k in (
            "org_code", "kind", "baseline_cases", "denominator", "baseline_rate", "agreed_cases", "group",
            "target_rate", "target_cases", "small_organisation", "locally_set", "reason", "assumed",
        )
    }  # fmt: skip
    for code, kind, c, d, p, a, r in zip(codes, kinds, cases, dens, pers, agreed, rates):
        exact = Decimal(c) * keep
        n = rounder(exact)
        text = f"{c} baseline cases less {cut_pct} = {_d(exact, 2)} → {n} cases (rounded half up)"
        if a is not None and a != n:
            text += f"; agreed locally: {a}"
        out["org_code"].append(code)
        out["kind"].append(kind)
        out["baseline_cases"].append(c)
        out["denominator"].append(d)
        out["baseline_rate"].append(None if r is None else float(r))
        out["agreed_cases"].append(a)
        out["group"].append("uniform")
        out["target_rate"].append(None if r is None else float(Decimal(n) * Decimal(str(p)) / Decimal(str(d))))
        out["target_cases"].append(n)
        out["small_organisation"].append(c < small_below)
        out["locally_set"].append(False)
        out["reason"].append(text)
        out["assumed"].append(label)
    return _table(out)


def zero_tolerance_table(frame: pd.DataFrame, rulebook: Rulebook, *, period: str = "") -> pd.DataFrame:
    """:func:`zero_tolerance_objectives` without traces, over a frame (see :func:`median_quartile_table`)."""
    objective = rulebook["objective_cases"]
    small_limit = rulebook["small_organisation_below_cases"]
    small_below = int(small_limit.value)
    label = _assumed(
        rulebook["baseline_start_offset_months"],
        rulebook["baseline_months"],
        small_limit,
        objective,
        rulebook["post_infection_review_required"],
    )
    text = f"zero tolerance: objective {objective.value} cases; every case has a post-infection review"
    codes, kinds, cases, dens, pers, units, agreed = _baseline_columns(frame)
    rates = _rates(cases, dens, pers)
    n = len(codes)
    return _table(
        {
            "org_code": codes,
            "kind": kinds,
            "baseline_cases": cases,
            "denominator": dens,
            "baseline_rate": [None if r is None else float(r) for r in rates],
            "agreed_cases": agreed,
            "group": ["zero_tolerance"] * n,
            "target_rate": [0.0] * n,
            "target_cases": [int(objective.value)] * n,
            "small_organisation": [c < small_below for c in cases],
            "locally_set": [False] * n,
            "reason": [text] * n,
            "assumed": [label] * n,
        }
    )
