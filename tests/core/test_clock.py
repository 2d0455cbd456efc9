"""One clock: UTC-aware, injectable through the application's state, and the service's
calendar day in Eastern time."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

from starlette.datastructures import State

from northgate.core.clock import as_utc, clock_of, service_date, unix_now, utc_now

FIXED = datetime(2031, 12, 4, 15, 30, tzinfo=UTC)


def test_the_real_clock_is_aware_utc() -> None:
    now = utc_now()
    assert now.tzinfo is not None and now.utcoffset() == timedelta(0)
    assert abs(now.timestamp() - unix_now()) < 5


def test_an_injected_clock_is_the_one_used() -> None:
    state = State()
    state.clock = lambda: FIXED
    assert clock_of(state)() == FIXED


def test_without_an_injected_clock_the_real_one_is_used() -> None:
    assert clock_of(State()) is utc_now
    assert clock_of(object()) is utc_now


def test_naive_timestamps_are_read_as_utc_and_aware_ones_converted() -> None:
    assert as_utc(datetime(2031, 12, 4, 15, 30)) == FIXED
    eastern = FIXED.astimezone(timezone(timedelta(hours=-5)))
    assert as_utc(eastern) == FIXED and as_utc(eastern).tzinfo == UTC


def test_the_service_date_is_the_eastern_calendar_day() -> None:
    # 03:00 UTC on December 5 is still December 4 in Toronto (UTC-5 in winter).
    assert service_date(datetime(2031, 12, 5, 3, 0, tzinfo=UTC)) == date(2031, 12, 4)
    assert service_date(datetime(2031, 12, 5, 6, 0, tzinfo=UTC)) == date(2031, 12, 5)
    # Summer: UTC-4.
    assert service_date(datetime(2031, 7, 5, 3, 30, tzinfo=UTC)) == date(2031, 7, 4)
    assert service_date(datetime(2031, 7, 5, 4, 30, tzinfo=UTC)) == date(2031, 7, 5)
