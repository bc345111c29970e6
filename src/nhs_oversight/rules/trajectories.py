"""Trajectories and monitoring: the annual objective applied to each quarter (RULES.md §2).

"Monitor … assessing organisations' C difficile performance against a quarterly target"
(seed 000). The annual objective becomes a year-to-date trajectory: by default equal
quarters (25/50/75/100%), or a trajectory agreed with the trust (Dudley, 2011-12: annual
77, trajectory 36 by the end of Q2). Monitoring compares year-to-date cases with it.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any, Protocol, cast

import pandas as pd

from ..explain import NO_TRACE, Trace
from ..periods import Quarter
from ..rulebooks import Rulebook, RuleValue
from .objectives import round_half_up

__all__ = [
    "MONITOR_COLUMNS",
    "year_to_date_trajectory",
    "agreed_trajectory",
    "row_trajectory",
    "contract_penalty",
    "monitor",
    "monitor_table",
]

MONITOR_COLUMNS = [
    "org_code",
    "kind",
    "organism",
    "quarter",
    "ytd_cases",
    "trajectory",
    "objective",
    "objective_source",
    "status",
    "cases_to_objective",
    "penalty",
    "reason",
    "rulebook",
    "assumed",
]


class _ObjectiveRow(Protocol):
    """A row of the objectives frame as :meth:`pandas.DataFrame.itertuples` yields it
    (``objectives.csv``; ``q1..q4`` are read with :func:`agreed_trajectory`)."""

    org_code: str
    kind: str
    organism: str
    objective: float
    objective_source: str


class _MonitoredRow(_ObjectiveRow, Protocol):
    """An objectives row with its year-to-date ``cases``, as :func:`monitor` merges them."""

    cases: int


def year_to_date_trajectory(
    objective: int,
    quarter: int,
    shares: RuleValue,
    rounding: RuleValue,
    agreed: tuple[int, ...] | None = None,
) -> Decimal:
    """The year-to-date trajectory at the end of a quarter.

    Parameters
    ----------
    objective : int
        The annual objective [cases].
    quarter : int
        1 to 4.
    shares : RuleValue
        ``trajectory_shares``: cumulative share of the objective by the end of each quarter.
    rounding : RuleValue
        ``trajectory_rounding``: ``none`` (exact) or ``half_up``.
    agreed : tuple of 4 ints, optional
        An agreed cumulative trajectory (``objectives.csv`` q1..q4), which replaces the default.

    Returns
    -------
    Decimal
        [cases, cumulative from 1 April]

    Examples
    --------
    An annual objective of 77 in equal quarters is 19.25 by the end of Q1 and 38.5 by Q2; the
    agreed Dudley trajectory was 36 by Q2.
    """
    if agreed is not None:
        return Decimal(agreed[quarter - 1])
    exact = Decimal(objective) * Decimal(str(shares.value[quarter - 1]))
    if rounding.value == "none":
        return exact
    if rounding.value == "half_up":
        return Decimal(round_half_up(exact))
    raise ValueError(f"{rounding.rulebook}: unknown trajectory_rounding {rounding.value!r}")


def agreed_trajectory(row: object) -> tuple[int, ...] | None:
    """The agreed cumulative trajectory (q1..q4) of an objectives row, or None if not given."""
    values = tuple(getattr(row, q) for q in ("q1", "q2", "q3", "q4"))
    return None if any(pd.isna(v) for v in values) else tuple(int(v) for v in values)


def row_trajectory(row: object, quarter: int, rulebook: Rulebook) -> tuple[Decimal, tuple[int, ...] | None]:
    """The year-to-date trajectory of an objectives row (``objective, q1..q4``) at a quarter,
    with the agreed trajectory it used (None: the rulebook's shares)."""
    agreed = agreed_trajectory(row)
    shares, rounding = rulebook["trajectory_shares"], rulebook["trajectory_rounding"]
    objective = int(cast(_ObjectiveRow, row).objective)
    return year_to_date_trajectory(objective, quarter, shares, rounding, agreed), agreed


def contract_penalty(ytd_cases: int, objective: int, rulebook: Rulebook) -> float | None:
    """Cases above the annual objective × the rulebook's ``penalty_per_case`` [GBP]; None
    where the rulebook sets no penalty (RULES.md §2: contract penalties, amount local)."""
    value = rulebook.values.get("penalty_per_case")
    if value is None or value.value is None:
        return None
    return max(0, ytd_cases - objective) * float(value.value)


def _fmt(x: Decimal) -> str:
    return f"{x:,.2f}".rstrip("0").rstrip(".")


def monitor(
    objectives: pd.DataFrame,
    ytd_cases: pd.DataFrame,
    quarter: Quarter,
    rulebooks: dict[str, Rulebook],
    traces: dict[tuple[str, str], Trace] | None = None,
) -> pd.DataFrame:
    """Year-to-date cases against trajectory and objective, for every organisation.

    Parameters
    ----------
    objectives : pandas.DataFrame
        ``org_code, kind, organism, objective, objective_source, q1, q2, q3, q4`` (q's empty
        unless an agreed trajectory).
    ytd_cases : pandas.DataFrame
        ``org_code, organism, cases``: year-to-date cases to the end of ``quarter``.
    quarter : Quarter
    rulebooks : dict
        The objective rulebook of each organism (for the trajectory and any penalty).
    traces : dict, optional
        Traces keyed by (org_code, organism): the steps are appended to those present.

    Returns
    -------
    pandas.DataFrame
        :data:`MONITOR_COLUMNS`. ``status`` is ``objective_exceeded`` (year-to-date cases
        already above the annual objective), ``above_trajectory``, or ``on_trajectory``
        (at or below it: equal is on trajectory).
    """
    merged = objectives.merge(ytd_cases, on=["org_code", "organism"], how="left")
    merged["cases"] = merged["cases"].fillna(0).astype("int64")
    rows = []
    for r in cast(Iterator[_MonitoredRow], merged.itertuples(index=False)):
        rb = rulebooks[r.organism]
        trajectory, agreed = row_trajectory(r, quarter.number, rb)
        shares, rounding = rb["trajectory_shares"], rb["trajectory_rounding"]
        ytd = int(r.cases)
        if ytd > r.objective:
            status = "objective_exceeded"
        elif ytd > trajectory:
            status = "above_trajectory"
        else:
            status = "on_trajectory"
        how = "agreed trajectory" if agreed else f"{shares.value[quarter.number - 1]:.0%} of the objective"
        reason = (
            f"{ytd} cases to the end of {quarter} against a trajectory of {_fmt(trajectory)} ({how}) "
            f"and an annual objective of {int(r.objective)}: {status.replace('_', ' ')}"
        )
        penalty = contract_penalty(ytd, int(r.objective), rb)
        if penalty is not None:
            reason += f"; penalty £{penalty:,.0f} ({max(0, ytd - int(r.objective))} cases above the objective)"
        trace = (traces or {}).get((r.org_code, r.organism), NO_TRACE)
        trace.add(
            "monitor.trajectory",
            f"year-to-date trajectory to the end of {quarter}: {_fmt(trajectory)} cases ({how})",
            inputs={"objective": int(r.objective), **({"agreed": list(agreed)} if agreed else {})},
            value=float(trajectory),
            source="objectives.csv (q1..q4)" if agreed else None,
            uses=[] if agreed else [shares, rounding],
        )
        trace.add(
            "monitor.status",
            reason,
            inputs={"ytd_cases": ytd, "trajectory": float(trajectory), "objective": int(r.objective)},
            value=status,
            source=f"infections, {quarter.year_to_date_months()[0]} to {quarter.months()[-1]}",
            uses=[rb["penalty_per_case"]] if penalty is not None else [],
        )
        trace.result = {"status": status, "ytd_cases": ytd, "trajectory": float(trajectory)}
        assumed = [] if agreed else [v.name for v in (shares, rounding) if v.status in ("assumed", "what-if")]
        rows.append(
            {
                "org_code": r.org_code,
                "kind": r.kind,
                "organism": r.organism,
                "quarter": str(quarter),
                "ytd_cases": ytd,
                "trajectory": float(trajectory),
                "objective": int(r.objective),
                "objective_source": r.objective_source,
                "status": status,
                "cases_to_objective": int(r.objective) - ytd,
                "penalty": penalty,
                "reason": reason,
                "rulebook": rb.label,
                "assumed": ";".join(assumed),
            }
        )
    return pd.DataFrame(rows, columns=MONITOR_COLUMNS)


def monitor_table(
    objectives: pd.DataFrame,
    ytd_cases: pd.DataFrame,
    quarter: Quarter,
    rulebooks: dict[str, Rulebook],
) -> pd.DataFrame:
    """:func:`monitor` without traces: the same rows, each trajectory computed once per
    objective (tests/perf check that the two agree)."""
    merged = objectives.merge(ytd_cases, on=["org_code", "organism"], how="left")
    merged["cases"] = merged["cases"].fillna(0).astype("int64")
    n = quarter.number
    qs = ("q1", "q2", "q3", "q4")
    given = merged[list(qs)].notna().all(axis=1) if all(q in merged for q in qs) else pd.Series(False, merged.index)
    agreed_at = (
        pd.to_numeric(merged[qs[n - 1]], errors="coerce").where(given) if qs[n - 1] in merged else given * float("nan")
    )
    out: dict[str, list[Any]] = {c: [] for c in MONITOR_COLUMNS}
    memo: dict[tuple[Any, ...], tuple[Any, ...]] = {}
    label = str(quarter)
    for code, kind, organism, objective, obj_source, ytd, has_agreed, agreed in zip(
        merged["org_code"].tolist(),
        merged["kind"].tolist(),
        merged["organism"].tolist(),
        merged["objective"].tolist(),
        merged["objective_source"].tolist(),
        merged["cases"].tolist(),
        given.tolist(),
        agreed_at.tolist(),
    ):
        objective = int(objective)
        agreed_n = int(agreed) if has_agreed else None
        key = (organism, objective, agreed_n)
        found = memo.get(key)
        if found is None:
            rb = rulebooks[organism]
            shares, rounding = rb["trajectory_shares"], rb["trajectory_rounding"]
            trajectory = year_to_date_trajectory(
                objective, n, shares, rounding, None if agreed_n is None else (0,) * (n - 1) + (agreed_n,)
            )
            how = "agreed trajectory" if has_agreed else f"{shares.value[n - 1]:.0%} of the objective"
            assumed = [] if has_agreed else [v.name for v in (shares, rounding) if v.status in ("assumed", "what-if")]
            found = memo[key] = (trajectory, _fmt(trajectory), how, ";".join(assumed), rb)
        trajectory, shown, how, assumed_label, rb = found
        ytd = int(ytd)
        if ytd > objective:
            status = "objective_exceeded"
        elif ytd > trajectory:
            status = "above_trajectory"
        else:
            status = "on_trajectory"
        reason = (
            f"{ytd} cases to the end of {label} against a trajectory of {shown} ({how}) "
            f"and an annual objective of {objective}: {status.replace('_', ' ')}"
        )
        penalty = contract_penalty(ytd, objective, rb)
        if penalty is not None:
            reason += f"; penalty £{penalty:,.0f} ({max(0, ytd - objective)} cases above the objective)"
        out["org_code"].append(code)
        out["kind"].append(kind)
        out["organism"].append(organism)
        out["quarter"].append(label)
        out["ytd_cases"].append(ytd)
        out["trajectory"].append(float(trajectory))
        out["objective"].append(objective)
        out["objective_source"].append(obj_source)
        out["status"].append(status)
        out["cases_to_objective"].append(objective - ytd)
        out["penalty"].append(penalty)
        out["reason"].append(reason)
        out["rulebook"].append(rb.label)
        out["assumed"].append(assumed_label)
    return pd.DataFrame(out, columns=MONITOR_COLUMNS)
