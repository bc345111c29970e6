"""Chance, not performance (RULES.md §6): how likely a breach or a downgrade is when an
organisation's true rate is exactly on target.

For every rated organisation and organism: the expected cases if the true rate were exactly
on target (the annual objective, or with a quarter the year-to-date trajectory), the chance
of more cases than that (``p_breach``), and the chance of a breach that the governance
rulebook scores, de minimis (or any size-scaled limit) included (``p_downgrade``). Exact
Poisson probabilities, vectorised over organisations.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from ..errors import NotFound
from ..periods import FinancialYear, Quarter
from ..regimes import GOVERNANCE
from ..rulebooks import Rulebook, RulebookError, RulebookLibrary
from ..rules.governance import INFECTION_TARGETS, safe_counts
from ..rules.trajectories import row_trajectory
from ..stats.chance import DEFAULT_SIZE_EDGES, p_exceed, size_bands
from .common import AssessmentError
from .objectives import KIND_GROUPS, objectives_in_force
from .rulebooks import choose_rulebook

__all__ = ["CHANCE_COLUMNS", "chance_for", "chance_table", "compare_rulebooks"]

CHANCE_COLUMNS = [
    "org_code",
    "organism",
    "period",
    "expected_cases",
    "objective",
    "p_breach",
    "p_downgrade",
    "kind",
    "safe_cases",
    "size_band",
    "rulebook",
    "reason",
]


def _targets(
    engine: Engine, library: RulebookLibrary, year: FinancialYear, quarter: Quarter | None, kinds: Sequence[str]
) -> pd.DataFrame:
    """``org_code, kind, organism, objective`` (annual objective or year-to-date trajectory)."""
    frames = []
    for organism in INFECTION_TARGETS:
        try:
            objectives, rb = objectives_in_force(engine, library, organism, year)
        except (RulebookError, NotFound):
            continue
        objectives = objectives[objectives["kind"].isin(kinds)]
        if quarter is None:
            target = objectives["objective"].astype(float)
        else:
            memo: dict[tuple, float] = {}  # a trajectory depends on the objective and any agreed one only
            values = []
            for r in objectives.itertuples(index=False):
                key = (
                    r.objective,
                    *(None if pd.isna(getattr(r, q)) else int(getattr(r, q)) for q in ("q1", "q2", "q3", "q4")),
                )
                if key not in memo:
                    memo[key] = float(row_trajectory(r, quarter.number, rb)[0])
                values.append(memo[key])
            target = pd.Series(values, index=objectives.index, dtype=float)
        frames.append(objectives[["org_code", "kind", "organism"]].assign(objective=target))
    if not frames:
        raise AssessmentError(f"no infection objectives in force in {year}")
    return pd.concat(frames, ignore_index=True)


def chance_table(targets: pd.DataFrame, rulebook: Rulebook, period: str, *, rated: bool = True) -> pd.DataFrame:
    """The chance columns for organisations exactly on target (pure: frames in, frame out).

    Parameters
    ----------
    targets : pandas.DataFrame
        ``org_code, kind, organism, objective`` [cases]: the annual objective or the
        year-to-date trajectory.
    rulebook : Rulebook
        A ``monitor-compliance`` rulebook (de minimis, Poisson limit).
    period : str
    rated : bool
        Whether the organisations are rated by the governance rulebook (trusts). PCTs and CCGs
        are held to their objectives but not rated: their ``p_downgrade`` and ``safe_cases``
        are empty.

    Returns
    -------
    pandas.DataFrame
        :data:`CHANCE_COLUMNS`.

    Notes
    -----
    expected = objective (true rate exactly on target); p_breach = P(X > objective);
    p_downgrade = P(X > safe), where ``safe`` is the most cases that do not fail under the
    rulebook: max(⌊objective⌋, de minimis − 1, Poisson limit), X ~ Poisson(expected).
    """
    parts = []
    for organism, group in targets.groupby("organism", sort=False):
        mu = group["objective"].to_numpy(dtype=float)
        if rated:
            safe, _ = safe_counts(str(organism), mu, rulebook)
            safe_cases, p_down = safe["cases"], p_exceed(mu, safe["cases"])
        else:
            safe_cases, p_down = np.full(len(mu), np.nan), np.full(len(mu), np.nan)
        parts.append(
            group.assign(expected_cases=mu, p_breach=p_exceed(mu, mu), p_downgrade=p_down, safe_cases=safe_cases)
        )
    out = pd.concat(parts, ignore_index=True)
    out["period"] = period
    out["size_band"] = size_bands(out["expected_cases"]).astype(str)
    out["rulebook"] = rulebook.label
    if rated:
        out["reason"] = [
            f"on target, {e:g} cases expected: P(more than {e:g}) = {pb:.3f}; "
            f"P(more than {s:g}, which fails under {rulebook.id}) = {pd_:.3f}"
            for e, s, pb, pd_ in zip(out["expected_cases"], out["safe_cases"], out["p_breach"], out["p_downgrade"])
        ]
    else:
        out["reason"] = [
            f"on target, {e:g} cases expected: P(more than {e:g}, missing the objective by chance alone) = {pb:.3f};"
            " commissioners are held to the objective but not rated by Monitor"
            for e, pb in zip(out["expected_cases"], out["p_breach"])
        ]
    return out[CHANCE_COLUMNS].sort_values(["organism", "org_code"], ignore_index=True)


def chance_for(
    engine: Engine,
    library: RulebookLibrary,
    year: FinancialYear,
    *,
    quarter: Quarter | None = None,
    rulebook: str | None = None,
    what_if: dict[str, object] | None = None,
    kind: str = "trust",
) -> tuple[pd.DataFrame, Rulebook]:
    """``oversight chance``: every rated organisation's chance of a breach and a downgrade, or
    with ``kind="pct"`` every PCT's and CCG's chance of missing its objective by chance alone.

    Without ``quarter`` the year's end (Q4, where the trajectory is the objective) is used to
    choose the governance rulebook.
    """
    q = quarter or Quarter(year, 4)
    rb = choose_rulebook(library, GOVERNANCE, q, rulebook, what_if)
    if kind == "pct":
        targets = _targets(engine, library, year, quarter, KIND_GROUPS["pct"])
        return chance_table(targets, rb, str(quarter or year), rated=False), rb
    targets = _targets(engine, library, year, quarter, rb.value("rated_kinds"))
    return chance_table(targets, rb, str(quarter or year)), rb


def compare_rulebooks(a: pd.DataFrame, b: pd.DataFrame, edges: Sequence[float] = DEFAULT_SIZE_EDGES) -> pd.DataFrame:
    """Chance-downgrade rates by organisation size band under two rulebooks.

    Parameters
    ----------
    a, b : pandas.DataFrame
        :func:`chance_table` outputs for the same organisations.
    edges : sequence of float
        Size band edges [expected cases].

    Returns
    -------
    pandas.DataFrame
        ``organism, size_band, organisations, mean_expected, p_downgrade_a, p_downgrade_b,
        difference, expected_downgrades_a, expected_downgrades_b``: the mean chance of a
        downgrade by chance alone and the number of chance downgrades to expect in the band.
    """
    merged = a.merge(b[["org_code", "organism", "p_downgrade"]], on=["org_code", "organism"], suffixes=("_a", "_b"))
    merged["size_band"] = size_bands(merged["expected_cases"], edges)
    grouped = merged.groupby(["organism", "size_band"], observed=True)
    out = grouped.agg(
        organisations=("org_code", "size"),
        mean_expected=("expected_cases", "mean"),
        p_downgrade_a=("p_downgrade_a", "mean"),
        p_downgrade_b=("p_downgrade_b", "mean"),
        expected_downgrades_a=("p_downgrade_a", "sum"),
        expected_downgrades_b=("p_downgrade_b", "sum"),
    ).reset_index()
    out["difference"] = out["p_downgrade_b"] - out["p_downgrade_a"]
    out["size_band"] = out["size_band"].astype(str)
    cols = [
        "organism",
        "size_band",
        "organisations",
        "mean_expected",
        "p_downgrade_a",
        "p_downgrade_b",
        "difference",
        "expected_downgrades_a",
        "expected_downgrades_b",
    ]
    return out[cols]
