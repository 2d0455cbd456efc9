"""The capacity picture for the ops page and its API: arrivals from the analytics store,
the calendar and the scaling history from the database, put through the forecaster.

Capacity = nodes running x what one node sustains. Nodes running: the latest row
``northgate scale`` wrote to ``scaling_events``, else the ``capacity_nodes`` setting. Per
node: the ``capacity_node_arrivals_per_minute`` setting (a measurement; see settings).
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from northgate.analytics.capture.dimensions import HOUR, MINUTE
from northgate.analytics.report.periods import weeks_before
from northgate.analytics.store.reading import Reader
from northgate.capacity.advice import (
    EventAdvice,
    ForecastAdvice,
    all_event_advice,
    forecast_advice,
    week_profile,
)
from northgate.capacity.alerts import Alerts, active_alerts
from northgate.capacity.calendar import Event, multipliers, upcoming
from northgate.capacity.early_warning import Warning, warnings_of
from northgate.capacity.forecast import HISTORY_MINUTES, HORIZON_MINUTES, Forecast, forecast
from northgate.capacity.store import Calendar, Scaling, scaling_history
from northgate.settings import Settings
from northgate.storage.db import Database


@dataclass(frozen=True)
class Overview:
    now: dt.datetime
    nodes: int
    nodes_from: str  # "scaling history" | "setting"
    per_node: float
    provisioning: dt.timedelta
    forecast: Forecast
    recent: tuple[float, ...]  # arrivals per minute before now, for the chart
    advice: ForecastAdvice
    events: tuple[EventAdvice, ...]
    warnings: tuple[Warning, ...]
    alerts: Alerts
    history: tuple[Scaling, ...]

    @property
    def capacity(self) -> float:
        return self.forecast.capacity


class CapacityService:
    def __init__(self, reader: Reader, database: Database, settings: Settings) -> None:
        self.reader = reader
        self.calendar = Calendar(database)
        self.database = database
        self.settings = settings
        self.timezone = ZoneInfo(settings.analytics_timezone)
        # One forecast a minute: the page refreshes itself every minute and its chart
        # exports ask again; fitting costs a tenth of a second or more of CPU. A change to
        # the calendar drops it.
        self._latest: Overview | None = None

    async def _per_minute(self, start: dt.datetime, minutes: int) -> list[float]:
        first = int(start.timestamp()) // MINUTE * MINUTE
        counts = await self.reader.counts("minute", first, first + minutes * MINUTE)
        out = [0.0] * minutes
        base = first // MINUTE
        for key, n in counts.items():
            i = key.minute - base
            if 0 <= i < minutes:
                out[i] += n
        return out

    async def _profile(self, now: dt.datetime) -> dict[tuple[int, int], float]:
        end = int(now.timestamp()) // HOUR * HOUR
        counts = await self.reader.counts("hour", end - 7 * 24 * HOUR, end)
        hourly: dict[dt.datetime, float] = defaultdict(float)
        for key, n in counts.items():
            hourly[dt.datetime.fromtimestamp(key.minute * HOUR, dt.UTC)] += n
        return week_profile(hourly, self.timezone)

    async def overview(self, now: dt.datetime) -> Overview:
        # The minute still filling is left out: it would read as a sudden drop.
        now = dt.datetime.fromtimestamp(int(now.timestamp()) // MINUTE * MINUTE, dt.UTC)
        latest = self._latest
        if latest is not None and latest.now == now:
            return latest
        self._latest = await self._overview(now)
        return self._latest

    async def _overview(self, now: dt.datetime) -> Overview:
        settings = self.settings
        start = now - dt.timedelta(minutes=HISTORY_MINUTES)
        total = HISTORY_MINUTES + HORIZON_MINUTES
        recent = await self._per_minute(start, HISTORY_MINUTES)
        last_week = await self._per_minute(weeks_before(start, 1, self.timezone), total)
        events = upcoming(await self.calendar.events(ending_after=start), start)
        history = await scaling_history(self.database)
        nodes = history[0].nodes_after if history else settings.capacity_nodes
        per_node = settings.capacity_node_arrivals_per_minute
        provisioning = dt.timedelta(seconds=settings.capacity_provisioning_seconds)
        profile = await self._profile(now)
        calendar = multipliers(events, start, total)
        predicted = await asyncio.to_thread(
            lambda: forecast(
                now=now,
                recent=recent,
                last_week=last_week,
                multipliers=calendar,
                capacity=nodes * per_node,
            )
        )
        ahead = [e for e in events if e.ends_at > now]
        event_advice = all_event_advice(
            ahead,
            profile=profile,
            tz=self.timezone,
            per_node=per_node,
            nodes_now=nodes,
            provisioning=provisioning,
            forecast=predicted,
        )
        return Overview(
            now=now,
            nodes=nodes,
            nodes_from="scaling history" if history else "setting",
            per_node=per_node,
            provisioning=provisioning,
            forecast=predicted,
            recent=tuple(recent),
            advice=forecast_advice(
                predicted, per_node=per_node, nodes_now=nodes, provisioning=provisioning
            ),
            events=tuple(event_advice),
            warnings=tuple(warnings_of(predicted, provisioning, event_advice)),
            alerts=await active_alerts(settings.ops_alertmanager_url),
            history=tuple(history),
        )

    async def events(self) -> list[Event]:
        return await self.calendar.events()

    async def add_event(self, event: Event, now: dt.datetime) -> Event:
        self._latest = None
        return await self.calendar.add(event, now)

    async def update_event(self, event_id: int, event: Event) -> Event | None:
        self._latest = None
        return await self.calendar.update(event_id, event)

    async def remove_event(self, event_id: int) -> bool:
        self._latest = None
        return await self.calendar.remove(event_id)
