"""Fiscal quarters and months: fiscal year start months, boundaries, bad names."""
from datetime import date

import pytest

from tandem_forecast.domain.periods import MONTH, QUARTER, fiscal_year_of, month_of, parse, quarter_of


@pytest.mark.parametrize("name, start_month, first, last", [
    ("2026-Q1", 1, date(2026, 1, 1), date(2026, 3, 31)),
    ("2026-Q4", 1, date(2026, 10, 1), date(2026, 12, 31)),
    # start month 2: FY2027 = Feb 2026 .. Jan 2027 (named by the year it ends in)
    ("2027-Q1", 2, date(2026, 2, 1), date(2026, 4, 30)),
    ("2027-Q4", 2, date(2026, 11, 1), date(2027, 1, 31)),
    # start month 4 (April, as in the UK and Japan): FY2027 = Apr 2026 .. Mar 2027
    ("2027-Q1", 4, date(2026, 4, 1), date(2026, 6, 30)),
    ("2027-Q3", 4, date(2026, 10, 1), date(2026, 12, 31)),
    ("2027-Q4", 4, date(2027, 1, 1), date(2027, 3, 31)),
    # start month 12: a quarter ending in a leap February
    ("2024-Q1", 12, date(2023, 12, 1), date(2024, 2, 29)),
    ("2024-Q4", 12, date(2024, 9, 1), date(2024, 11, 30)),
])
def test_quarters_follow_the_fiscal_year_start(name, start_month, first, last):
    period = parse(name, start_month)
    assert (period.kind, period.first_day, period.last_day) == (QUARTER, first, last)


@pytest.mark.parametrize("name, first, last", [
    ("2026-11", date(2026, 11, 1), date(2026, 11, 30)),
    ("2026-12", date(2026, 12, 1), date(2026, 12, 31)),
    ("2028-02", date(2028, 2, 1), date(2028, 2, 29)),
    ("2027-02", date(2027, 2, 1), date(2027, 2, 28)),
])
def test_months_are_calendar_months_whatever_the_fiscal_start(name, first, last):
    for start_month in (1, 2, 7):
        period = parse(name, start_month)
        assert (period.kind, period.first_day, period.last_day) == (MONTH, first, last)


def test_boundary_days_belong_to_exactly_one_quarter():
    for start_month in range(1, 13):
        quarters = [parse(f"2026-Q{q}", start_month) for q in (1, 2, 3, 4)]
        assert quarters[0].first_day.month == start_month
        for before, after in zip(quarters, quarters[1:]):
            assert (after.first_day - before.last_day).days == 1
        assert (parse("2027-Q1", start_month).first_day - quarters[3].last_day).days == 1
        assert quarters[0].last_day not in quarters[1] and quarters[1].first_day in quarters[1]


@pytest.mark.parametrize("day, start_month, quarter, year", [
    (date(2026, 1, 1), 1, "2026-Q1", 2026),
    (date(2026, 12, 31), 1, "2026-Q4", 2026),
    (date(2026, 1, 31), 2, "2026-Q4", 2026),
    (date(2026, 2, 1), 2, "2027-Q1", 2027),
    (date(2026, 11, 15), 10, "2027-Q1", 2027),
    (date(2026, 9, 30), 10, "2026-Q4", 2026),
])
def test_the_quarter_and_fiscal_year_of_a_day(day, start_month, quarter, year):
    assert quarter_of(day, start_month).name == quarter
    assert day in quarter_of(day, start_month)
    assert fiscal_year_of(day, start_month) == year
    assert month_of(day).name == f"{day.year}-{day.month:02d}"


@pytest.mark.parametrize("text", ["2026-Q5", "2026-Q0", "2026-13", "2026-00", "2026", "Q4-2026", "26-Q4", "2026-1",
                                  "", None, 2026])
def test_bad_period_names_say_what_is_accepted(text):
    with pytest.raises(ValueError, match="2026-Q4"):
        parse(text)


def test_lower_case_and_spaces_are_accepted():
    assert parse(" 2026-q4 ").name == "2026-Q4"


@pytest.mark.parametrize("start_month", [0, 13, "1", True, None])
def test_the_start_month_is_1_to_12(start_month):
    with pytest.raises(ValueError, match="1 to 12"):
        parse("2026-Q1", start_month)
