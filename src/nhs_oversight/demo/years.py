"""The periods the demo data set covers: financial years 2008-09 to 2013-14."""

from __future__ import annotations

from typing import Final

from nhs_oversight.periods import FinancialYear, Month

FIRST_YEAR: Final[int] = 2008  # financial year 2008-09
LAST_YEAR: Final[int] = 2013  # financial year 2013-14
#: Every financial year of the data set, oldest first.
YEARS: Final[tuple[FinancialYear, ...]] = tuple(FinancialYear(y) for y in range(FIRST_YEAR, LAST_YEAR + 1))
N_YEARS: Final[int] = len(YEARS)
#: Clinical commissioning groups replace primary care trusts from 1 April 2013.
CCG_FIRST_YEAR: Final[FinancialYear] = FinancialYear(2013)


def years_from(first: int) -> list[FinancialYear]:
    """The data set's financial years from the one starting in April ``first`` on."""
    return [y for y in YEARS if y.start_year >= first]


def months() -> list[Month]:
    """Every month of the data set, April 2008 to March 2014."""
    return [m for year in YEARS for m in year.months()]
