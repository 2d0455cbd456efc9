"""What an operator types becomes an event or says what is wrong; events multiply the
minutes they cover (pure)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from northgate.capacity.calendar import Event, EventErrors, multipliers, parse_event, upcoming

EASTERN = ZoneInfo("America/Toronto")
UTC = dt.UTC


def test_a_form_in_local_time_becomes_an_event_in_utc() -> None:
    event = parse_event(
        {"name": " Election night ", "starts_at": "2016-11-08T18:00", "ends_at": "2016-11-09T02:00",
         "multiplier": "12", "pre_queue": "on"},
        EASTERN,
    )  # fmt: skip
    assert event == Event(
        "Election night",
        dt.datetime(2016, 11, 8, 23, 0, tzinfo=UTC),
        dt.datetime(2016, 11, 9, 7, 0, tzinfo=UTC),
        12.0,
        True,
    )


def test_json_values_with_an_offset_and_a_french_decimal() -> None:
    event = parse_event(
        {"name": "Deadline", "starts_at": "2016-11-09T00:00-05:00",
         "ends_at": "2016-11-10T00:00:00-05:00", "multiplier": "2,5", "pre_queue": False},
        EASTERN,
    )  # fmt: skip
    assert isinstance(event, Event)
    assert event.multiplier == 2.5 and not event.pre_queue
    assert event.starts_at == dt.datetime(2016, 11, 9, 5, tzinfo=UTC)


@pytest.mark.parametrize(
    ("values", "errors"),
    [
        ({}, {"name": "name.missing", "starts_at": "time.invalid", "ends_at": "time.invalid",
              "multiplier": "multiplier.invalid"}),
        ({"name": "x" * 121, "starts_at": "2016-11-08T18:00", "ends_at": "2016-11-08T17:00",
          "multiplier": "0"}, {"name": "name.long", "ends_at": "time.order",
                               "multiplier": "multiplier.range"}),
        ({"name": "x", "starts_at": "2016-11-08T18:00", "ends_at": "2016-12-08T18:00",
          "multiplier": "nan"}, {"ends_at": "time.long", "multiplier": "multiplier.invalid"}),
        ({"name": "x", "starts_at": "demain", "ends_at": "2016-11-08T18:00",
          "multiplier": True}, {"starts_at": "time.invalid", "multiplier": "multiplier.invalid"}),
    ],
)  # fmt: skip
def test_what_is_wrong_is_said_field_by_field(
    values: dict[str, object], errors: dict[str, str]
) -> None:
    assert parse_event(values, EASTERN) == EventErrors(errors)


START = dt.datetime(2016, 11, 8, 22, 0, tzinfo=UTC)


def _event(start_min: int, end_min: int, multiplier: float) -> Event:
    return Event(
        "e",
        START + dt.timedelta(minutes=start_min),
        START + dt.timedelta(minutes=end_min),
        multiplier,
    )


def test_events_multiply_the_minutes_they_cover_and_overlaps_compound() -> None:
    minutes = multipliers([_event(2, 5, 3.0), _event(4, 20, 2.0), _event(-10, 1, 1.5)], START, 8)
    assert minutes == [1.5, 1.0, 3.0, 3.0, 6.0, 2.0, 2.0, 2.0]


def test_upcoming_events_are_those_not_over_soonest_first() -> None:
    late, past, now = _event(60, 90, 2), _event(-60, -1, 2), _event(-5, 5, 2)
    assert upcoming([late, past, now], START) == [now, late]
