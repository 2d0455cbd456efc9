"""Time as a dependency: handlers, jobs, payments and analytics take a clock (given once, to
northgate.composition.build), so tests can age payments, sessions and jobs without waiting.

Two shapes, because two kinds of code ask: business time as an aware UTC ``datetime``
(:data:`Clock`, stored and compared with database timestamps), and Unix seconds as a
``float`` (:data:`UnixClock`) on the hot paths of the gate and the analytics tap, where a
``datetime`` per request would cost more than the work it times. Durations are measured
with ``time.monotonic`` / ``perf_counter`` and are not a clock in this sense.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, date, datetime

from northgate.core.zone import SERVICE_TIMEZONE

Clock = Callable[[], datetime]
UnixClock = Callable[[], float]

# The real clocks; anything with the same signature can stand in for them.
unix_now: UnixClock = time.time


def utc_now() -> datetime:
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """Timestamps read back from SQLite are naive (it stores no zone); they were written
    in UTC, so say so before comparing them with aware ones."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def service_date(moment: datetime) -> date:
    """The calendar day ``moment`` falls on in the service's time zone."""
    return as_utc(moment).astimezone(SERVICE_TIMEZONE).date()
