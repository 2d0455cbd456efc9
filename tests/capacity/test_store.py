"""The calendar and the scaling history on both backends."""

from __future__ import annotations

import datetime as dt

from northgate.capacity.calendar import Event
from northgate.capacity.store import Calendar, Scaling, record_scaling, scaling_history
from northgate.storage.db import Database

T0 = dt.datetime(2016, 11, 8, 23, tzinfo=dt.UTC)


async def test_calendar_crud(database_url: str) -> None:
    database = Database(database_url)
    calendar = Calendar(database)
    try:
        first = await calendar.add(Event("Election", T0, T0 + dt.timedelta(hours=4), 12, True), T0)
        second = await calendar.add(Event("Deadline", T0 - dt.timedelta(days=1), T0, 3), T0)
        assert first.id is not None and second.id is not None
        assert [e.name for e in await calendar.events()] == ["Deadline", "Election"]
        assert [e.name for e in await calendar.events(ending_after=T0)] == ["Election"]
        changed = Event("Election night", first.starts_at, first.ends_at, 15, False)
        assert await calendar.update(first.id, changed) == Event(
            "Election night", first.starts_at, first.ends_at, 15, False, first.id
        )
        assert await calendar.get(first.id) == Event(
            "Election night", first.starts_at, first.ends_at, 15, False, first.id
        )
        assert await calendar.update(10_000, changed) is None
        assert await calendar.remove(second.id)
        assert not await calendar.remove(second.id)
        assert await calendar.get(second.id) is None
    finally:
        await database.close()


async def test_scaling_history_newest_first(database_url: str) -> None:
    database = Database(database_url)
    try:
        assert await scaling_history(database) == []
        await record_scaling(database, Scaling(T0, 3, 6, 48.0, "forecast peak", "northgate scale"))
        await record_scaling(database, Scaling(T0 + dt.timedelta(hours=9), 6, 4, None, "x" * 300))
        history = await scaling_history(database)
        assert [(s.nodes_before, s.nodes_after) for s in history] == [(6, 4), (3, 6)]
        assert history[1] == Scaling(T0, 3, 6, 48.0, "forecast peak", "northgate scale")
        assert len(history[0].reason) == 200
        assert await scaling_history(database, limit=1) == history[:1]
    finally:
        await database.close()
