"""Planning the works day, on a table of cases."""

from datetime import date, timedelta

import pytest

from connectmyhome.scheduling import plan_works_day
from connectmyhome.working_days import add_working_days, is_working_day

# A Monday, so that notice periods are easy to count by hand.
TODAY = date(2027, 3, 1)


def days(start: date, end: date) -> set[date]:
    return {start + timedelta(days=offset) for offset in range((end - start).days + 1)}


EVERY_DAY = days(date(2027, 1, 1), date(2027, 12, 31))


# Each holiday in a year where it falls on a weekday, so that only the holiday rule excludes it.
WEEKDAY_HOLIDAYS = [date(2027, 7, 21), date(2028, 8, 15), date(2027, 11, 1), date(2027, 11, 11),
                    date(2028, 12, 25), date(2027, 3, 29), date(2027, 5, 6), date(2027, 5, 17)]


@pytest.mark.parametrize(
    "holiday", WEEKDAY_HOLIDAYS,
    ids=["21 July", "15 August", "1 November", "11 November", "25 December",
         "Easter Monday", "Ascension", "Whit Monday"],
)
def test_holiday_never_chosen(holiday: date) -> None:
    start = holiday - timedelta(days=20)
    next_day = holiday + timedelta(days=1)

    plan = plan_works_day(requested_on=start, today=start,
                          operator_days={"ores": {holiday, next_day},
                                         "swde": {holiday, next_day}},
                          notice_working_days=0)

    assert holiday.weekday() < 5
    assert plan.day == next_day


@pytest.mark.parametrize(
    "holiday",
    [date(2027, 7, 21), date(2027, 11, 1), date(2027, 11, 11), date(2027, 3, 29),
     date(2028, 12, 25), date(2027, 8, 15)],
)
def test_holidays_are_not_working_days(holiday: date) -> None:
    assert not is_working_day(holiday)


def test_earliest_common_day_chosen() -> None:
    plan = plan_works_day(requested_on=TODAY, today=TODAY,
                          operator_days={"ores": {date(2027, 3, 10), date(2027, 3, 12)},
                                         "swde": {date(2027, 3, 11), date(2027, 3, 12)}})

    assert plan.day == date(2027, 3, 12)
    assert plan.within_promise


def test_weekend_skipped() -> None:
    saturday = date(2027, 3, 13)

    plan = plan_works_day(requested_on=TODAY, today=TODAY,
                          operator_days={"ores": {saturday, date(2027, 3, 15)}})

    assert plan.day == date(2027, 3, 15)


def test_notice_respected() -> None:
    plan = plan_works_day(requested_on=TODAY, today=TODAY, operator_days={"ores": EVERY_DAY})

    assert plan.day == add_working_days(TODAY, 5)


def test_customer_unavailable_day_skipped() -> None:
    first = add_working_days(TODAY, 5)

    plan = plan_works_day(requested_on=TODAY, today=TODAY, operator_days={"ores": EVERY_DAY},
                          unavailable=[first])

    assert plan.day == add_working_days(first, 1)


def test_preferred_period_respected() -> None:
    preferred = (date(2027, 4, 5), date(2027, 4, 9))

    plan = plan_works_day(requested_on=TODAY, today=TODAY, operator_days={"ores": EVERY_DAY},
                          preferred=preferred)

    assert plan.day == date(2027, 4, 5)


def test_rejected_day_not_proposed_again() -> None:
    first = add_working_days(TODAY, 5)

    plan = plan_works_day(requested_on=TODAY, today=TODAY, operator_days={"ores": EVERY_DAY},
                          rejected=[first])

    assert plan.day == add_working_days(first, 1)


def test_no_common_day_gives_none() -> None:
    plan = plan_works_day(requested_on=TODAY, today=TODAY,
                          operator_days={"ores": {date(2027, 3, 15)},
                                         "swde": {date(2027, 3, 16)}})

    assert not plan.found


def test_late_day_flagged() -> None:
    late = TODAY + timedelta(weeks=7)

    plan = plan_works_day(requested_on=TODAY, today=TODAY,
                          operator_days={"ores": {late}, "swde": {late}})

    assert plan.day == late
    assert not plan.within_promise


def test_day_within_promise_preferred_over_none() -> None:
    plan = plan_works_day(requested_on=TODAY, today=TODAY, operator_days={"ores": EVERY_DAY,
                                                                          "voo": EVERY_DAY})

    assert plan.within_promise
    assert plan.day <= TODAY + timedelta(weeks=6)


def test_no_operator_gives_none() -> None:
    assert not plan_works_day(requested_on=TODAY, today=TODAY, operator_days={}).found


def test_deterministic() -> None:
    arguments = {"requested_on": TODAY, "today": TODAY,
                 "operator_days": {"ores": EVERY_DAY, "swde": EVERY_DAY}}

    assert plan_works_day(**arguments) == plan_works_day(**arguments)
