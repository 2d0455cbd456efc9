"""The event calendar and the scaling history in the database.

``record_scaling`` is how ``northgate scale`` reports a change of the number of nodes; the
ops page reads the history and takes the latest row's ``nodes_after`` as the nodes running.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import delete, select

from northgate.capacity.calendar import Event
from northgate.capacity.models import CalendarEvent, ScalingEvent
from northgate.storage.db import Database


def _utc(seconds: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(seconds, dt.UTC)


def _event(row: CalendarEvent) -> Event:
    return Event(
        row.name, _utc(row.starts_at), _utc(row.ends_at), row.multiplier, row.pre_queue, row.id
    )


class Calendar:
    def __init__(self, database: Database) -> None:
        self.database = database

    async def events(self, *, ending_after: dt.datetime | None = None) -> list[Event]:
        query = select(CalendarEvent).order_by(CalendarEvent.starts_at, CalendarEvent.id)
        if ending_after is not None:
            query = query.where(CalendarEvent.ends_at > int(ending_after.timestamp()))
        async with self.database.session() as session:
            rows = (await session.scalars(query)).all()
        return [_event(row) for row in rows]

    async def get(self, event_id: int) -> Event | None:
        async with self.database.session() as session:
            row = await session.get(CalendarEvent, event_id)
        return _event(row) if row is not None else None

    async def add(self, event: Event, now: dt.datetime) -> Event:
        row = CalendarEvent(
            name=event.name,
            starts_at=int(event.starts_at.timestamp()),
            ends_at=int(event.ends_at.timestamp()),
            multiplier=event.multiplier,
            pre_queue=event.pre_queue,
            created_at=int(now.timestamp()),
        )
        async with self.database.session() as session:
            session.add(row)
            await session.commit()
            return _event(row)

    async def update(self, event_id: int, event: Event) -> Event | None:
        async with self.database.session() as session:
            row = await session.get(CalendarEvent, event_id)
            if row is None:
                return None
            row.name = event.name
            row.starts_at = int(event.starts_at.timestamp())
            row.ends_at = int(event.ends_at.timestamp())
            row.multiplier = event.multiplier
            row.pre_queue = event.pre_queue
            await session.commit()
            return _event(row)

    async def remove(self, event_id: int) -> bool:
        async with self.database.session() as session:
            result = await session.execute(
                delete(CalendarEvent).where(CalendarEvent.id == event_id)
            )
            await session.commit()
        return bool(getattr(result, "rowcount", 0))


@dataclass(frozen=True)
class Scaling:
    """One change of the number of nodes."""

    at: dt.datetime
    nodes_before: int
    nodes_after: int
    provisioning_seconds: float | None = None
    reason: str = ""
    actor: str = ""


async def record_scaling(database: Database, scaling: Scaling) -> None:
    """Append ``scaling`` to the history (called by ``northgate scale``)."""
    async with database.session() as session:
        session.add(
            ScalingEvent(
                at=int(scaling.at.timestamp()),
                nodes_before=scaling.nodes_before,
                nodes_after=scaling.nodes_after,
                provisioning_seconds=scaling.provisioning_seconds,
                reason=scaling.reason[:200],
                actor=scaling.actor[:64],
            )
        )
        await session.commit()


async def scaling_history(database: Database, limit: int = 20) -> list[Scaling]:
    """The latest changes, newest first."""
    query = select(ScalingEvent).order_by(ScalingEvent.at.desc(), ScalingEvent.id.desc())
    async with database.session() as session:
        rows = (await session.scalars(query.limit(limit))).all()
    return [
        Scaling(
            _utc(r.at), r.nodes_before, r.nodes_after, r.provisioning_seconds, r.reason, r.actor
        )
        for r in rows
    ]
