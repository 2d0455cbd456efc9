"""Time as a dependency: services take a clock so tests can age payments and jobs."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """Timestamps read back from SQLite are naive (it stores no zone); they were written
    in UTC, so say so before comparing them with aware ones."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


# Dates a traveller reads (decision day, payment day) are Canadian Eastern dates: the
# service's deadlines are published in Eastern time.
SERVICE_TIMEZONE = ZoneInfo("America/Toronto")


def service_date(moment: datetime) -> date:
    return as_utc(moment).astimezone(SERVICE_TIMEZONE).date()
