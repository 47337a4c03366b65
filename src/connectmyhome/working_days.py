"""Working days in Belgium: no Saturday, no Sunday, no Belgian public holiday.

Public holidays come from the `holidays` package (Belgium: New Year, Easter Monday, 1 May,
Ascension, Whit Monday, 21 July, 15 August, 1 and 11 November, Christmas).
"""

from datetime import date, timedelta
from functools import cache

import holidays


@cache
def _belgian_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("BE", years=year))


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _belgian_holidays(day.year)


def add_working_days(start: date, count: int) -> date:
    """Return the day `count` working days after `start` (start itself not counted)."""
    day = start
    remaining = count
    while remaining > 0:
        day += timedelta(days=1)
        if is_working_day(day):
            remaining -= 1
    return day
