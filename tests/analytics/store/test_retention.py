"""Retention: minute rows go after their retention, their hours stay; old hours go too."""

from __future__ import annotations

from collections.abc import Callable

from northgate.analytics.capture.aggregate import SketchKey
from northgate.analytics.capture.dimensions import ArrivalKey
from northgate.analytics.capture.hll import Sketch
from northgate.analytics.runtime import DAY, Analytics
from northgate.analytics.store.delta import Delta
from northgate.settings import Settings
from northgate.storage.db import Database

NOW = 1_900_000_000


async def test_minutes_roll_up_to_hours_and_both_expire(
    make_settings: Callable[..., Settings], database_url: str
) -> None:
    settings = make_settings(
        database_url=database_url,
        analytics_minute_retention_days=8,
        analytics_hour_retention_days=30,
    )
    analytics = Analytics(settings, Database(database_url), clock=lambda: NOW)
    sql = analytics.sql
    for days_ago, batch in ((1, "recent"), (10, "older"), (40, "oldest")):
        minute = (NOW - days_ago * DAY) // 60
        key = ArrivalKey(minute, "eta", "en", "US", "served", False)
        sketch = Sketch.of([12345678901234567 * days_ago])
        await sql.apply(
            Delta(batch, {key: 5}, {SketchKey("minute", minute, "all", ""): sketch}), NOW
        )
    await analytics.housekeeping(NOW)

    everything = (0, NOW + 1)
    minutes = await sql.counts("minute", *everything)
    hours = await sql.counts("hour", *everything)
    assert sorted(NOW // 86_400 - k.minute // 1440 for k in minutes) == [1]
    assert sorted((NOW // 3600 - k.minute) // 24 for k in hours) == [1, 10]
    assert sum(hours.values()) == 10
    assert len(await sql.sketches("minute", *everything)) == 1
    await sql.database.close()
