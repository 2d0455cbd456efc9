"""One clock: UTC-aware, injectable through the composition root, and the service's
calendar day in Eastern time."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone

from northgate.composition import build
from northgate.core.clock import as_utc, service_date, unix_now, utc_now
from northgate.settings import Settings

FIXED = datetime(2031, 12, 4, 15, 30, tzinfo=UTC)


def test_the_real_clock_is_aware_utc() -> None:
    now = utc_now()
    assert now.tzinfo is not None and now.utcoffset() == timedelta(0)
    assert abs(now.timestamp() - unix_now()) < 5


def test_an_injected_clock_is_the_one_used(
    make_settings: Callable[..., Settings], sqlite_url: str
) -> None:
    services = build(make_settings(database_url=sqlite_url), clock=lambda: FIXED)
    assert services.clock() == FIXED
    assert services.worker.clock() == FIXED and services.payments.clock() == FIXED
    # Every job handler keeps time by it too (each is a callable object with a clock).
    assert all(vars(handler)["clock"]() == FIXED for handler in services.handlers.values())


def test_without_an_injected_clock_the_real_one_is_used(
    make_settings: Callable[..., Settings], sqlite_url: str
) -> None:
    services = build(make_settings(database_url=sqlite_url))
    assert services.clock is utc_now and services.unix_clock is unix_now


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
