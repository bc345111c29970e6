"""The rulebook's metric formulas, evaluated safely and exactly.

Every number comes from the rulebook, metric definitions included: a metric is the
rulebook value ``<metric>_formula`` (figures of ``financials.csv``, numbers, ``+ - * /``
and brackets), evaluated in :class:`~decimal.Decimal` so that a value exactly at a
threshold is at it, and a weighted average of exactly x.5 rounds as the rulebook says.

Division by zero: a formula that divides by zero or by a negative amount (no income, no
assets, a negative plan) has no meaning; the metric is *undefined* (``None`` here, with
the reason), and the rulebook's ``metric_if_undefined`` scores it (see
:func:`~nhs_oversight.rules.finance.scorecard.score_metric`). A rating never fails on
such figures.

The formula text is parsed with :mod:`ast` and only names, numbers, the four operations,
unary signs and brackets are allowed: a rulebook cannot run code.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Mapping
from decimal import Decimal
from functools import lru_cache
from typing import Any

__all__ = ["FormulaError", "evaluate_formula"]


class FormulaError(ValueError):
    """A rulebook value the rules cannot use: a formula that cannot be read, a table
    whose lengths or order do not fit, an unknown option."""


def _fmt(x: Decimal | float | None, places: int = 2) -> str:
    """A number for a text, with thousands separators: 1234.5 → ``1,234.50``; None → ``–``."""
    if x is None:
        return "–"
    return f"{Decimal(str(x)):,.{places}f}"


def _dec(x: Any) -> Decimal | None:
    """A figure as an exact decimal; missing (None, NaN) as None."""
    if x is None:
        return None
    if isinstance(x, Decimal):
        return x
    try:
        f = float(x)
    except (TypeError, ValueError):
        return None
    if math.isnan(f):
        return None
    return Decimal(str(x)) if isinstance(x, (int, str)) else Decimal(repr(f))


class _Undefined(Exception):
    """A formula that divides by zero or a negative amount, or lacks a figure."""

    def __init__(self, why: str) -> None:
        super().__init__(why)
        self.why = why


_ALLOWED = (
    ast.Expression,
    ast.BinOp,
    ast.UnaryOp,
    ast.Constant,
    ast.Name,
    ast.Load,
    ast.Add,
    ast.Sub,
    ast.Mult,
    ast.Div,
    ast.USub,
    ast.UAdd,
)


@lru_cache(maxsize=512)
def _parse(text: str) -> ast.Expression:
    try:
        tree = ast.parse(str(text), mode="eval")
    except SyntaxError:
        raise FormulaError(f"formula {text!r} cannot be read; write figures, numbers, + - * / and brackets") from None
    for node in ast.walk(tree):
        if not isinstance(node, _ALLOWED):
            raise FormulaError(
                f"formula {text!r}: {type(node).__name__} is not allowed; use figures, numbers, + - * / and brackets"
            )
        if isinstance(node, ast.Constant) and (
            isinstance(node.value, bool) or not isinstance(node.value, (int, float))
        ):
            raise FormulaError(f"formula {text!r}: {node.value!r} is not a number")
    return tree


def _figure_names(text: str) -> list[str]:
    """The figures a formula reads, in the order it writes them."""
    found = sorted((n.col_offset, n.id) for n in ast.walk(_parse(text)) if isinstance(n, ast.Name))
    return list(dict.fromkeys(name for _, name in found))


def _eval(node: ast.AST, figures: Mapping[str, Decimal | None], text: str) -> Decimal:
    if isinstance(node, ast.Expression):
        return _eval(node.body, figures, text)
    if isinstance(node, ast.Constant):
        return Decimal(str(node.value))
    if isinstance(node, ast.Name):
        if node.id not in figures:
            known = ", ".join(sorted(figures))
            raise FormulaError(f"formula {text!r} uses {node.id!r}, which is not a figure of financials.csv ({known})")
        value = figures[node.id]
        if value is None:
            raise _Undefined(f"{node.id} is missing")
        return value
    if isinstance(node, ast.UnaryOp):
        inner = _eval(node.operand, figures, text)
        return -inner if isinstance(node.op, ast.USub) else inner
    assert isinstance(node, ast.BinOp)
    left = _eval(node.left, figures, text)
    right = _eval(node.right, figures, text)
    if isinstance(node.op, ast.Add):
        return left + right
    if isinstance(node.op, ast.Sub):
        return left - right
    if isinstance(node.op, ast.Mult):
        return left * right
    if right <= 0:
        what = "zero" if right == 0 else f"a negative amount ({_fmt(right)})"
        raise _Undefined(f"it divides by {ast.unparse(node.right)} = {what}")
    return left / right


def _evaluate(text: str, figures: Mapping[str, Decimal | None]) -> tuple[Decimal | None, str]:
    """A formula's value over exact figures, and why it is undefined (``""`` when defined)."""
    try:
        return _eval(_parse(text), figures, text), ""
    except _Undefined as exc:
        return None, exc.why


def evaluate_formula(text: str, figures: Mapping[str, Any]) -> Decimal | None:
    """Evaluate a rulebook formula in exact decimal arithmetic.

    Parameters
    ----------
    text : str
        E.g. ``"100 * ebitda / operating_income"``: figure names, numbers, ``+ - * /``
        and brackets.
    figures : mapping
        Figure name → value [GBP thousands, or as the figure is measured].

    Returns
    -------
    Decimal or None
        None when the formula divides by zero or a negative amount, or a figure is missing.

    Raises
    ------
    FormulaError
        When the formula cannot be read or names an unknown figure.
    """
    return _evaluate(text, {k: _dec(v) for k, v in figures.items()})[0]
