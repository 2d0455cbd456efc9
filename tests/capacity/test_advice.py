"""Advice and warnings from a forecast and the calendar (pure)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from northgate.capacity.advice import event_advice, forecast_advice, nodes_for, week_profile
from northgate.capacity.alerts import parse_alerts
from northgate.capacity.calendar import Event
from northgate.capacity.early_warning import warnings_of
from northgate.capacity.forecast import Forecast, Point, Saturation

EASTERN = ZoneInfo("America/Toronto")
NOW = dt.datetime(2016, 11, 8, 22, 0, tzinfo=dt.UTC)  # 17:00 Eastern
TEN_MINUTES = dt.timedelta(minutes=10)


def _forecast(
    level: float, last_week: float, peak: float, saturation: dt.datetime | None
) -> Forecast:
    points = tuple(
        Point(NOW + dt.timedelta(minutes=5 * i), e, e * 0.8, e * 1.25)
        for i, e in enumerate([level, (level + peak) / 2, peak])
    )
    return Forecast(
        NOW, 5, level, last_week, 3000, points, Saturation(saturation, saturation, None), "trend"
    )


# Each node at most at 80 % of its 1,000 a minute: 800 a minute per node.
@pytest.mark.parametrize(
    ("per_minute", "nodes"), [(0, 1), (800, 1), (801, 2), (1600, 2), (1601, 3), (3333, 5)]
)
def test_nodes_round_up_with_the_scale_commands_headroom(per_minute: float, nodes: int) -> None:
    assert nodes_for(per_minute, 1000) == nodes


def test_forecast_advice_sizes_for_the_peak_and_its_upper_bound() -> None:
    at = NOW + dt.timedelta(hours=6)
    advice = forecast_advice(
        _forecast(2400, 300, 3200, at), per_node=1000, nodes_now=3, provisioning=TEN_MINUTES
    )
    assert (advice.nodes_expected, advice.nodes_upper) == (4, 5)
    assert advice.decide_by == at - TEN_MINUTES
    assert advice.peak_at == NOW + dt.timedelta(minutes=10)


def test_event_advice_from_last_weeks_same_hours() -> None:
    # Last Tuesday 18:00-19:00 Eastern: 18,000 arrivals; other hours fewer. Daylight time
    # then (UTC-4), standard time on the event's day (UTC-5): the same wall-clock hours.
    hourly = {
        dt.datetime(2016, 11, 1, 21, tzinfo=dt.UTC): 12_000.0,
        dt.datetime(2016, 11, 1, 22, tzinfo=dt.UTC): 18_000.0,
        dt.datetime(2016, 11, 1, 23, tzinfo=dt.UTC): 15_000.0,
    }
    profile = week_profile(hourly, EASTERN)
    assert profile[(1, 18)] == 18_000
    event = Event(
        "Election night",
        NOW + dt.timedelta(hours=1),
        NOW + dt.timedelta(hours=3),
        12,
        pre_queue=True,
    )
    advice = event_advice(
        event, profile=profile, tz=EASTERN, per_node=1000, nodes_now=3, provisioning=TEN_MINUTES
    )
    assert advice.baseline_per_minute == 300
    assert advice.expected_per_minute == 3600
    assert (advice.nodes_needed, advice.more_nodes) == (5, 2)  # 3,600 / 800, rounded up
    assert advice.scale_by == event.starts_at - TEN_MINUTES
    assert advice.gate_command == f"northgate gate set opens_at={int(event.starts_at.timestamp())}"


def test_warnings_follow_the_issues_thresholds() -> None:
    soon = NOW + dt.timedelta(minutes=15)
    found = warnings_of(_forecast(2400, 300, 3200, soon), TEN_MINUTES)
    assert [(w.code, w.severity) for w in found] == [
        ("utilisation", "warning"),
        ("saturation_soon", "page"),
        ("surge", "warning"),
    ]
    later = warnings_of(_forecast(1500, 1000, 3200, NOW + dt.timedelta(hours=5)), TEN_MINUTES)
    assert [(w.code, w.severity) for w in later] == [("saturation_ahead", "warning")]
    assert warnings_of(_forecast(1000, 1000, 1000, None), TEN_MINUTES) == []
    full = warnings_of(_forecast(3000, 1000, 3000, NOW), TEN_MINUTES)
    assert [w.code for w in full] == ["saturated", "surge"]


def test_alertmanagers_answer_is_read_pages_first() -> None:
    alerts = parse_alerts(
        [
            {"labels": {"alertname": "B", "severity": "warning"}, "annotations": {},
             "startsAt": "2016-11-08T19:00:00.000Z"},
            {"labels": {"alertname": "A", "severity": "page"},
             "annotations": {"description": "saturation in 2 h"}, "startsAt": "bad"},
        ]
    )  # fmt: skip
    assert [(a.name, a.severity, a.summary) for a in alerts] == [
        ("A", "page", "saturation in 2 h"),
        ("B", "warning", ""),
    ]
    assert alerts[1].since == dt.datetime(2016, 11, 8, 19, tzinfo=dt.UTC)
    with pytest.raises(ValueError, match="list"):
        parse_alerts({"error": "nope"})
