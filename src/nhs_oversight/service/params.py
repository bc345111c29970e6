"""Periods as the command line and the API take them: text parsed, a period that cannot be
read refused as a usage error naming the parameter (``--year`` on the command line, ``year``
in the API). Light: no pandas or SQLAlchemy, so a usage error costs nothing to report."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from ..errors import UsageError
from ..periods import FinancialYear, Month, Period, PeriodError, Quarter, parse_period

__all__ = ["year", "quarter", "period", "month"]

T = TypeVar("T")


def _parsed(parse: Callable[[str], T], text: str, param: str) -> T:
    try:
        return parse(text)
    except PeriodError as exc:
        raise UsageError(str(exc), param=param) from None


def year(text: str, param: str) -> FinancialYear:
    """A financial year (``2012-13``)."""
    return _parsed(FinancialYear.parse, text, param)


def quarter(text: str, param: str) -> Quarter:
    """A financial-year quarter (``2012-13-Q2``)."""
    return _parsed(Quarter.parse, text, param)


def period(text: str, param: str) -> Period:
    """A financial year or a quarter."""
    return _parsed(parse_period, text, param)


def month(text: str, param: str) -> Month:
    """A month (``2012-07``)."""
    return _parsed(Month.parse, text, param)
