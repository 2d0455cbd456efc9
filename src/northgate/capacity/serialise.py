"""The capacity picture and calendar events as JSON (the API's answers)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from northgate.capacity.calendar import Event
from northgate.capacity.service import Overview


def _time(moment: dt.datetime | None, tz: ZoneInfo) -> str | None:
    return None if moment is None else moment.astimezone(tz).isoformat()


def event_json(event: Event, tz: ZoneInfo) -> dict[str, Any]:
    return {
        "id": event.id,
        "name": event.name,
        "starts_at": _time(event.starts_at, tz),
        "ends_at": _time(event.ends_at, tz),
        "multiplier": event.multiplier,
        "pre_queue": event.pre_queue,
    }


def overview_json(o: Overview, tz: ZoneInfo) -> dict[str, Any]:
    f = o.forecast
    until = f.time_to_saturation()
    return {
        "now": _time(o.now, tz),
        "capacity": {
            "nodes": o.nodes,
            "nodes_from": o.nodes_from,
            "per_node_arrivals_per_minute": o.per_node,
            "arrivals_per_minute": f.capacity,
            "provisioning_seconds": o.provisioning.total_seconds(),
        },
        "arrivals_per_minute": round(f.level, 1),
        "last_week_arrivals_per_minute": round(f.last_week_level, 1),
        "week_ratio": None if f.week_ratio is None else round(f.week_ratio, 2),
        "utilisation": round(f.utilisation, 4),
        "forecast": {
            "method": f.method,
            "interval": f.interval,
            "step_minutes": f.step_minutes,
            "next_hour_arrivals": round(f.hour_ahead()),
            "saturation": {
                "earliest": _time(f.saturation.earliest, tz),
                "expected": _time(f.saturation.expected, tz),
                "latest": _time(f.saturation.latest, tz),
                "seconds_to_expected": None if until is None else until.total_seconds(),
            },
            "points": [
                {
                    "start": _time(p.start, tz),
                    "expected": round(p.expected, 1),
                    "low": round(p.low, 1),
                    "high": round(p.high, 1),
                }
                for p in f.points
            ],
        },
        "advice": {
            "nodes_now": o.advice.nodes_now,
            "nodes_for_expected_peak": o.advice.nodes_expected,
            "nodes_for_upper_bound": o.advice.nodes_upper,
            "peak_at": _time(o.advice.peak_at, tz),
            "decide_by": _time(o.advice.decide_by, tz),
        },
        "warnings": [
            {
                "code": w.code,
                "severity": w.severity,
                "at": _time(w.at, tz),
                "value": w.value,
                "event": w.event,
            }
            for w in o.warnings
        ],
        "alerts": {
            "configured": o.alerts.configured,
            "reachable": o.alerts.reachable,
            "error": o.alerts.error,
            "active": [
                {
                    "name": a.name,
                    "severity": a.severity,
                    "summary": a.summary,
                    "since": _time(a.since, tz),
                }
                for a in o.alerts.alerts
            ],
        },
        "events": [
            {
                **event_json(a.event, tz),
                "baseline_per_minute": round(a.baseline_per_minute, 1),
                "expected_peak_per_minute": round(a.expected_per_minute, 1),
                "nodes_needed": a.nodes_needed,
                "scale_by": _time(a.scale_by, tz),
                "gate_opens_at": a.opens_at,
                "gate_command": a.gate_command,
            }
            for a in o.events
        ],
        "scaling_history": [
            {
                "at": _time(s.at, tz),
                "nodes_before": s.nodes_before,
                "nodes_after": s.nodes_after,
                "provisioning_seconds": s.provisioning_seconds,
                "reason": s.reason,
                "actor": s.actor,
            }
            for s in o.history
        ],
    }
