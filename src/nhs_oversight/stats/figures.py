"""Figures for the statistics: funnel plots, chance by organisation size, policy comparison.

Thin wrappers over matplotlib's object API: figures are built with
:class:`matplotlib.figure.Figure` directly, so no pyplot state, no GUI backend and no global
``matplotlib.use`` are involved; rendering is Agg (PNG) or SVG, with the fonts matplotlib
ships (nothing is downloaded).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from numpy.typing import ArrayLike

from .chance import DEFAULT_SIZE_EDGES, size_bands
from .funnel import DEFAULT_LEVELS, FunnelMethod, Overdispersion, funnel_limits

__all__ = ["chance_by_size_plot", "comparison_plot", "funnel_plot", "save"]

_LEVEL_STYLES = {0.95: ("#1f77b4", "--"), 0.998: ("#d62728", "-")}
_SUFFIXES = {".png": "png", ".svg": "svg"}


def funnel_plot(
    frame: pd.DataFrame,
    *,
    observed: str = "observed",
    expected: str = "expected",
    label: str | None = None,
    label_all: bool = False,
    levels: Sequence[float] = DEFAULT_LEVELS,
    method: FunnelMethod = "exact",
    overdispersion: Overdispersion | None = None,
    effect: Literal["multiplicative", "additive"] | None = None,
    target_rate: float | None = None,
    rate_label: str = "rate",
    title: str | None = None,
) -> Figure:
    """Funnel plot of observed/expected (or rate) against expected cases.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per organisation.
    observed, expected : str
        Columns of observed and expected cases [cases]; expected strictly positive.
    label : str, optional
        Column of point labels (organisation codes).
    label_all : bool
        Label every point; otherwise only those outside the widest limits.
    levels, method, overdispersion, effect
        Passed to :func:`~nhs_oversight.stats.funnel.funnel_limits`.
    target_rate : float, optional
        Plot rates: the y value is ``target_rate × observed/expected`` and the limits
        scale alike [cases per unit of exposure]. Without it the y-axis is the ratio.
    rate_label : str
        Y-axis label when plotting rates (``"rate per 100,000 bed-days"``).
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    o = frame[observed].to_numpy(dtype=float)
    e = frame[expected].to_numpy(dtype=float)
    scale = 1.0 if target_rate is None else float(target_rate)
    grid = np.linspace(max(e.min() * 0.5, 1e-3), e.max() * 1.1, 400)
    limits = funnel_limits(grid, levels=levels, method=method, overdispersion=overdispersion, effect=effect)
    point_limits = funnel_limits(e, levels=levels, method=method, overdispersion=overdispersion, effect=effect)

    fig = Figure(figsize=(7, 5), layout="constrained")
    ax = fig.add_subplot()
    for i, level in enumerate(limits.levels):
        colour, style = _LEVEL_STYLES.get(level, ("0.4", ":"))
        ax.plot(grid, limits.ratio_upper[i] * scale, color=colour, linestyle=style, label=f"{level * 100:g}% limits")
        ax.plot(grid, limits.ratio_lower[i] * scale, color=colour, linestyle=style)
    ax.axhline(scale, color="0.3", linewidth=0.8)
    widest = max(limits.levels)
    flag = point_limits.outside(o, widest)
    colours = np.where(flag > 0, "#d62728", np.where(flag < 0, "#2ca02c", "0.2"))
    ax.scatter(e, o / e * scale, c=colours, s=18, zorder=3)
    if label is not None:
        for name, x, y, f in zip(frame[label].astype(str), e, o / e * scale, flag):
            if label_all or f != 0:
                ax.annotate(name, (x, y), xytext=(3, 3), textcoords="offset points", fontsize=7)
    ax.set_xlabel("expected cases")
    ax.set_ylabel(rate_label if target_rate is not None else "observed / expected")
    ax.set_ylim(bottom=0)
    ax.legend(frameon=False, fontsize=8)
    if title:
        ax.set_title(title)
    return fig


def chance_by_size_plot(
    frame: pd.DataFrame,
    probabilities: Sequence[str],
    *,
    expected: str = "expected",
    edges: Sequence[float] = DEFAULT_SIZE_EDGES,
    ylabel: str = "mean chance of breach if exactly on target",
    title: str | None = None,
) -> Figure:
    """Mean probability by organisation size band, one bar per policy.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per organisation.
    probabilities : sequence of str
        Columns of probabilities [probability], one per policy (e.g. "de minimis 12",
        "no de minimis").
    expected : str
        Column of expected cases used for the size bands [cases].
    edges : sequence of float
        Band edges, see :func:`~nhs_oversight.stats.chance.size_bands`.
    ylabel, title : str

    Returns
    -------
    matplotlib.figure.Figure
    """
    bands = size_bands(frame[expected].to_numpy(dtype=float), edges=edges)
    means = frame[list(probabilities)].groupby(pd.Series(bands, index=frame.index), observed=False).mean()
    sizes = pd.Series(bands).value_counts().reindex(means.index, fill_value=0)
    fig = Figure(figsize=(7, 4.5), layout="constrained")
    ax = fig.add_subplot()
    x = np.arange(len(means.index))
    width = 0.8 / max(len(probabilities), 1)
    for i, column in enumerate(probabilities):
        ax.bar(x + (i - (len(probabilities) - 1) / 2) * width, means[column].to_numpy(), width, label=column)
    ax.set_xticks(x, [f"{b}\n(n={n})" for b, n in zip(means.index, sizes)])
    ax.set_xlabel("expected cases")
    ax.set_ylabel(ylabel)
    ax.set_ylim(0, 1)
    ax.legend(frameon=False, fontsize=8)
    if title:
        ax.set_title(title)
    return fig


def comparison_plot(
    a: ArrayLike,
    b: ArrayLike,
    *,
    labels: tuple[str, str] = ("a", "b"),
    sizes: ArrayLike | None = None,
    title: str | None = None,
) -> Figure:
    """Scatter of one value per organisation under two policies, with the line y = x.

    Parameters
    ----------
    a, b : array_like of float
        The values (e.g. chance of a downgrade) under policy a and policy b [probability].
    labels : (str, str)
        Axis labels for a and b.
    sizes : array_like of float, optional
        Colour the points by this (expected cases) [cases].
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    xa = np.asarray(a, dtype=float)
    yb = np.asarray(b, dtype=float)
    if xa.shape != yb.shape:
        raise ValueError("a and b must have one value per organisation each")
    fig = Figure(figsize=(5.5, 5), layout="constrained")
    ax = fig.add_subplot()
    lo = float(min(np.nanmin(xa), np.nanmin(yb), 0.0))
    hi = float(max(np.nanmax(xa), np.nanmax(yb)))
    ax.plot([lo, hi], [lo, hi], color="0.5", linewidth=0.8)
    points = ax.scatter(xa, yb, c=None if sizes is None else np.asarray(sizes, dtype=float), s=16)
    if sizes is not None:
        fig.colorbar(points, ax=ax, label="expected cases")
    ax.set_xlabel(labels[0])
    ax.set_ylabel(labels[1])
    if title:
        ax.set_title(title)
    return fig


def save(fig: Figure, path: str | os.PathLike[str]) -> Path:
    """Write a figure as PNG or SVG (by the suffix), atomically.

    The figure is rendered to a temporary file in the same folder, then renamed over
    ``path``, so a reader never sees a half-written file. SVG output carries no date and
    fixed element ids, so the same figure gives the same bytes.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    path : str or path-like
        Ends in ``.png`` or ``.svg``.

    Returns
    -------
    pathlib.Path
        The path written.
    """
    target = Path(path)
    fmt = _SUFFIXES.get(target.suffix.lower())
    if fmt is None:
        raise ValueError(f"{target.name}: a figure is saved as .png or .svg")
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=target.suffix, dir=target.parent)
    os.close(fd)
    try:
        metadata = {"Date": None} if fmt == "svg" else None
        with matplotlib.rc_context({"svg.hashsalt": "nhs-oversight"}):
            fig.savefig(tmp, format=fmt, metadata=metadata, dpi=150)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target
