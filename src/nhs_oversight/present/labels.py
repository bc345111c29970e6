"""Labels for people: files keep codes (``amber_red``), screens and pages show labels (Amber-red).

Every code that a result table carries in a column of codes has a label here, grouped by
the column's domain, because one code can mean different things in different columns
(``trust`` is a kind group in one place and an apportionment in another). An unknown code
still reads well: underscores become spaces and the first letter is capitalised.

This module imports nothing heavy (no pandas), so that front ends can import it freely.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["COLUMN_DOMAINS", "COLUMN_LABELS", "DOMAINS", "LABELS", "column_label", "humanise", "label"]

#: Labels by domain: the codes one kind of column holds, and what people call them.
DOMAINS: dict[str, dict[str, str]] = {
    # governance risk ratings (RULES.md §3)
    "rating": {"green": "Green", "amber_green": "Amber-green", "amber_red": "Amber-red", "red": "Red"},
    "kind": {
        "foundation_trust": "Foundation trust",
        "nhs_trust": "NHS trust",
        "independent": "Independent sector",
        "pct": "PCT",
        "ccg": "CCG",
        "icb": "ICB",
        "trust": "Trusts",  # the kind group of --kind trust
    },
    # MRSA and C. difficile objective groups (RULES.md §1, §2)
    "group": {
        "worse_than_median": "Worse than median",
        "better_than_median": "Better than median",
        "best_quartile": "Best quartile",
        "exempt": "Exempt",
        "zero_tolerance": "Zero tolerance",
        "uniform": "Uniform reduction",
        "no_rate": "No rate",
    },
    # oversight monitor
    "status": {
        "on_trajectory": "On trajectory",
        "above_trajectory": "Above trajectory",
        "objective_exceeded": "Objective exceeded",
    },
    # the 10-point scale (RULES.md §5)
    "band": {"normal": "Normal", "concern": "Concern", "distress": "Distress", "failure": "Failure"},
    # funnel plots: the service writes "above 99.8%"; codes are accepted too
    "position": {
        "within": "Within limits",
        "above 95%": "Above 95% limit",
        "above 99.8%": "Above 99.8% limit",
        "below 95%": "Below 95% limit",
        "below 99.8%": "Below 99.8% limit",
        "above_95": "Above 95% limit",
        "above_998": "Above 99.8% limit",
        "above_99_8": "Above 99.8% limit",
        "below_95": "Below 95% limit",
        "below_998": "Below 99.8% limit",
        "below_99_8": "Below 99.8% limit",
    },
    # statistical process control (NHS "Making Data Count")
    "special_cause": {"concern": "Concern", "improvement": "Improvement", "neither": "Neither"},
    "rule": {
        "outside_limits": "Outside the limits",
        "shift": "Shift",
        "trend": "Trend",
        "two_of_three": "Two of three near a limit",
    },
    "organism": {"mrsa": "MRSA", "cdiff": "C. difficile", "ecoli": "E. coli"},
    "apportionment": {
        "trust": "Trust-apportioned",
        "non_trust": "Non-trust-apportioned",
        "population": "All residents",
        "reported": "All reported",
    },
    # analysts' decisions on governance ratings
    "action": {"accept": "Accept", "hold": "Hold", "escalate": "Escalate"},
    # the import log
    "mode": {"merge": "Merge", "replace": "Replace"},
}

#: Every code's label, whatever its column; where two domains label one code differently
#: the later domain wins here (``trust``: Trust-apportioned), so prefer ``label(code, domain)``.
LABELS: dict[str, str] = {code: text for labels in DOMAINS.values() for code, text in labels.items()}

#: The domain of each column of codes (the columns :func:`humanise` relabels).
COLUMN_DOMAINS: dict[str, str] = {
    "rating": "rating",
    "published_rating": "rating",
    "calculated_rating": "rating",
    "rerated_rating": "rating",
    "kind": "kind",
    "group": "group",
    "status": "status",
    "band": "band",
    "ten_point_band": "band",
    "normalised_band": "band",
    "position": "position",
    "special_cause": "special_cause",
    "rule": "rule",
    "organism": "organism",
    "apportionment": "apportionment",
    "action": "action",
    "mode": "mode",
}

#: Column headers people read; any other column: underscores as spaces, capitalised.
COLUMN_LABELS: dict[str, str] = {
    "org_code": "Code",
    "org": "Code",
    "name": "Name",
    "financial_year": "Year",
    "baseline_period": "Baseline period",
    "group": "Group",
    "kind": "Kind",
    "p_breach": "P(breach)",
    "p_downgrade": "P(downgrade)",
    "p_downgrade_a": "P(downgrade) A",
    "p_downgrade_b": "P(downgrade) B",
    "expected_downgrades_a": "Expected downgrades A",
    "expected_downgrades_b": "Expected downgrades B",
    "ytd_cases": "Cases to date",
    "mrsa_ytd_cases": "MRSA cases to date",
    "mrsa_trajectory": "MRSA trajectory",
    "cdiff_ytd_cases": "C. difficile cases to date",
    "cdiff_trajectory": "C. difficile trajectory",
    "cdiff_de_minimis_headroom": "C. difficile de minimis headroom",
    "rate_lower": "Rate lower",
    "rate_upper": "Rate upper",
    "ratio": "O/E ratio",
    "ratio_lower": "Ratio lower",
    "ratio_upper": "Ratio upper",
    "ten_point": "10-point rating",
    "ten_point_band": "10-point band",
    "published_rating": "Published rating",
    "uncapped_rating": "Uncapped rating",
    "weighted_score": "Weighted score",
    "small_organisation": "Small organisation",
    "locally_set": "Locally set",
    "escalation": "Escalation",
    "failed": "Failed",
    "special_cause": "Special cause",
    "import_id": "Import",
    "started_at": "Started",
    "sha256": "SHA-256",
    "assumed": "Assumed values",
    "rulebook": "Rulebook",
}


def _blank(value: object) -> bool:
    try:
        return value is None or bool(value != value)  # NaN is not equal to itself
    except (TypeError, ValueError):
        return False


def _readable(code: str) -> str:
    text = code.replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def label(code: object, domain: str | None = None) -> str:
    """What people call ``code``: ``label("amber_red")`` is ``"Amber-red"``.

    Parameters
    ----------
    code : object
        A code (str), a boolean (``yes``/``no``), a number, or None/NaN (empty).
    domain : str, optional
        The kind of column the code comes from (a key of :data:`DOMAINS`), for codes that
        mean different things in different columns; default: any domain.

    Returns
    -------
    str
        The label; an unknown code with underscores as spaces and its first letter
        capitalised (``"not_met"`` → ``"Not met"``).
    """
    if isinstance(code, bool) or (type(code).__module__ == "numpy" and type(code).__name__ in ("bool", "bool_")):
        return "yes" if code else "no"
    if _blank(code):
        return ""
    text = str(code)
    labels: Mapping[str, str] = DOMAINS.get(domain, LABELS) if domain is not None else LABELS
    if text in labels:
        return labels[text]
    return _readable(text)


def column_label(column: object) -> str:
    """A column's header: :data:`COLUMN_LABELS`, or underscores as spaces, capitalised."""
    text = str(column)
    return COLUMN_LABELS.get(text) or _readable(text)


def _relabel(value: object, domain: str) -> object:
    if _blank(value):
        return value
    if isinstance(value, str) and ";" in value:
        return "; ".join(label(part.strip(), domain) for part in value.split(";") if part.strip())
    if isinstance(value, list | tuple):
        return "; ".join(label(part, domain) for part in value)
    return label(value, domain)


def humanise(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with labels instead of codes in the columns of codes
    (:data:`COLUMN_DOMAINS`: rating, kind, group, status, band, position, organism, …) and
    ``yes``/``no`` in boolean columns. A cell of codes joined by ``;`` is labelled code by
    code and joined by ``"; "``. Column names are unchanged (headers: :func:`column_label`).
    """
    out = frame.copy()
    for column in out.columns:
        domain = COLUMN_DOMAINS.get(str(column))
        series = out[column]
        if domain is not None:
            out[column] = series.map(lambda v, d=domain: _relabel(v, d)).astype(object)
        elif series.dtype.kind == "b":
            out[column] = series.map(label).astype(object)
        elif (
            series.dtype == object
            and len(series)
            and all(isinstance(v, bool) or _blank(v) for v in series)
            and any(isinstance(v, bool) for v in series)
        ):
            out[column] = series.map(label).astype(object)
    return out
