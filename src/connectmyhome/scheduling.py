"""Planning the single works day that every operator's crew can make.

The day is the earliest one that is a Belgian working day, that every operator declared
available, that the customer did not rule out, that lies in the customer's preferred period
when one was given, that no operator rejected in an earlier round, and that leaves the crews
their notice. Among those days, one inside the six-week promise is chosen when any exists;
otherwise the earliest later one, flagged as late, so that the case manager is told.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from . import working_days

# The joint service's promise: works at most six weeks after the request.
PROMISE = timedelta(weeks=6)
# Working days between the planning and the works day, for the crews and the permits.
NOTICE_WORKING_DAYS = 5


@dataclass(frozen=True)
class Plan:
    day: date | None
    within_promise: bool

    @property
    def found(self) -> bool:
        return self.day is not None


def plan_works_day(requested_on: date, today: date,
                   operator_days: dict[str, Iterable[date]],
                   unavailable: Iterable[date] = (),
                   preferred: tuple[date, date] | None = None,
                   rejected: Iterable[date] = (),
                   notice_working_days: int = NOTICE_WORKING_DAYS) -> Plan:
    """Return the planned works day, or a Plan without a day when no day fits."""
    if not operator_days:
        return Plan(day=None, within_promise=False)

    available = [set(days) for days in operator_days.values()]
    common = set.intersection(*available)
    earliest = working_days.add_working_days(today, notice_working_days)
    excluded = set(unavailable) | set(rejected)

    candidates = sorted(
        day for day in common
        if working_days.is_working_day(day)
        and day >= earliest
        and day not in excluded
        and (preferred is None or preferred[0] <= day <= preferred[1])
    )
    if not candidates:
        return Plan(day=None, within_promise=False)

    promise_end = requested_on + PROMISE
    day = candidates[0]
    return Plan(day=day, within_promise=day <= promise_end)
