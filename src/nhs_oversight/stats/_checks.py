"""Argument checks shared by the statistics modules."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray


def choice(name: str, value: object, allowed: tuple[str, ...]) -> str:
    """``value`` if it is one of ``allowed``; a ValueError naming the choices otherwise."""
    if not isinstance(value, str) or value not in allowed:
        raise ValueError(f"{name}={value!r} is not known; use one of {', '.join(map(repr, allowed))}")
    return value


def nonneg(value: ArrayLike, name: str) -> NDArray[np.float64]:
    """Finite, non-negative floats."""
    v = np.asarray(value, dtype=float)
    if not np.all(np.isfinite(v)) or np.any(v < 0):
        raise ValueError(f"{name} must be finite and non-negative")
    return v


def counts(value: ArrayLike, name: str = "count") -> NDArray[np.float64]:
    """Non-negative whole numbers as floats (R's tolerance of 1e-7 for 'whole')."""
    x = nonneg(value, name)
    xr = np.round(x)
    if np.any(np.abs(x - xr) > 1e-7):
        raise ValueError(f"{name} must be whole numbers of cases")
    return xr


def out(a: NDArray[np.float64]) -> NDArray[np.float64]:
    """A 0-d result as a NumPy scalar, anything else unchanged."""
    a = np.asarray(a)
    return a[()] if a.ndim == 0 else a


def levels_of(levels: float | Sequence[float]) -> tuple[float, ...]:
    """Two-sided levels as a tuple, each strictly between 0 and 1."""
    result = tuple(float(v) for v in np.atleast_1d(np.asarray(levels, dtype=float)))
    if not result or any(not 0 < v < 1 for v in result):
        raise ValueError(f"levels={levels!r}: each must lie strictly between 0 and 1 (0.95, 0.998)")
    return result


def level_label(level: float) -> str:
    """A level as a column suffix: per cent without the point (0.95 -> "95", 0.998 -> "998")."""
    return f"{level * 100:.10g}".replace(".", "")
