"""Forecast periods: fiscal quarters (`2026-Q4`) and calendar months (`2026-11`).

The fiscal year starts on the first day of `start_month` (1-12) and is named by the
calendar year in which it ends, as Salesforce does by default: with start month 2,
FY2027 runs from 1 Feb 2026 to 31 Jan 2027 and 2027-Q1 is Feb-Apr 2026. With start
month 1 fiscal and calendar years are the same. A month is always a calendar month.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

QUARTER, MONTH = "quarter", "month"
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")
_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
PERIOD_RULE = 'must be a fiscal quarter such as "2026-Q4" or a month such as "2026-11"'


@dataclass(frozen=True)
class Period:
    name: str
    kind: str  # quarter | month
    first_day: date
    last_day: date  # inclusive: a deal closing on it counts

    def __contains__(self, day: date) -> bool:
        return self.first_day <= day <= self.last_day


def _month_start(year: int, month: int) -> date:
    """The first day of `month` counted from January of `year` (months may run past 12)."""
    year, month = year + (month - 1) // 12, (month - 1) % 12 + 1
    return date(year, month, 1)


def _span(year: int, month: int, months: int) -> tuple[date, date]:
    first = _month_start(year, month)
    return first, _month_start(year, month + months) - timedelta(days=1)


def check_start_month(start_month: int) -> int:
    if isinstance(start_month, bool) or not isinstance(start_month, int) or not 1 <= start_month <= 12:
        raise ValueError("must be a month number from 1 to 12")
    return start_month


def fiscal_year_start(fiscal_year: int, start_month: int) -> date:
    """The first day of fiscal year `fiscal_year` (named by the calendar year it ends in)."""
    return date(fiscal_year if start_month == 1 else fiscal_year - 1, start_month, 1)


def parse(text: str, start_month: int = 1) -> Period:
    """The period `text` names; ValueError (saying what is accepted) otherwise."""
    check_start_month(start_month)
    if not isinstance(text, str):
        raise ValueError(PERIOD_RULE)
    text = text.strip().upper()
    if match := _QUARTER.match(text):
        year, quarter = int(match.group(1)), int(match.group(2))
        start = fiscal_year_start(year, start_month)
        return Period(text, QUARTER, *_span(start.year, start.month + 3 * (quarter - 1), 3))
    if match := _MONTH.match(text):
        return Period(text, MONTH, *_span(int(match.group(1)), int(match.group(2)), 1))
    raise ValueError(PERIOD_RULE)


def fiscal_year_of(day: date, start_month: int = 1) -> int:
    check_start_month(start_month)
    return day.year if start_month == 1 or day.month < start_month else day.year + 1


def quarter_of(day: date, start_month: int = 1) -> Period:
    """The fiscal quarter `day` falls in."""
    year = fiscal_year_of(day, start_month)
    months_in = (day.month - start_month) % 12
    return parse(f"{year}-Q{months_in // 3 + 1}", start_month)


def month_of(day: date) -> Period:
    return parse(f"{day.year}-{day.month:02d}")
