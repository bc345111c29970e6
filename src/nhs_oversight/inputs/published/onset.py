"""The metrics of the long tables, and the apportionment each one is imported as.

What the long tables *say* (their metrics and how they add up) is kept here, apart from
how the rows are read (:mod:`.long`).

Decisions
---------
Metrics of 2018-19 and 2019-20 (layout ``long``)
    ``Total cases``, ``Hospital-onset``, ``Community-onset``.
Metrics from 2020-21 (layout ``long-2020``)
    The three above, and the onset split by prior healthcare exposure:
    ``Hospital-onset, healthcare associated`` (HOHA, a part of Hospital-onset);
    ``Community-onset, healthcare associated`` (COHA), ``Community-onset, community
    associated`` (COCA), ``Community-onset, indeterminate association`` (COIA, C. difficile),
    ``No information`` and ``Unknown 3 months`` (or ``Unknown``), all parts of
    Community-onset. On the real 2020-21 E. coli table every one of the 3,601 organisation-
    months (trusts, CCGs and England) has Total cases = Hospital-onset + Community-onset,
    Hospital-onset = HOHA and Community-onset = COCA + COHA + No information + Unknown
    3 months; ``No information`` is needed for the last (33 cases in the year).
    Names are compared without case, hyphens, commas or repeated spaces, so
    ``Hospital onset healthcare associated`` is HOHA too. Abbreviations (``HOHA``) are
    not read as metrics: no long table writes them, and a file that did would deserve a look.
Consistency
    Where an organisation-month gives a figure and any of its parts, the figure must equal
    the sum of the parts given; a difference is an :class:`InputError` naming the figure's
    row (the file contradicts itself and no figure can be chosen).
Apportionment of a trust-month
    Hospital-onset → ``trust``; Community-onset → ``non_trust``. Without a Hospital-onset
    row its parts (HOHA) stand for it; without a Community-onset row, the sum of its parts.
    So HOHA is the ``trust`` figure and COHA, COCA, COIA, No information and Unknown all
    go to ``non_trust``, each case once. The parts are not imported one by one: the data
    contract has one ``non_trust`` figure per trust-month. A trust-month without both
    onset figures imports its Total cases as ``reported``; without a total, whichever onset
    figure it has.
Apportionment of a CCG-month
    Total cases → ``population`` (every case among the CCG's population). A CCG's onset
    metrics and their parts are checked (above) and against England, but not imported:
    the contract's CCG figure is the total.
National rows
    ``National`` (England) figures are the published totals: each is checked against the
    sum of the trusts' and the sum of the CCGs' same metric (:attr:`PublishedTable.totals`).
C. difficile from 2019-20
    NHS England's C. difficile objectives from 2019-20 count HOHA **and COHA** against the
    trust. This reader follows DATA.md (hospital-onset → ``trust``), so a C. difficile
    ``long-2020`` table imports COHA within ``non_trust``; a rule that needs
    HOHA + COHA cannot get it from the data folder today.
Unknown metrics
    A metric not listed here is refused by name (file, line, column ``Metric``): its cases
    might belong to any apportionment, and guessing would change the counts silently.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Metric", "METRICS", "metric_of", "expected_metrics", "apportion"]


@dataclass(frozen=True)
class Metric:
    """A metric of the long tables.

    Attributes
    ----------
    key : str
        ``total``, ``hospital``, ``community``, ``hoha``, ``coha``, ``coca``, ``coia``,
        ``no_information`` or ``unknown``.
    label : str
        As the tables write it.
    part_of : str or None
        The key of the figure it is a part of.
    layout : str
        ``long`` for the metrics of 2018-19, ``long-2020`` for those added in 2020-21.
    """

    key: str
    label: str
    part_of: str | None
    layout: str


METRICS: tuple[Metric, ...] = (
    Metric("total", "Total cases", None, "long"),
    Metric("hospital", "Hospital-onset", "total", "long"),
    Metric("community", "Community-onset", "total", "long"),
    Metric("hoha", "Hospital-onset, healthcare associated", "hospital", "long-2020"),
    Metric("coha", "Community-onset, healthcare associated", "community", "long-2020"),
    Metric("coca", "Community-onset, community associated", "community", "long-2020"),
    Metric("coia", "Community-onset, indeterminate association", "community", "long-2020"),
    Metric("no_information", "No information", "community", "long-2020"),
    Metric("unknown", "Unknown 3 months", "community", "long-2020"),
)
_BY_KEY = {m.key: m for m in METRICS}
#: Other spellings of the same metrics: UKHSA's abbreviations (HOHA, COHA, COIA, COCA) and the
#: shorter labels of some years' tables.
_ALIASES = {
    "unknown": "unknown",
    "total": "total",
    "hoha": "hoha",
    "coha": "coha",
    "coia": "coia",
    "coca": "coca",
    "hospital onset healthcare associated (hoha)": "hoha",
    "community onset healthcare associated (coha)": "coha",
    "community onset indeterminate association (coia)": "coia",
    "community onset community associated (coca)": "coca",
}


def _normal(text: str) -> str:
    return " ".join(re.sub(r"[-‐–—_,]+", " ", text.lower()).split())


_BY_NAME = {_normal(m.label): m for m in METRICS} | {a: _BY_KEY[k] for a, k in _ALIASES.items()}


def metric_of(text: str) -> Metric | None:
    """The metric a ``Metric`` cell names, or None when it is not one the reader knows."""
    return _BY_NAME.get(_normal(text))


def expected_metrics() -> str:
    """The known metrics, for a message."""
    return ", ".join(m.label for m in METRICS)


def parts_of(key: str) -> list[str]:
    """The keys of the metrics that are parts of ``key``."""
    return [m.key for m in METRICS if m.part_of == key]


def label_of(key: str) -> str:
    """The published label of a metric key."""
    return _BY_KEY[key].label


def _whole(key: str, figures: dict[str, int | None]) -> int | None:
    """A figure, or the sum of its parts where it is not given (None if neither is)."""
    if key in figures:
        return figures[key]
    parts = [figures[p] for p in parts_of(key) if p in figures]
    if not parts or any(p is None for p in parts):
        return None
    return sum(p for p in parts if p is not None)


def apportion(kind: str, figures: dict[str, int | None]) -> list[tuple[str, int]]:
    """The ``(apportionment, cases)`` an organisation-month imports as (see the Decisions).

    Parameters
    ----------
    kind : str
        ``nhs_trust`` or ``ccg``.
    figures : dict of str to int or None
        The metrics given for the organisation-month, by key (None = not published).

    Returns
    -------
    list of (str, int)
    """
    total = figures.get("total")
    if kind == "ccg":
        return [] if total is None else [("population", total)]
    hospital, community = _whole("hospital", figures), _whole("community", figures)
    if hospital is not None and community is not None:
        return [("trust", hospital), ("non_trust", community)]
    if total is not None:
        return [("reported", total)]
    if "total" in figures:
        return []
    if hospital is not None:
        return [("trust", hospital)]
    if community is not None:
        return [("non_trust", community)]
    return []
