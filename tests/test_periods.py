"""Periods: parse, format, compare, step, contain; impossible values refused."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nhs_oversight.periods import FinancialYear, Month, PeriodError, Quarter, parse_period


def test_financial_year_parse_and_format() -> None:
    fy = FinancialYear.parse("2012-13")
    assert fy.start_year == 2012
    assert str(fy) == "2012-13"
    assert str(FinancialYear.parse("2012/13")) == "2012-13"
    assert str(FinancialYear.parse("1999-00")) == "1999-00"
    assert fy.start == dt.date(2012, 4, 1) and fy.end == dt.date(2013, 3, 31)


@pytest.mark.parametrize("text", ["2012-14", "2012-12", "2012", "12-13", "2012-13-", "", "abcd-ef", "1900-01"])
def test_financial_year_refuses_impossible(text: str) -> None:
    with pytest.raises(PeriodError):
        FinancialYear.parse(text)


def test_quarter_parse_months_and_dates() -> None:
    q = Quarter.parse("2012-13-Q2")
    assert (q.year.start_year, q.number) == (2012, 2)
    assert str(q) == "2012-13-Q2"
    assert [str(m) for m in q.months()] == ["2012-07", "2012-08", "2012-09"]
    assert q.start == dt.date(2012, 7, 1) and q.end == dt.date(2012, 9, 30)
    q4 = Quarter.parse("2012-13-Q4")
    assert [str(m) for m in q4.months()] == ["2013-01", "2013-02", "2013-03"]
    assert [str(m) for m in q.year_to_date_months()][0] == "2012-04"
    assert len(q4.year_to_date_months()) == 12


@pytest.mark.parametrize("text", ["2012-13-Q0", "2012-13-Q5", "2012-14-Q1", "2012-13-Q", "2012-Q1"])
def test_quarter_refuses_impossible(text: str) -> None:
    with pytest.raises(PeriodError):
        Quarter.parse(text)


def test_month_parse_and_boundaries() -> None:
    assert str(Month.parse("2012-07")) == "2012-07"
    assert str(Month.parse("2012-7")) == "2012-07"
    for text in ("2012-13", "2012-00", "2012-1a", "201207", "2012-07-01"):
        with pytest.raises(PeriodError):
            Month.parse(text)
    assert Month(2013, 3).financial_year == FinancialYear(2012)
    assert Month(2013, 4).financial_year == FinancialYear(2013)
    assert Month(2012, 12).quarter == Quarter.parse("2012-13-Q3")
    assert Month(2013, 1).quarter == Quarter.parse("2012-13-Q4")
    assert Month(2012, 2).end == dt.date(2012, 2, 29)


def test_stepping_and_comparison() -> None:
    assert Month(2012, 12) + 1 == Month(2013, 1)
    assert Month(2013, 1) - 1 == Month(2012, 12)
    assert Quarter.parse("2012-13-Q4") + 1 == Quarter.parse("2013-14-Q1")
    assert Quarter.parse("2013-14-Q1") - 1 == Quarter.parse("2012-13-Q4")
    assert FinancialYear(2012) + 1 == FinancialYear(2013)
    assert FinancialYear(2012) < FinancialYear(2013)
    assert Quarter.parse("2012-13-Q4") < Quarter.parse("2013-14-Q1")
    assert sorted([Month(2013, 1), Month(2012, 12)]) == [Month(2012, 12), Month(2013, 1)]
    assert list(Month(2012, 11).iter_to(Month(2013, 2))) == Month(2012, 11).range(4)


def test_contains() -> None:
    fy = FinancialYear(2012)
    assert fy.contains(Month(2013, 3)) and not fy.contains(Month(2013, 4))
    assert fy.contains(dt.date(2012, 4, 1)) and not fy.contains(dt.date(2012, 3, 31))
    assert fy.contains(Quarter.parse("2012-13-Q4"))
    assert Quarter.parse("2012-13-Q1").contains(dt.date(2012, 6, 30))
    assert not Quarter.parse("2012-13-Q1").contains(Month(2012, 7))
    assert Month(2012, 7).contains(dt.date(2012, 7, 31))


def test_parse_period_accepts_years_and_quarters_but_not_months() -> None:
    assert parse_period("2012-13") == FinancialYear(2012)
    assert parse_period("2012-13-Q2") == Quarter(FinancialYear(2012), 2)
    # "2009-10" is the financial year, never October 2009
    assert parse_period("2009-10") == FinancialYear(2009)
    with pytest.raises(PeriodError):
        parse_period("2012-07")


@given(st.integers(min_value=1950, max_value=2090), st.integers(min_value=1, max_value=12))
def test_month_round_trip_and_membership(year: int, month: int) -> None:
    m = Month(year, month)
    assert Month.parse(str(m)) == m
    assert m in m.financial_year.months()
    assert m in m.quarter.months()
    assert m.quarter in m.financial_year.quarters()
    assert FinancialYear.parse(str(m.financial_year)) == m.financial_year
    assert Quarter.parse(str(m.quarter)) == m.quarter
    assert (m + 12).financial_year == m.financial_year + 1


@given(st.integers(min_value=-500, max_value=500))
def test_quarter_steps_are_consistent(n: int) -> None:
    q = Quarter.parse("2012-13-Q2")
    assert (q + n) - n == q
    assert ((q + n) > q) == (n > 0)
