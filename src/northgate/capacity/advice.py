"""Turning the forecast and the calendar into what to do: how many nodes, by when, and a
pre-queue before an event. Pure code.

Nodes needed = peak arrivals per minute / 80 % of what one node sustains, rounded up (the
arithmetic of ``northgate scale``, northgate.scaling.advice): for the
forecast, its expected peak and the interval's upper bound; for an event, last week's
busiest hour in the same hours of the week times the event's multiplier (or the forecast
there, if higher and within the horizon). Scale by: the event's start less the time it takes
to add a node (measured by ``northgate scale``; a setting until then).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from northgate.capacity.calendar import Event
from northgate.capacity.forecast import Forecast
from northgate.scaling.advice import nodes_needed

# (weekday, hour) in the operators' time zone -> arrivals in that hour, last seven days.
WeekProfile = Mapping[tuple[int, int], float]


def nodes_for(per_minute: float, per_node: float) -> int:
    """Nodes that serve ``per_minute`` arrivals with the headroom `northgate scale` keeps
    (northgate.scaling.advice: each node at most at 80 %, where 2016's alert fired), at
    least one: the ops page and the command give the same advice for the same peak."""
    return nodes_needed(per_minute, per_node)


@dataclass(frozen=True)
class ForecastAdvice:
    nodes_now: int
    nodes_expected: int  # for the forecast's expected peak
    nodes_upper: int  # for its upper bound: enough in all but the unlikely case
    peak_at: dt.datetime | None
    # Latest moment to decide, so new nodes serve before saturation (None: no saturation
    # within the horizon).
    decide_by: dt.datetime | None


def forecast_advice(
    forecast: Forecast, *, per_node: float, nodes_now: int, provisioning: dt.timedelta
) -> ForecastAdvice:
    peak = forecast.peak
    expected = max(forecast.level, peak.expected if peak else 0.0)
    upper = max(forecast.level, max((p.high for p in forecast.points), default=0.0))
    earliest = forecast.saturation.earliest
    return ForecastAdvice(
        nodes_now=nodes_now,
        nodes_expected=nodes_for(expected, per_node),
        nodes_upper=nodes_for(upper, per_node),
        peak_at=peak.start if peak else None,
        decide_by=earliest - provisioning if earliest is not None else None,
    )


@dataclass(frozen=True)
class EventAdvice:
    event: Event
    baseline_per_minute: float  # last week's busiest hour of the window, per minute
    expected_per_minute: float
    nodes_needed: int
    nodes_now: int
    scale_by: dt.datetime
    # The gate's opens_at (Unix seconds) for a pre-queue until the event starts, and the
    # command that sets it (northgate.edge.gate's run-time limit, `northgate gate set`).
    opens_at: int | None

    @property
    def more_nodes(self) -> int:
        return max(0, self.nodes_needed - self.nodes_now)

    @property
    def gate_command(self) -> str | None:
        return None if self.opens_at is None else f"northgate gate set opens_at={self.opens_at}"


def week_profile(hourly: Mapping[dt.datetime, float], tz: ZoneInfo) -> dict[tuple[int, int], float]:
    """Arrivals per hour of the week from hourly counts (keyed by the hour's UTC start)."""
    out: dict[tuple[int, int], float] = {}
    for start, arrivals in hourly.items():
        local = start.astimezone(tz)
        key = (local.weekday(), local.hour)
        out[key] = out.get(key, 0.0) + arrivals
    return out


def event_advice(
    event: Event,
    *,
    profile: WeekProfile,
    tz: ZoneInfo,
    per_node: float,
    nodes_now: int,
    provisioning: dt.timedelta,
    forecast: Forecast | None = None,
) -> EventAdvice:
    hours: list[float] = []
    moment = event.starts_at.replace(minute=0, second=0, microsecond=0)
    while moment < event.ends_at:
        local = moment.astimezone(tz)
        hours.append(profile.get((local.weekday(), local.hour), 0.0))
        moment += dt.timedelta(hours=1)
    baseline = max(hours, default=0.0) / 60
    expected = baseline * event.multiplier
    if forecast is not None:
        # The forecast already carries the calendar; where it sees the event, it knows more.
        within = [p.expected for p in forecast.points if event.covers(p.start)]
        expected = max(expected, *within) if within else expected
    return EventAdvice(
        event=event,
        baseline_per_minute=baseline,
        expected_per_minute=expected,
        nodes_needed=nodes_for(expected, per_node),
        nodes_now=nodes_now,
        scale_by=event.starts_at - provisioning,
        opens_at=int(event.starts_at.timestamp()) if event.pre_queue else None,
    )


def all_event_advice(
    events: Sequence[Event],
    *,
    profile: WeekProfile,
    tz: ZoneInfo,
    per_node: float,
    nodes_now: int,
    provisioning: dt.timedelta,
    forecast: Forecast | None = None,
) -> list[EventAdvice]:
    return [
        event_advice(
            e,
            profile=profile,
            tz=tz,
            per_node=per_node,
            nodes_now=nodes_now,
            provisioning=provisioning,
            forecast=forecast,
        )
        for e in events
    ]
