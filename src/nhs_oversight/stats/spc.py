"""Statistical process control charts: NHS England's "Making Data Count" method.

An SPC chart plots one organisation's monthly cases (or rate, or days between cases) against
limits computed from its own past, and marks the points where the process has changed
("special cause variation") by a few published rules. Fewer infections are better: a high
signal is a ``concern`` and a low one an ``improvement`` (for the t chart of days between
cases, a long gap is the improvement).

Charts
------
- XmR (individuals and moving range), the Making Data Count default: centre = mean, limits
  centre ± 2.66 × mean moving range, after screening out moving ranges above 3.267 × their
  mean (Nelson 1982; NHSRplotthedots' default; the Excel tools do not screen).
- c chart (counts, Poisson): centre :math:`\\bar c`, limits :math:`\\bar c \\pm 3\\sqrt{\\bar c}`.
- u chart (rates with an exposure such as bed-days): :math:`\\bar u = \\sum c / \\sum n`,
  limits :math:`\\bar u \\pm 3\\sqrt{\\bar u / n_i}` for each point.
- t chart (days between cases, for rare events): XmR on :math:`y = t^{1/3.6}`, limits
  transformed back (Nelson 1994; Provost & Murray 2011).

Which rules apply and their run lengths are rulebook values (``spc-making-data-count``),
passed in as :class:`SpcRules`. This module does no IO.

References
----------
.. [1] NHS England. Making Data Count: getting started (2019) and strengthening your
   decisions (2021). https://www.england.nhs.uk/publication/making-data-count/
.. [2] NHS-R Community. NHSRplotthedots (R package), ``ptd_spc``.
   https://github.com/nhs-r-community/NHSRplotthedots
.. [3] Nelson LS. Control charts for individual measurements. Journal of Quality
   Technology 1982;14(3):172-173.
.. [4] Nelson LS. A control chart for parts-per-million nonconforming items. Journal of
   Quality Technology 1994;26(3):239-240 (the 1/3.6 power).
.. [5] Provost LP, Murray SK. The Health Care Data Guide. Jossey-Bass, 2011.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view
from numpy.typing import ArrayLike, NDArray

from ._checks import choice, counts

__all__ = [
    "SPC_CHARTS",
    "SPC_COLUMNS",
    "SPC_RULES",
    "SpcRules",
    "c_chart",
    "days_between_cases",
    "spc_chart",
    "t_chart",
    "u_chart",
    "xmr_chart",
    "xmr_warning",
]

SPC_CHARTS = ("xmr", "c", "u", "t")
#: Special-cause rules, in the order the ``rule`` column lists them and in which the first
#: that fires on a point decides its direction.
SPC_RULES = ("outside_limits", "shift", "trend", "two_of_three")
SPC_COLUMNS = ["value", "centre", "lower", "upper", "special_cause", "rule", "chart"]

#: Limits are 3 sigma, sigma estimated as mean moving range / d2 with d2 = 1.128 for ranges of
#: two: 3 / 1.128 = 2.66 (Wheeler; Making Data Count).
XMR_LIMIT = 2.66
#: The upper limit of a moving-range chart, D4 × mean moving range with D4 = 3.267: ranges
#: above it are screened out before the limits are computed (Nelson 1982).
MR_SCREEN = 3.267
#: Nelson's power for days between events: y = t^(1/3.6) is close to normal when t is
#: exponential (Weibull shape 1).
T_POWER = 1 / 3.6

Better = Literal["lower", "higher"]


@dataclass(frozen=True)
class SpcRules:
    """Which special-cause rules apply, and their run lengths (rulebook values).

    Attributes
    ----------
    shift : int
        A run of at least this many consecutive points on one side of the centre is a
        shift [points]; a point exactly on the centre breaks the run.
    trend : int
        A run of at least this many consecutive points each higher (or each lower) than the
        one before is a trend [points]; an equal neighbour breaks the run.
    rules : tuple of str
        The rules that apply, a subset of :data:`SPC_RULES`.
    screen_moving_ranges : bool
        Screen out moving ranges above 3.267 × their mean before computing XmR limits
        (NHSRplotthedots' default) or not (the Making Data Count Excel tools).
    xmr_min_mean : float
        Below this mean a period, :func:`xmr_warning` points to the c or t chart [cases].
    """

    shift: int
    trend: int
    rules: tuple[str, ...]
    screen_moving_ranges: bool
    xmr_min_mean: float

    def __post_init__(self) -> None:
        for name in ("shift", "trend"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 2:
                raise ValueError(f"{name}={v!r} must be a whole number of points, at least 2")
        for rule in self.rules:
            choice("rule", rule, SPC_RULES)

    @classmethod
    def from_rulebook(cls, value: Callable[[str], object]) -> SpcRules:
        """Build from a rulebook's values: pass ``rulebook.value``.

        Reads ``spc_shift_run``, ``spc_trend_run``, ``spc_rules``,
        ``spc_screen_moving_ranges`` and ``spc_xmr_min_mean``.
        """
        rules = value("spc_rules")
        if not isinstance(rules, list | tuple):
            raise ValueError(f"spc_rules must be a list of rule names, not {rules!r}")
        return cls(
            shift=_whole(value("spc_shift_run"), "spc_shift_run"),
            trend=_whole(value("spc_trend_run"), "spc_trend_run"),
            rules=tuple(str(r) for r in rules),
            screen_moving_ranges=bool(value("spc_screen_moving_ranges")),
            xmr_min_mean=float(value("spc_xmr_min_mean")),  # type: ignore[arg-type]
        )


def _whole(v: object, name: str) -> int:
    if isinstance(v, bool) or not isinstance(v, int | float) or v != int(v):
        raise ValueError(f"{name}={v!r} must be a whole number of points")
    return int(v)


def _series(values: ArrayLike, name: str) -> NDArray[np.float64]:
    v = np.ravel(np.asarray(values, dtype=float))
    if v.size < 2:
        raise ValueError(f"an SPC chart needs at least two {name}")
    if not np.all(np.isfinite(v)):
        raise ValueError(f"{name} must be finite (no missing periods)")
    return v


# ----------------------------------------------------------------------------- limits


def _xmr_limits(y: NDArray[np.float64], screen: bool) -> tuple[float, float, int]:
    """Centre, mean moving range (after screening if asked) and how many ranges were screened."""
    centre = float(np.mean(y))
    mr = np.abs(np.diff(y))
    mr_bar = float(np.mean(mr))
    screened = 0
    if screen:
        keep = mr <= MR_SCREEN * mr_bar
        screened = int(mr.size - keep.sum())
        if screened and keep.any():
            mr_bar = float(np.mean(mr[keep]))
    return centre, mr_bar, screened


def xmr_chart(
    values: ArrayLike,
    rules: SpcRules,
    *,
    better: Better = "lower",
) -> pd.DataFrame:
    """XmR chart of one series (monthly cases, or any measure).

    Parameters
    ----------
    values : array_like of float
        One value per period, in time order, no gaps [cases, or the measure's unit].
    rules : SpcRules
        The rulebook's rules and run lengths.
    better : {"lower", "higher"}
        Which direction is an improvement: ``"lower"`` for infections.

    Returns
    -------
    pandas.DataFrame
        :data:`SPC_COLUMNS`, one row per period; ``chart`` is ``"xmr"``. ``frame.attrs``
        holds ``mean_moving_range``, ``moving_ranges_screened`` and ``warning``
        (:func:`xmr_warning`).

    Notes
    -----
    With :math:`\\overline{mR}` the mean of :math:`|x_t - x_{t-1}|`, moving ranges above
    :math:`3.267\\,\\overline{mR}` are left out and :math:`\\overline{mR}` recomputed without
    them (once) when ``rules.screen_moving_ranges``; then centre :math:`\\bar x`, limits
    :math:`\\bar x \\pm 2.66\\,\\overline{mR}` (not floored at 0), and two-sigma lines
    :math:`\\bar x \\pm \\tfrac23 2.66\\,\\overline{mR}`.
    """
    x = _series(values, "values")
    centre, mr_bar, screened = _xmr_limits(x, rules.screen_moving_ranges)
    width = XMR_LIMIT * mr_bar
    frame = _chart_frame(x, np.full(x.shape, centre), np.full(x.shape, width / 3), rules, better, "xmr", floor=None)
    frame.attrs.update(
        mean_moving_range=mr_bar,
        moving_ranges_screened=screened,
        warning=xmr_warning(x, rules.xmr_min_mean),
    )
    return frame


def xmr_warning(values: ArrayLike, min_mean: float) -> str | None:
    """A warning when an XmR chart is asked of counts averaging fewer than ``min_mean`` a period.

    Parameters
    ----------
    values : array_like of float
        Cases per period [cases].
    min_mean : float
        The rulebook's ``spc_xmr_min_mean`` (10) [cases per period].

    Returns
    -------
    str or None
        The warning text, or None when the mean is at least ``min_mean``.
    """
    mean = float(np.mean(np.asarray(values, dtype=float)))
    if mean >= min_mean:
        return None
    return (
        f"XmR chart of a mean of {mean:.3g} cases a period, below {min_mean:g}: counts this small are "
        "lumpy and their XmR limits unreliable; use a c chart (Poisson limits, or a u chart with bed-days) "
        "or, for rare events, a t chart of the days between cases"
    )


def c_chart(cases: ArrayLike, rules: SpcRules, *, better: Better = "lower") -> pd.DataFrame:
    """c chart of counts per period (Poisson limits).

    Parameters
    ----------
    cases : array_like of int
        Cases per period, in time order [cases].
    rules : SpcRules
    better : {"lower", "higher"}

    Returns
    -------
    pandas.DataFrame
        :data:`SPC_COLUMNS`; ``chart`` is ``"c"``.

    Notes
    -----
    :math:`\\bar c` the mean count; sigma :math:`\\sqrt{\\bar c}`; limits
    :math:`\\bar c \\pm 3\\sqrt{\\bar c}`, the lower floored at 0; two-sigma lines
    :math:`\\bar c \\pm 2\\sqrt{\\bar c}`.
    """
    c = _series(counts(cases, "cases"), "periods")
    c_bar = float(np.mean(c))
    return _chart_frame(c, np.full(c.shape, c_bar), np.full(c.shape, np.sqrt(c_bar)), rules, better, "c", floor=0.0)


def u_chart(
    cases: ArrayLike,
    exposure: ArrayLike,
    rules: SpcRules,
    *,
    per: float,
    better: Better = "lower",
) -> pd.DataFrame:
    """u chart of rates with a varying exposure (cases per bed-days).

    Parameters
    ----------
    cases : array_like of int
        Cases per period [cases].
    exposure : array_like of float
        Exposure per period, strictly positive [bed-days].
    rules : SpcRules
    per : float
        Rates are cases per ``per`` units of exposure (10,000 bed-days).
    better : {"lower", "higher"}

    Returns
    -------
    pandas.DataFrame
        :data:`SPC_COLUMNS` [cases per ``per`` units of exposure]; ``chart`` is ``"u"``.

    Notes
    -----
    :math:`u_i = c_i/n_i`, :math:`\\bar u = \\sum c_i / \\sum n_i`, sigma
    :math:`\\sqrt{\\bar u / n_i}` for each point; limits :math:`\\bar u \\pm 3\\sqrt{\\bar u/n_i}`,
    the lower floored at 0; all times ``per``.
    """
    c = _series(counts(cases, "cases"), "periods")
    n = np.ravel(np.asarray(exposure, dtype=float))
    if n.shape != c.shape or not np.all(np.isfinite(n)) or np.any(n <= 0):
        raise ValueError("exposure must be finite, strictly positive and one per period")
    per = float(per)
    if not per > 0:
        raise ValueError("per must be strictly positive")
    u_bar = float(c.sum() / n.sum())
    frame = _chart_frame(
        c / n * per, np.full(c.shape, u_bar * per), np.sqrt(u_bar / n) * per, rules, better, "u", floor=0.0
    )
    frame.attrs.update(per=per)
    return frame


def t_chart(days: ArrayLike, rules: SpcRules, *, better: Better = "higher") -> pd.DataFrame:
    """t chart of the days between consecutive cases (rare events).

    Parameters
    ----------
    days : array_like of float
        Days between each case and the one before, in time order [days], non-negative
        (:func:`days_between_cases`).
    rules : SpcRules
    better : {"lower", "higher"}
        ``"higher"`` (default for this chart): a longer gap between infections is an
        improvement.

    Returns
    -------
    pandas.DataFrame
        :data:`SPC_COLUMNS` in days; ``chart`` is ``"t"``.

    Notes
    -----
    :math:`y = t^{1/3.6}`; an XmR chart of :math:`y` (screened as the rules say); centre and
    limits transformed back by :math:`(\\cdot)^{3.6}`, the lower limit taken as 0 where it is
    negative on the :math:`y` scale. The rules are applied on the :math:`y` scale (the same
    order, so the same shifts and trends; two-sigma lines are :math:`y` lines).
    """
    t = _series(days, "gaps between cases")
    if np.any(t < 0):
        raise ValueError("days between cases must be non-negative")
    y = t**T_POWER
    centre, mr_bar, screened = _xmr_limits(y, rules.screen_moving_ranges)
    sigma = XMR_LIMIT * mr_bar / 3
    special, rule = _special_causes(y, np.full(y.shape, centre), np.full(y.shape, sigma), rules, better, floor=None)
    back = 1 / T_POWER
    frame = pd.DataFrame(
        {
            "value": t,
            "centre": centre**back,
            "lower": max(centre - 3 * sigma, 0.0) ** back,
            "upper": (centre + 3 * sigma) ** back,
            "special_cause": special,
            "rule": rule,
            "chart": "t",
        }
    )
    frame.attrs.update(mean_moving_range=mr_bar, moving_ranges_screened=screened, transform="t^(1/3.6)")
    return frame


def spc_chart(
    chart: Literal["xmr", "c", "u", "t"],
    values: ArrayLike,
    rules: SpcRules,
    *,
    exposure: ArrayLike | None = None,
    per: float | None = None,
    better: Better | None = None,
) -> pd.DataFrame:
    """One of :data:`SPC_CHARTS` by name (``values`` are days between cases for ``"t"``).

    ``exposure`` and ``per`` are required for ``"u"``; ``better`` defaults to ``"lower"``,
    or ``"higher"`` for the t chart.
    """
    choice("chart", chart, SPC_CHARTS)
    if chart == "t":
        return t_chart(values, rules, better=better or "higher")
    b: Better = better or "lower"
    if chart == "xmr":
        return xmr_chart(values, rules, better=b)
    if chart == "c":
        return c_chart(values, rules, better=b)
    if exposure is None or per is None:
        raise ValueError("a u chart needs exposure (bed-days) and per")
    return u_chart(values, exposure, rules, per=per, better=b)


def days_between_cases(dates: Sequence[date] | pd.Series | pd.DatetimeIndex) -> NDArray[np.float64]:
    """Days from each case to the next, for a t chart.

    Parameters
    ----------
    dates : sequence of date
        Dates of the cases (specimen dates), in any order; at least three.

    Returns
    -------
    ndarray of float
        ``len(dates) - 1`` gaps in time order [days]; two cases on one day give 0.
    """
    d = pd.to_datetime(pd.Series(list(dates))).sort_values().to_numpy()
    if d.size < 3:
        raise ValueError("a t chart needs at least three cases (two gaps)")
    return np.asarray(np.diff(d) / np.timedelta64(1, "D"), dtype=float)


# ----------------------------------------------------------------------------- rules


def _chart_frame(
    value: NDArray[np.float64],
    centre: NDArray[np.float64],
    sigma: NDArray[np.float64],
    rules: SpcRules,
    better: Better,
    chart: str,
    floor: float | None,
) -> pd.DataFrame:
    lower = centre - 3 * sigma
    if floor is not None:
        lower = np.maximum(lower, floor)
    special, rule = _special_causes(value, centre, sigma, rules, better, floor)
    return pd.DataFrame(
        {
            "value": value,
            "centre": centre,
            "lower": lower,
            "upper": centre + 3 * sigma,
            "special_cause": special,
            "rule": rule,
            "chart": chart,
        }
    )


def _runs(key: NDArray[np.int8]) -> list[tuple[int, int, int]]:
    """(start, stop, key) of each run of equal consecutive keys."""
    edges = np.flatnonzero(np.diff(key)) + 1
    starts = np.concatenate([[0], edges])
    stops = np.concatenate([edges, [key.size]])
    return [(int(a), int(b), int(key[a])) for a, b in zip(starts, stops)]


def _special_causes(
    y: NDArray[np.float64],
    centre: NDArray[np.float64],
    sigma: NDArray[np.float64],
    rules: SpcRules,
    better: Better,
    floor: float | None,
) -> tuple[NDArray[np.object_], NDArray[np.object_]]:
    """The ``special_cause`` and ``rule`` columns.

    Each rule marks points +1 (high: above the centre, or rising) or -1 (low). A point's
    direction is that of the first rule, in :data:`SPC_RULES` order, that marks it; high is
    a concern when ``better == "lower"`` and an improvement otherwise.
    """
    choice("better", better, ("lower", "higher"))
    n = y.size
    marks: dict[str, NDArray[np.int8]] = {}
    lower = centre - 3 * sigma
    if floor is not None:
        lower = np.maximum(lower, floor)
    upper = centre + 3 * sigma

    # a point outside the limits (on a limit is inside)
    out = np.zeros(n, dtype=np.int8)
    out[y > upper] = 1
    out[y < lower] = -1
    marks["outside_limits"] = out

    # shift: a run of at least `shift` points on one side of the centre
    side = np.sign(y - centre).astype(np.int8)
    shift = np.zeros(n, dtype=np.int8)
    for a, b, k in _runs(side):
        if k != 0 and b - a >= rules.shift:
            shift[a:b] = k
    marks["shift"] = shift

    # trend: `trend` points each above (below) the one before: trend - 1 rises (falls) in a row
    step = np.sign(np.diff(y)).astype(np.int8)
    trend = np.zeros(n, dtype=np.int8)
    if step.size:
        for a, b, k in _runs(step):
            if k != 0 and b - a >= rules.trend - 1:
                trend[a : b + 1] = k  # differences a..b-1 join points a..b
    marks["trend"] = trend

    # two of three consecutive points beyond two sigma on the same side of the centre
    beyond = np.zeros(n, dtype=np.int8)
    beyond[y > centre + 2 * sigma] = 1
    beyond[y < centre - 2 * sigma] = -1
    two = np.zeros(n, dtype=np.int8)
    if n >= 3:
        for k in (1, -1):
            hits = beyond == k
            window = sliding_window_view(hits, 3).sum(axis=1) >= 2  # windows starting at 0 .. n - 3
            covered = np.zeros(n, dtype=bool)
            for offset in range(3):  # a point is in the windows starting up to two before it
                covered[offset : offset + window.size] |= window
            two[hits & covered] = k
    marks["two_of_three"] = two

    direction = np.zeros(n, dtype=np.int8)
    names: list[list[str]] = [[] for _ in range(n)]
    for rule in SPC_RULES:
        if rule not in rules.rules:
            continue
        m = marks[rule]
        for i in np.flatnonzero(m):
            names[i].append(rule)
            if direction[i] == 0:
                direction[i] = m[i]
    high = "concern" if better == "lower" else "improvement"
    low = "improvement" if better == "lower" else "concern"
    special = np.where(direction > 0, high, np.where(direction < 0, low, "neither")).astype(object)
    rule_col = np.array([";".join(r) for r in names], dtype=object)
    return special, rule_col
