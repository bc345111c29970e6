"""NHS periods: financial years (April–March), quarters and months.

The NHS financial year runs from 1 April to 31 March and is written ``2012-13``;
its quarters are ``2012-13-Q1`` (April–June) to ``2012-13-Q4`` (January–March);
months are written ``2012-07`` (RULES.md §0).

A month such as ``2009-10`` (October 2009) is spelled like a financial year
(2009-10), so :func:`parse_period` only accepts years and quarters; a month is parsed
only where a month is expected, with :meth:`Month.parse`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import total_ordering

__all__ = [
    "PeriodError",
    "FinancialYear",
    "Quarter",
    "Month",
    "Period",
    "parse_period",
]

_FY_RE = re.compile(r"^(\d{4})[-/](\d{2})$")
_QUARTER_RE = re.compile(r"^(\d{4})[-/](\d{2})[- ]?Q(\d)$", re.IGNORECASE)
_MONTH_RE = re.compile(r"^(\d{4})-(\d{1,2})$")

MIN_YEAR = 1948  # the NHS was founded on 5 July 1948
MAX_YEAR = 2100


class PeriodError(ValueError):
    """A period that cannot exist or is not written the way the contract says."""


def _check_year(year: int, text: str) -> None:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise PeriodError(f"{text!r}: year {year} is outside {MIN_YEAR}–{MAX_YEAR}")


@total_ordering
@dataclass(frozen=True, slots=True)
class FinancialYear:
    """An NHS financial year, 1 April ``start_year`` to 31 March ``start_year + 1``.

    Parameters
    ----------
    start_year : int
        The calendar year in which the financial year starts (2012 for ``2012-13``).
    """

    start_year: int

    @classmethod
    def parse(cls, text: str) -> FinancialYear:
        """Parse ``2012-13`` (``2012/13`` is accepted too)."""
        s = str(text).strip()
        m = _FY_RE.match(s)
        if not m:
            raise PeriodError(f"{text!r} is not a financial year; expected a form like 2012-13")
        start, end = int(m.group(1)), int(m.group(2))
        _check_year(start, s)
        if end != (start + 1) % 100:
            raise PeriodError(
                f"{text!r} is not a financial year: {start} must be followed by "
                f"{(start + 1) % 100:02d}, e.g. {start}-{(start + 1) % 100:02d}"
            )
        return cls(start)

    @classmethod
    def containing(cls, date: dt.date) -> FinancialYear:
        """The financial year that contains a calendar date."""
        return cls(date.year if date.month >= 4 else date.year - 1)

    def __str__(self) -> str:
        return f"{self.start_year}-{(self.start_year + 1) % 100:02d}"

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, FinancialYear):
            return NotImplemented
        return self.start_year < other.start_year

    def __add__(self, years: int) -> FinancialYear:
        return FinancialYear(self.start_year + years)

    def __sub__(self, years: int) -> FinancialYear:
        return FinancialYear(self.start_year - years)

    @property
    def start(self) -> dt.date:
        """1 April of the first year."""
        return dt.date(self.start_year, 4, 1)

    @property
    def end(self) -> dt.date:
        """31 March of the second year."""
        return dt.date(self.start_year + 1, 3, 31)

    @property
    def financial_year(self) -> FinancialYear:
        return self

    def quarters(self) -> list[Quarter]:
        return [Quarter(self, q) for q in (1, 2, 3, 4)]

    def months(self) -> list[Month]:
        return Month.of_year(self.start_year, 4).range(12)

    def contains(self, other: Period | Month | dt.date) -> bool:
        """Whether a quarter, month, date or year lies within this year."""
        if isinstance(other, dt.date):
            return FinancialYear.containing(other) == self
        return other.financial_year == self


@total_ordering
@dataclass(frozen=True, slots=True)
class Quarter:
    """A quarter of an NHS financial year: Q1 April–June … Q4 January–March.

    Parameters
    ----------
    year : FinancialYear
    number : int
        1 to 4.
    """

    year: FinancialYear
    number: int

    def __post_init__(self) -> None:
        if self.number not in (1, 2, 3, 4):
            raise PeriodError(f"quarter {self.number} does not exist; quarters are Q1–Q4")

    @classmethod
    def parse(cls, text: str) -> Quarter:
        """Parse ``2012-13-Q2``."""
        s = str(text).strip()
        m = _QUARTER_RE.match(s)
        if not m:
            raise PeriodError(f"{text!r} is not a quarter; expected a form like 2012-13-Q2")
        year = FinancialYear.parse(f"{m.group(1)}-{m.group(2)}")
        number = int(m.group(3))
        if number not in (1, 2, 3, 4):
            raise PeriodError(f"{text!r}: quarter Q{number} does not exist; quarters are Q1–Q4")
        return cls(year, number)

    @classmethod
    def containing(cls, date: dt.date) -> Quarter:
        return Month(date.year, date.month).quarter

    def __str__(self) -> str:
        return f"{self.year}-Q{self.number}"

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Quarter):
            return NotImplemented
        return (self.year, self.number) < (other.year, other.number)

    @property
    def _index(self) -> int:
        return self.year.start_year * 4 + self.number - 1

    @classmethod
    def _from_index(cls, index: int) -> Quarter:
        return cls(FinancialYear(index // 4), index % 4 + 1)

    def __add__(self, quarters: int) -> Quarter:
        return Quarter._from_index(self._index + quarters)

    def __sub__(self, quarters: int) -> Quarter:
        return Quarter._from_index(self._index - quarters)

    @property
    def financial_year(self) -> FinancialYear:
        return self.year

    def months(self) -> list[Month]:
        return Month.of_year(self.year.start_year, 4 + 3 * (self.number - 1)).range(3)

    def year_to_date_months(self) -> list[Month]:
        """The months from 1 April to the end of this quarter."""
        return self.year.months()[: 3 * self.number]

    @property
    def start(self) -> dt.date:
        return self.months()[0].start

    @property
    def end(self) -> dt.date:
        return self.months()[-1].end

    def contains(self, other: Month | dt.date) -> bool:
        if isinstance(other, dt.date):
            other = Month(other.year, other.month)
        return other.quarter == self


@total_ordering
@dataclass(frozen=True, slots=True)
class Month:
    """A calendar month, written ``2012-07``."""

    year: int
    month: int

    def __post_init__(self) -> None:
        if not 1 <= self.month <= 12:
            raise PeriodError(f"month {self.month} does not exist; months are 01–12")
        _check_year(self.year, f"{self.year}-{self.month:02d}")

    @classmethod
    def parse(cls, text: str) -> Month:
        """Parse ``2012-07``."""
        s = str(text).strip()
        m = _MONTH_RE.match(s)
        if not m:
            raise PeriodError(f"{text!r} is not a month; expected a form like 2012-07")
        year, month = int(m.group(1)), int(m.group(2))
        if not 1 <= month <= 12:
            raise PeriodError(f"{text!r}: month {month} does not exist; months are 01–12")
        _check_year(year, s)
        return cls(year, month)

    @classmethod
    def of_year(cls, year: int, month: int) -> Month:
        """Month ``month`` of calendar year ``year``, with months past 12 rolling over."""
        return cls(year + (month - 1) // 12, (month - 1) % 12 + 1)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Month):
            return NotImplemented
        return (self.year, self.month) < (other.year, other.month)

    def __add__(self, months: int) -> Month:
        return Month.of_year(self.year, self.month + months)

    def __sub__(self, months: int) -> Month:
        return Month.of_year(self.year, self.month - months)

    def range(self, count: int) -> list[Month]:
        """This month and the ``count - 1`` after it."""
        return [self + i for i in range(count)]

    def iter_to(self, last: Month) -> Iterator[Month]:
        """Every month from this one to ``last`` inclusive."""
        m = self
        while m <= last:
            yield m
            m = m + 1

    @property
    def financial_year(self) -> FinancialYear:
        return FinancialYear(self.year if self.month >= 4 else self.year - 1)

    @property
    def quarter(self) -> Quarter:
        return Quarter(self.financial_year, (self.month - 4) % 12 // 3 + 1)

    @property
    def start(self) -> dt.date:
        return dt.date(self.year, self.month, 1)

    @property
    def end(self) -> dt.date:
        return (self + 1).start - dt.timedelta(days=1)

    def contains(self, date: dt.date) -> bool:
        return (date.year, date.month) == (self.year, self.month)


Period = FinancialYear | Quarter


def parse_period(text: str) -> Period:
    """Parse a financial year (``2012-13``) or a quarter (``2012-13-Q2``).

    Months are not accepted here because ``2009-10`` would be ambiguous
    (October 2009 or the financial year 2009-10); use :meth:`Month.parse`.
    """
    s = str(text).strip()
    if "q" in s.lower():
        return Quarter.parse(s)
    return FinancialYear.parse(s)
