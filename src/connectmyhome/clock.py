"""The platform's notion of now: UTC instants, and calendar days in Brussels."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

BRUSSELS = ZoneInfo("Europe/Brussels")


def now() -> datetime:
    return datetime.now(UTC)


def today_in_brussels() -> date:
    return now().astimezone(BRUSSELS).date()


def isoformat(instant: datetime) -> str:
    """Format an instant as ISO 8601 UTC with milliseconds, so stored timestamps sort as text."""
    return instant.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
