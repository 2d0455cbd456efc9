"""Arrivals written straight into the analytics store, for the capacity page's tests: the
last hours at some rate and the same minutes a week earlier at another."""

from __future__ import annotations

import datetime as dt

from northgate.analytics.capture.dimensions import ArrivalKey
from northgate.analytics.runtime import Analytics
from northgate.analytics.store.delta import Delta

# A Tuesday, 17:00 in Ottawa.
NOW = dt.datetime(2026, 11, 10, 22, 0, tzinfo=dt.UTC)
WEEK_MINUTES = 7 * 24 * 60


async def write_minutes(
    analytics: Analytics,
    first: dt.datetime,
    minutes: int,
    per_minute: int,
    batch: str,
    *,
    rising_from: int | None = None,
) -> None:
    """``per_minute`` arrivals each minute, or rising steadily from ``rising_from`` to it."""
    start = int(first.timestamp()) // 60
    low = per_minute if rising_from is None else rising_from
    counts = {
        ArrivalKey(start + i, "eta", "en", "CA", "served", False): round(
            low + (per_minute - low) * (i + 1) / minutes
        )
        for i in range(minutes)
    }
    await analytics.sql.apply(Delta(batch, counts), 0)


async def fill(
    analytics: Analytics,
    *,
    now_per_minute: int,
    last_week_per_minute: int,
    rising_from: int | None = None,
) -> None:
    """Three hours up to NOW at ``now_per_minute`` (or rising to it); last week, from three
    hours before to twelve after, at ``last_week_per_minute``."""
    await write_minutes(
        analytics, NOW - dt.timedelta(hours=3), 180, now_per_minute, "now", rising_from=rising_from
    )
    week = NOW - dt.timedelta(days=7)
    await write_minutes(
        analytics, week - dt.timedelta(hours=3), 15 * 60, last_week_per_minute, "lw"
    )
