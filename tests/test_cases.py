"""Worked examples as data: every case of ``tests/cases/*.yaml`` run through the real rules.

Each file holds the cases of one regime (``regime:`` at its top); each case names its
``source``, the ``rulebook`` it runs under (with optional ``set`` what-if values), what is
``given`` and what to ``expect``. An adapter per regime (``ADAPTERS``) turns ``given`` into
the rule function's arguments and its result into plain values, and only the outputs the
case lists in ``expect`` are compared: a :class:`~decimal.Decimal` result exactly, a float
within the case's ``tolerance`` (default 1e-9, relative above 1 and absolute below), every
other value by equality. The format is described for analysts in ``tests/cases/README.md``.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

from nhs_oversight.periods import Quarter
from nhs_oversight.rulebooks import Rulebook, RulebookLibrary, apply_what_if

CASES_DIR = Path(__file__).parent / "cases"
DEFAULT_TOLERANCE = 1e-9
CASE_KEYS = {"name", "source", "rulebook", "given", "expect", "tolerance", "note"}
REQUIRED_KEYS = ("name", "source", "given", "expect")
FILE_KEYS = {"regime", "description", "cases", "shared"}


class CaseError(ValueError):
    """A case file or case that cannot be run as written."""


# ------------------------------------------------------------------------------ values
def plain(value: Any) -> Any:
    """numpy / pandas scalars and containers as plain Python values (NaN and NA → None)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return None if math.isnan(value) else float(value)
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, np.ndarray) and value.ndim == 0:
        return plain(value.item())
    if isinstance(value, (list, tuple, np.ndarray)):
        return [plain(v) for v in value]
    return value


def compare(expected: Any, actual: Any, tolerance: float, where: str = "") -> list[str]:
    """Mismatches between an expectation and a result, as ``where: expected …, got …``."""
    here = where or "(result)"

    def bad() -> list[str]:
        return [f"{here}: expected {expected!r}, got {actual!r}"]

    if isinstance(expected, Mapping):
        if not isinstance(actual, Mapping) or (not expected and actual):
            return bad()  # an empty mapping expects nothing there: `overrides: {}` means none
        problems = []
        for key, want in expected.items():
            path = f"{where}.{key}" if where else str(key)
            if str(key) not in actual:
                known = ", ".join(sorted(map(str, actual))) or "none"
                problems.append(f"{path}: no such output (outputs here: {known})")
            else:
                problems += compare(want, actual[str(key)], tolerance, path)
        return problems
    if isinstance(expected, list):
        if not isinstance(actual, (list, tuple)) or len(actual) != len(expected):
            return bad()
        return [p for i, (w, a) in enumerate(zip(expected, actual)) for p in compare(w, a, tolerance, f"{here}[{i}]")]
    if expected is None or isinstance(expected, bool) or isinstance(actual, bool):
        return [] if type(expected) is type(actual) and expected == actual else bad()
    if isinstance(actual, Decimal):
        try:
            return [] if Decimal(str(expected)) == actual else bad()
        except ArithmeticError:
            return bad()
    if isinstance(actual, float) and isinstance(expected, (int, float)):
        return [] if abs(actual - expected) <= tolerance * max(1.0, abs(expected)) else bad()
    if isinstance(actual, dt.date) and isinstance(expected, str):
        return [] if actual.isoformat() == expected else bad()
    return [] if type(expected) in (type(actual), int, float) and expected == actual else bad()


# ------------------------------------------------------------------------------ helpers
def need(given: Mapping[str, Any], key: str, what: str) -> Any:
    if key not in given:
        raise CaseError(f"given.{key} is missing: {what}")
    return given[key]


def check_keys(given: Mapping[str, Any], allowed: set[str]) -> None:
    unknown = sorted(set(given) - allowed)
    if unknown:
        raise CaseError(
            f"given has unknown key(s) {', '.join(unknown)}; this regime reads: {', '.join(sorted(allowed))}"
        )


def frame_rows(frame: pd.DataFrame, columns: list[str]) -> dict[str, dict[str, Any]]:
    return {str(r["org_code"]): {c: plain(r[c]) for c in columns if c in r} for r in frame.to_dict("records")}


# ------------------------------------------------------------------------------ adapters
OBJECTIVE_OUTPUTS = [
    "baseline_cases",
    "baseline_rate",
    "group",
    "target_rate",
    "target_cases",
    "small_organisation",
    "locally_set",
    "agreed_cases",
]


def _baselines(given: Mapping[str, Any]) -> list:
    from nhs_oversight.rules.objectives import Baseline

    orgs = need(given, "organisations", "a list of {code, cases, bed_days} (or population for a PCT)")
    out = []
    for i, o in enumerate(orgs):
        if not isinstance(o, Mapping) or "code" not in o or "cases" not in o:
            raise CaseError(f"given.organisations[{i}] needs at least code and cases, got {o!r}")
        unknown = set(o) - {"code", "kind", "cases", "bed_days", "population", "per", "agreed"}
        if unknown:
            raise CaseError(f"given.organisations[{i}] has unknown key(s) {', '.join(sorted(unknown))}")
        pop = "population" in o
        kind = o.get("kind", "pct" if pop else "nhs_trust")
        denominator = o.get("population") if pop else o.get("bed_days", 100_000)
        unit = "population" if pop else "bed-days"
        out.append(
            Baseline(
                str(o["code"]), kind, int(o["cases"]), denominator, float(o.get("per", 100_000)), unit, o.get("agreed")
            )
        )
    return out


def objectives_adapter(given: Mapping[str, Any], rb: Rulebook) -> dict[str, Any]:
    """MRSA and C. difficile objectives: the rulebook's method, one kind group of organisations.

    given: ``organisations`` [{code, cases, bed_days | population, kind, agreed}], and for
    C. difficile optionally ``reduction`` (else the rulebook's ``national_reduction``).
    Outputs: per organisation code its objective row; ``national`` (C. difficile) the
    national line.
    """
    from nhs_oversight.rules.objectives import (
        median_quartile_objectives,
        national_line,
        uniform_objectives,
        zero_tolerance_objectives,
    )

    check_keys(given, {"organisations", "reduction"})
    baselines = _baselines(given)
    out: dict[str, Any] = {}
    if rb.regime == "mrsa-objective":
        if "reduction" in given:
            raise CaseError("given.reduction is for C. difficile; set an MRSA rulebook value with rulebook.set")
        method = rb.value("reduction_method")
        if method == "zero-tolerance":
            frame = zero_tolerance_objectives(baselines, rb)
        elif method == "median-quartile":
            frame = median_quartile_objectives(baselines, rb)
        else:
            raise CaseError(f"{rb.id}: unknown reduction_method {method!r}")
    else:
        reduction = float(given.get("reduction", rb.value("national_reduction")))
        method = rb.value("allocation_method")
        if method == "uniform":
            frame = uniform_objectives(baselines, rb, reduction)
        elif method == "median-quartile":
            reductions = ("median_quartile_reduction", "median_quartile_reduction")
            frame = median_quartile_objectives(baselines, rb, reduction_name=reductions)
        else:
            raise CaseError(f"{rb.id}: unknown allocation_method {method!r}")
        out["national"] = plain(national_line(frame, rb, reduction))
    out.update(frame_rows(frame, OBJECTIVE_OUTPUTS))
    return out


def trajectories_adapter(given: Mapping[str, Any], rb: Rulebook) -> dict[str, Any]:
    """Year-to-date trajectories of an annual objective, and monitoring against them.

    given: ``objective``, optional ``agreed`` [q1, q2, q3, q4], and to monitor a trust
    ``quarter`` (``2012-13-Q2``) with its ``ytd_cases``.
    Outputs: ``trajectory`` [q1..q4]; with a quarter, ``trajectory_at_quarter``, ``status``,
    ``cases_to_objective`` and ``penalty``.
    """
    from nhs_oversight.rules.trajectories import monitor, year_to_date_trajectory

    check_keys(given, {"objective", "agreed", "quarter", "ytd_cases", "organism"})
    objective = int(need(given, "objective", "the annual objective [cases]"))
    agreed = given.get("agreed")
    if agreed is not None and len(agreed) != 4:
        raise CaseError(f"given.agreed needs four cumulative values q1..q4, got {agreed!r}")
    shares, rounding = rb["trajectory_shares"], rb["trajectory_rounding"]
    agreed_t = None if agreed is None else tuple(int(a) for a in agreed)
    out: dict[str, Any] = {
        "trajectory": [year_to_date_trajectory(objective, q, shares, rounding, agreed_t) for q in (1, 2, 3, 4)]
    }
    if "quarter" in given:
        quarter = Quarter.parse(str(given["quarter"]))
        organism = str(given.get("organism", rb.regime.split("-")[0]))
        q = agreed or [pd.NA] * 4
        objectives = pd.DataFrame(
            [
                {
                    "org_code": "X",
                    "kind": "foundation_trust",
                    "organism": organism,
                    "objective": objective,
                    "objective_source": "case",
                    "q1": q[0],
                    "q2": q[1],
                    "q3": q[2],
                    "q4": q[3],
                }
            ]
        )
        ytd = pd.DataFrame([("X", organism, int(given.get("ytd_cases", 0)))], columns=["org_code", "organism", "cases"])
        row = monitor(objectives, ytd, quarter, {organism: rb}).iloc[0]
        out["trajectory_at_quarter"] = out["trajectory"][quarter.number - 1]
        for c in ("status", "cases_to_objective", "penalty"):
            out[c] = plain(row[c])
    return out


def governance_adapter(given: Mapping[str, Any], rb: Rulebook) -> dict[str, Any]:
    """One trust's quarter under a ``monitor-compliance`` rulebook (or just a score's band).

    given: ``score`` alone (its band), or any of ``infections``
    ({cdiff|mrsa: {ytd_cases, trajectory, objective}}), ``failed`` (other targets failed this
    quarter), ``previous_failures`` ({target: [last quarter, the one before, …]}), ``events``.
    Outputs: ``rating``; for a quarter also ``score``, ``failed``, ``infection_failed``,
    ``de_minimis_headroom``, ``escalation``, ``significant_breach``.
    """
    from nhs_oversight.rules.governance import TargetStatus, band, de_minimis_headroom, infection_target, rate_quarter

    if "score" in given:
        check_keys(given, {"score"})
        return {"rating": band(Decimal(str(given["score"])), rb)}
    check_keys(given, {"infections", "failed", "previous_failures", "events"})
    statuses = []
    infection_failed: dict[str, bool] = {}
    headroom: dict[str, int] = {}
    for organism, figures in (given.get("infections") or {}).items():
        if organism not in ("cdiff", "mrsa"):
            raise CaseError(f"given.infections.{organism}: expected cdiff or mrsa")
        trajectory = Decimal(str(need(figures, "trajectory", f"{organism}'s year-to-date trajectory [cases]")))
        ytd = int(need(figures, "ytd_cases", f"{organism}'s year-to-date cases"))
        status = infection_target(organism, ytd, trajectory, int(figures.get("objective", 0)), rb)
        statuses.append(status)
        infection_failed[organism] = status.failed
        headroom[organism] = de_minimis_headroom(trajectory, rb, organism)
    statuses += [TargetStatus(str(t), True, f"{t}: not met") for t in given.get("failed") or []]
    previous = {str(k): [bool(x) for x in v] for k, v in (given.get("previous_failures") or {}).items()}
    r = rate_quarter(statuses, previous, [str(e) for e in given.get("events") or []], rb)
    return {
        "score": r.score,
        "rating": r.rating,
        "failed": list(r.failed),
        "infection_failed": infection_failed,
        "de_minimis_headroom": headroom,
        "escalation": r.escalation,
        "significant_breach": r.significant_breach,
    }


def _events(given: Mapping[str, Any]) -> list:
    from nhs_oversight.rules.finance import Event

    out = []
    for i, e in enumerate(given.get("events") or []):
        if isinstance(e, str):
            e = {"kind": e}
        unknown = set(e) - {"id", "kind", "date", "value", "estimated_cost", "exceptional", "evidence"}
        if "kind" not in e or unknown:
            raise CaseError(
                f"given.events[{i}]: needs kind; may have id, date, value, estimated_cost, "
                f"exceptional, evidence (got {e!r})"
            )
        date = e.get("date", dt.date(2012, 7, 1))
        out.append(
            Event(
                str(e.get("id", f"E{i + 1}")),
                str(e["kind"]),
                date if isinstance(date, dt.date) else dt.date.fromisoformat(str(date)),
                e.get("value"),
                e.get("estimated_cost"),
                bool(e.get("exceptional", False)),
                str(e.get("evidence", "")),
            )
        )
    return out


def _scores_from(given: Mapping[str, Any], rb: Rulebook) -> dict[str, int]:
    """Scores given directly, or scored from given metric values."""
    from nhs_oversight.rules.finance import Metric, score_metric

    rated = list(rb.value("rated_metrics"))
    if "scores" in given:
        scores = given["scores"]
        if isinstance(scores, list):
            if len(scores) != len(rated):
                raise CaseError(f"given.scores: {len(scores)} scores for {len(rated)} metrics ({', '.join(rated)})")
            scores = dict(zip(rated, scores))
        unknown = set(scores) - set(rated)
        if unknown:
            raise CaseError(
                f"given.scores: unknown metric(s) {', '.join(sorted(unknown))}; {rb.id} rates {', '.join(rated)}"
            )
        return {m: int(s) for m, s in scores.items()}
    metrics = given["metrics"]
    unknown = set(metrics) - set(rated)
    if unknown:
        raise CaseError(
            f"given.metrics: unknown metric(s) {', '.join(sorted(unknown))}; {rb.id} rates {', '.join(rated)}"
        )
    return {
        m: score_metric(Metric(m, str(rb.value(f"{m}_formula")), None if v is None else Decimal(str(v)), {}), rb)[0]
        for m, v in metrics.items()
    }


def _rating_outputs(r: Any) -> dict[str, Any]:
    return {
        "metrics": {m: x.value for m, x in r.card.metrics.items()},
        "scores": r.card.score_values(),
        "weighted_score": r.weighted_score,
        "uncapped_rating": r.uncapped_rating,
        "rating": r.rating,
        "label": r.label,
        "band": r.band,
        "response": r.response,
        "net_movement": r.net_movement,
        "overrides": {o.name: o.movement for o in r.overrides if o.applied},
        "overrides_considered": [o.name for o in r.overrides],
    }


FINANCE_KEYS = {"scores", "metrics", "figures", "events", "normalised"}


def _finance_mode(given: Mapping[str, Any]) -> str:
    modes = [k for k in ("scores", "metrics", "figures") if k in given]
    if len(modes) != 1:
        raise CaseError("given needs exactly one of scores, metrics (metric values) or figures (a financials row)")
    return modes[0]


def frr_adapter(given: Mapping[str, Any], rb: Rulebook) -> dict[str, Any]:
    """Monitor's FRR: from ``scores`` or ``metrics`` (weighted, rounded, capped) or from
    ``figures`` (a ``financials.csv`` row, ``normalised`` optional); ``events`` cap it."""
    from nhs_oversight.rules.finance import frr_caps, frr_rating, round_rating, weighted_average

    check_keys(given, FINANCE_KEYS)
    events = _events(given)
    if _finance_mode(given) == "figures":
        return _rating_outputs(frr_rating(given["figures"], rb, events, normalised=bool(given.get("normalised"))))
    scores = _scores_from(given, rb)
    if set(scores) != set(rb.value("rated_metrics")):
        return {"scores": scores}  # some metrics only: their scores, no rating
    weighted = weighted_average(scores, rb)
    uncapped = round_rating(weighted, rb)
    rating, records = frr_caps(scores, uncapped, rb, events)
    return {
        "scores": scores,
        "weighted_score": weighted,
        "uncapped_rating": uncapped,
        "rating": rating,
        "overrides": {o.name: o.movement for o in records if o.applied},
        "overrides_considered": [o.name for o in records],
    }


def ten_point_adapter(given: Mapping[str, Any], rb: Rulebook) -> dict[str, Any]:
    """The 10-point scale: ``rating`` alone (its band), ``scores``/``metrics`` (the core
    rating, no overrides) or ``figures`` with ``events`` (the whole rating, overrides included)."""
    from nhs_oversight.rules.finance import band_of, round_rating, ten_point_rating, weighted_average

    if "rating" in given:
        check_keys(given, {"rating"})
        band = band_of(int(given["rating"]), rb)
        return {"band": band, "response": str(rb.value("band_responses").get(band, ""))}
    check_keys(given, FINANCE_KEYS)
    if _finance_mode(given) == "figures":
        return _rating_outputs(
            ten_point_rating(given["figures"], rb, _events(given), normalised=bool(given.get("normalised")))
        )
    scores = _scores_from(given, rb)
    if set(scores) != set(rb.value("rated_metrics")):
        return {"scores": scores}  # some metrics only: their scores, no rating
    weighted = weighted_average(scores, rb)
    rating = round_rating(weighted, rb)
    return {"scores": scores, "weighted_score": weighted, "rating": rating, "band": band_of(rating, rb)}


def continuity_adapter(given: Mapping[str, Any], rb: Rulebook) -> dict[str, Any]:
    """The continuity of service rating: ``scores``/``metrics`` (averaged, rounded) or
    ``figures`` with ``two_star``, ``previous`` (figures a year before), ``unlikely_to_worsen``."""
    from nhs_oversight.rules.finance import continuity_rating, round_rating, weighted_average

    check_keys(given, {"scores", "metrics", "figures", "normalised", "two_star", "previous", "unlikely_to_worsen"})
    if _finance_mode(given) == "figures":
        r = continuity_rating(
            given["figures"],
            rb,
            normalised=bool(given.get("normalised")),
            two_star=bool(given.get("two_star")),
            previous=given.get("previous"),
            unlikely_to_worsen=given.get("unlikely_to_worsen"),
        )
        return _rating_outputs(r)
    scores = _scores_from(given, rb)
    if set(scores) != set(rb.value("rated_metrics")):
        return {"scores": scores}  # some metrics only: their scores, no rating
    weighted = weighted_average(scores, rb)
    return {"scores": scores, "weighted_score": weighted, "rating": round_rating(weighted, rb)}


def counting_adapter(given: Mapping[str, Any], rb: Rulebook) -> dict[str, Any]:
    """Attribution of case-level reports (``hcai-counting``).

    given: ``cases`` [{id, organism, specimen_date, admission_date (null: not an in-patient),
    reporting_org, responsible_org}].
    Outputs: ``apportionment`` {case id: trust | non_trust} (each case attributed alone) and
    ``counts`` {org: {trust | non_trust | population: cases}} (all cases together).
    """
    from nhs_oversight.rules.hcai import attribute_cases

    check_keys(given, {"cases"})
    columns = ["organism", "specimen_date", "admission_date", "reporting_org", "responsible_org"]
    cases = need(given, "cases", "a list of case-level reports")
    rows = []
    for i, c in enumerate(cases):
        missing = [k for k in ["id", *columns] if k not in c]
        if missing:
            raise CaseError(f"given.cases[{i}] is missing {', '.join(missing)}")
        rows.append(c)
    frame = pd.DataFrame([{k: c[k] for k in columns} for c in rows], columns=columns)
    apportionment = {}
    for c, (_, one) in zip(rows, frame.iterrows()):
        counted = attribute_cases(one.to_frame().T.reset_index(drop=True), rb)
        own = counted[(counted["org_code"] == c["reporting_org"]) & (counted["apportionment"] != "population")]
        apportionment[str(c["id"])] = str(own["apportionment"].item())
    counts: dict[str, dict[str, int]] = {}
    for r in attribute_cases(frame, rb).to_dict("records"):
        by = counts.setdefault(str(r["org_code"]), {})
        by[str(r["apportionment"])] = by.get(str(r["apportionment"]), 0) + int(r["cases"])
    return {"apportionment": apportionment, "counts": counts}


def poisson_adapter(given: Mapping[str, Any], rb: Rulebook | None) -> dict[str, Any]:
    """Exact Poisson intervals: ``count``, ``level``, ``method`` (named, never a default),
    and for a rate ``exposure`` and ``per``. Outputs ``lower``, ``upper`` (and ``rate``)."""
    from nhs_oversight.stats import poisson_ci, rate_ci

    check_keys(given, {"count", "level", "method", "exposure", "per"})
    count = need(given, "count", "the observed count [cases]")
    level = float(need(given, "level", "the confidence level, e.g. 0.95"))
    method: Any = str(need(given, "method", "exact or byar"))  # checked by the function itself
    if "exposure" in given:
        rate, lo, hi = rate_ci(
            count, given["exposure"], per=float(given.get("per", 100_000)), level=level, method=method
        )
        return {"rate": plain(rate), "lower": plain(lo), "upper": plain(hi)}
    lo, hi = poisson_ci(count, level=level, method=method)
    return {"lower": plain(lo), "upper": plain(hi)}


@dataclass(frozen=True)
class Adapter:
    run: Callable[[Mapping[str, Any], Any], dict[str, Any]]
    rulebook_regimes: tuple[str, ...] = ()  # () : the regime takes no rulebook


#: Case-file regime → the rule function's adapter and the rulebook regimes it accepts.
ADAPTERS: dict[str, Adapter] = {
    "mrsa-objective": Adapter(objectives_adapter, ("mrsa-objective",)),
    "cdiff-objective": Adapter(objectives_adapter, ("cdiff-objective",)),
    "trajectories": Adapter(trajectories_adapter, ("cdiff-objective", "mrsa-objective")),
    "governance": Adapter(governance_adapter, ("monitor-compliance",)),
    "finance-frr": Adapter(frr_adapter, ("monitor-frr",)),
    "finance-ten-point": Adapter(ten_point_adapter, ("monitor-licence-consultation",)),
    "continuity": Adapter(continuity_adapter, ("monitor-raf",)),
    "counting": Adapter(counting_adapter, ("hcai-counting",)),
    "poisson": Adapter(poisson_adapter),
}


# ------------------------------------------------------------------------------ loading
@dataclass
class Case:
    file: str
    regime: str
    name: str
    source: str
    rulebook: str | None
    settings: dict[str, Any]
    given: dict[str, Any]
    expect: dict[str, Any]
    tolerance: float = DEFAULT_TOLERANCE
    error: str = ""  # a malformed case: why

    @property
    def id(self) -> str:
        return f"{self.file}::{self.name}"


def _read_case(file: str, regime: str, index: int, raw: Any) -> Case:
    named = isinstance(raw, Mapping) and isinstance(raw.get("name"), str)
    label: str = raw["name"] if named else f"case {index + 1}"
    where = f"{file}, {label!r}" if named else f"{file}, {label}"

    def broken(why: str) -> Case:
        return Case(file, regime, label, "", None, {}, {}, {}, error=f"{where}: {why}")

    if not isinstance(raw, Mapping):
        return broken(f"a case must be a mapping with keys {', '.join(REQUIRED_KEYS)}, got {raw!r}")
    missing = [k for k in REQUIRED_KEYS if k not in raw]
    needs_rulebook = bool(ADAPTERS[regime].rulebook_regimes)
    if needs_rulebook and "rulebook" not in raw:
        missing.append("rulebook")
    if missing:
        return broken(f"missing key(s): {', '.join(missing)}")
    unknown = sorted(set(raw) - CASE_KEYS)
    if unknown:
        return broken(f"unknown key(s) {', '.join(unknown)}; a case has {', '.join(sorted(CASE_KEYS))}")
    if not isinstance(raw["source"], str) or not raw["source"].strip():
        return broken("source must say where the example comes from (a seed file, a document, a section)")
    for key in ("given", "expect"):
        if not isinstance(raw[key], Mapping) or not raw[key]:
            return broken(f"{key} must be a non-empty mapping")
    rulebook, settings = raw.get("rulebook"), {}
    if not needs_rulebook and rulebook is not None:
        return broken(f"regime {regime!r} takes no rulebook")
    if isinstance(rulebook, Mapping):
        unknown = sorted(set(rulebook) - {"id", "set"})
        if "id" not in rulebook or unknown:
            return broken("rulebook is an id, or a mapping {id: …, set: {value: what-if, …}}")
        settings = dict(rulebook.get("set") or {})
        rulebook = rulebook["id"]
    if rulebook is not None and not isinstance(rulebook, str):
        return broken(f"rulebook must be a rulebook id, got {rulebook!r}")
    tolerance = raw.get("tolerance", DEFAULT_TOLERANCE)
    if isinstance(tolerance, bool) or not isinstance(tolerance, (int, float)) or tolerance < 0:
        return broken(f"tolerance must be a non-negative number, got {tolerance!r}")
    return Case(
        file,
        regime,
        label,
        raw["source"],
        rulebook,
        settings,
        dict(raw["given"]),
        dict(raw["expect"]),
        float(tolerance),
    )


def load_case_file(path: Path) -> list[Case]:
    """Every case of one file; a malformed file or case becomes a case carrying its error."""
    file = path.name

    def broken(why: str, name: str = "(file)") -> list[Case]:
        return [Case(file, "", name, "", None, {}, {}, {}, error=f"{file}: {why}")]

    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        return broken(f"not valid YAML: {exc}")
    if not isinstance(raw, Mapping):
        return broken("a case file is a mapping with regime and cases")
    unknown = sorted(set(raw) - FILE_KEYS)
    if unknown:
        return broken(f"unknown top-level key(s) {', '.join(unknown)}; a case file has {', '.join(sorted(FILE_KEYS))}")
    regime = raw.get("regime")
    if regime not in ADAPTERS:
        return broken(f"unknown regime {regime!r}; known regimes: {', '.join(ADAPTERS)}")
    if not isinstance(raw.get("cases"), list) or not raw["cases"]:
        return broken("cases must be a non-empty list")
    cases = [_read_case(file, regime, i, c) for i, c in enumerate(raw["cases"])]
    seen: set[str] = set()
    for c in cases:
        if c.name in seen and not c.error:
            c.error = f"{file}, {c.name!r}: another case of this file has the same name"
            c.name = f"{c.name} (again)"
        seen.add(c.name)
    return cases


def load_cases(folder: Path = CASES_DIR) -> list[Case]:
    return [c for path in sorted(folder.glob("*.yaml")) for c in load_case_file(path)]


def run_case(case: Case, library: RulebookLibrary) -> list[str]:
    """The mismatches of one case (empty: it holds). Raises CaseError for a malformed case."""
    if case.error:
        raise CaseError(case.error)
    adapter = ADAPTERS[case.regime]
    where = f"{case.file}, {case.name!r}"
    rb = None
    if case.rulebook is not None:
        try:
            rb = library.get(case.rulebook)
            rb = apply_what_if(rb, case.settings)
        except ValueError as exc:
            raise CaseError(f"{where}: rulebook: {exc}") from None
        if rb.regime not in adapter.rulebook_regimes:
            raise CaseError(
                f"{where}: rulebook {rb.id!r} is of regime {rb.regime!r}; "
                f"{case.regime} cases run under {', '.join(adapter.rulebook_regimes)}"
            )
    try:
        result = adapter.run(case.given, rb)
    except CaseError as exc:
        raise CaseError(f"{where}: {exc}") from None
    return compare(case.expect, plain(result), case.tolerance)


# ------------------------------------------------------------------------------ tests
CASES = load_cases()


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_case(case: Case, library: RulebookLibrary) -> None:
    problems = run_case(case, library)
    if problems:
        pytest.fail(f"{case.id} ({case.source.strip()}):\n  " + "\n  ".join(problems), pytrace=False)


def _perturbed(expected: Any) -> list[Any]:
    """Copies of an expectation with one leaf changed each: a number by 1, a bool flipped,
    a string extended, a null made 0, a list lengthened."""
    if isinstance(expected, Mapping):
        extra = [{"(unexpected)": 0}] if not expected else []
        return extra + [{**expected, k: p} for k, v in expected.items() for p in _perturbed(v)]
    if isinstance(expected, list):
        whole = [[*expected, expected[-1] if expected else 0]]
        return whole + [expected[:i] + [p] + expected[i + 1 :] for i, v in enumerate(expected) for p in _perturbed(v)]
    if isinstance(expected, bool):
        return [not expected]
    if isinstance(expected, (int, float)):
        return [expected + 1]
    if isinstance(expected, str):
        return [expected + "x"]
    return [0] if expected is None else []


@pytest.mark.parametrize("case", [c for c in CASES if not c.error], ids=[c.id for c in CASES if not c.error])
def test_every_expectation_can_fail(case: Case, library: RulebookLibrary) -> None:
    """A case that cannot fail is a defect: changing any expected value must be caught."""
    rb = apply_what_if(library.get(case.rulebook), case.settings) if case.rulebook else None
    result = plain(ADAPTERS[case.regime].run(case.given, rb))
    for wrong in _perturbed(case.expect):
        assert compare(wrong, result, case.tolerance), f"{case.id}: {wrong} was not caught"


def test_every_regime_has_cases() -> None:
    regimes = {c.regime for c in CASES}
    assert regimes == set(ADAPTERS), f"no cases for {sorted(set(ADAPTERS) - regimes)}"


GOOD = {
    "name": "a",
    "source": "s",
    "rulebook": "monitor-compliance-2012-13",
    "given": {"score": 1},
    "expect": {"rating": "red"},
}
POISSON = {"name": "a", "source": "s", "given": {"count": 1}, "expect": {"lower": 0}}


def _file(regime: str, *cases: Any) -> str:
    return yaml.safe_dump({"regime": regime, "cases": list(cases)}, sort_keys=False)


def _without(case: dict, key: str) -> dict:
    return {k: v for k, v in case.items() if k != key}


MALFORMED = {
    "not yaml": ("regime: poisson\ncases: [\n", "bad.yaml: not valid YAML"),
    "unknown regime": (_file("governanse", GOOD), "bad.yaml: unknown regime 'governanse'"),
    "missing key": (_file("governance", _without(GOOD, "expect")), "bad.yaml, 'a': missing key(s): expect"),
    "no rulebook": (_file("governance", _without(GOOD, "rulebook")), "bad.yaml, 'a': missing key(s): rulebook"),
    "nameless": (_file("governance", _without(GOOD, "name")), "bad.yaml, case 1: missing key(s): name"),
    "misspelt expect": (
        _file("poisson", {**_without(POISSON, "expect"), "expected": {"lower": 0}}),
        "bad.yaml, 'a': missing key(s): expect",
    ),
    "unknown key": (_file("poisson", {**POISSON, "tolerence": 0.1}), "bad.yaml, 'a': unknown key(s) tolerence"),
    "no source": (_file("poisson", {**POISSON, "source": " "}), "'a': source must say where the example comes from"),
    "rulebook where none is taken": (
        _file("poisson", {**POISSON, "rulebook": "hcai-counting-2008"}),
        "bad.yaml, 'a': regime 'poisson' takes no rulebook",
    ),
    "typo in given": (
        _file("governance", {**GOOD, "given": {"scor": 1}}),
        "bad.yaml, 'a': given has unknown key(s) scor",
    ),
    "wrong rulebook": (
        _file("governance", {**GOOD, "rulebook": "monitor-frr-2012-13"}),
        "bad.yaml, 'a': rulebook 'monitor-frr-2012-13' is of regime 'monitor-frr'",
    ),
    "unknown rulebook": (
        _file("governance", {**GOOD, "rulebook": "nope"}),
        "bad.yaml, 'a': rulebook: no rulebook 'nope'",
    ),
    "unknown set value": (
        _file("governance", {**GOOD, "rulebook": {"id": "monitor-compliance-2012-13", "set": {"de_minimus": 6}}}),
        "bad.yaml, 'a': rulebook: --set de_minimus: rulebook 'monitor-compliance-2012-13' has no such value",
    ),
    "duplicate name": (_file("governance", GOOD, GOOD), "bad.yaml, 'a': another case of this file has the same name"),
}


@pytest.mark.parametrize("text, message", MALFORMED.values(), ids=MALFORMED.keys())
def test_malformed_case_files_fail_naming_file_and_case(tmp_path: Path, library, text: str, message: str) -> None:
    (tmp_path / "bad.yaml").write_text(text, encoding="utf-8")
    cases = load_case_file(tmp_path / "bad.yaml")
    with pytest.raises(CaseError) as info:
        for case in cases:
            run_case(case, library)
    assert message in str(info.value)


def test_a_wrong_expectation_fails_with_what_differs(library) -> None:
    case = Case(
        "t.yaml",
        "governance",
        "x",
        "s",
        "monitor-compliance-2012-13",
        {},
        {"failed": ["ae_4hr", "cancer_31d"]},
        {"score": 1.4, "rating": "green", "scor": 1},
    )
    assert run_case(case, library) == [
        "score: expected 1.4, got Decimal('1.5')",
        "rating: expected 'green', got 'amber_green'",
        "scor: no such output (outputs here: de_minimis_headroom, escalation, failed, infection_failed, rating, "
        "score, significant_breach)",
    ]


@pytest.mark.parametrize(
    "expected, actual, ok",
    [
        (2.9, Decimal("2.90"), True),
        ("2.90", Decimal("2.9"), True),
        (2.9, Decimal("2.9000001"), False),  # a Decimal is exact: no tolerance
        (0.1 + 0.2, 0.3, True),  # a float within 1e-9
        (0.3001, 0.3, False),
        (1, True, False),  # a bool is not a number
        (True, 1, False),
        (3, 3, True),
        (None, None, True),
        (0, None, False),
        ([1, 2], [1, 2, 3], False),
        ({"a": 1}, {"a": 1, "b": 2}, True),  # outputs not listed are not checked
        ({}, {"b": 2}, False),  # but an empty mapping expects an empty one
        ({}, {}, True),
    ],
)
def test_comparison_rules(expected: Any, actual: Any, ok: bool) -> None:
    assert (compare(expected, actual, DEFAULT_TOLERANCE) == []) is ok
