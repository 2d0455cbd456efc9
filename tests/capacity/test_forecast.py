"""The forecaster alone (pure): it follows the daily curve, sees a surge coming, says when
capacity runs out with an interval, and stays quiet on an ordinary day."""

from __future__ import annotations

import datetime as dt

import pytest

from northgate.capacity.forecast import HISTORY_MINUTES, Forecast, forecast
from northgate.testing.surge2016 import CAPACITY_PER_HOUR, SURGE_DAY, Replay, replay

CAPACITY = CAPACITY_PER_HOUR / 60
HORIZON = 8 * 60


def _at(r: Replay, hour: float, *, multipliers: list[float] | None = None) -> Forecast:
    now = SURGE_DAY + dt.timedelta(hours=hour)
    i = r.index(now)
    return forecast(
        now=now,
        recent=r.surge[i - HISTORY_MINUTES : i],
        last_week=r.last_week[i - HISTORY_MINUTES : i + HORIZON],
        multipliers=multipliers or [1.0] * (HISTORY_MINUTES + HORIZON),
        capacity=CAPACITY,
        horizon_minutes=HORIZON,
    )


@pytest.fixture(scope="module")
def surge() -> Replay:
    return replay()


@pytest.fixture(scope="module")
def normal() -> Replay:
    return replay(surge=False)


def test_at_17h_utilisation_is_80_percent_and_saturation_is_forecast(surge: Replay) -> None:
    f = _at(surge, 17)
    assert f.utilisation == pytest.approx(0.8, abs=0.08)
    saturation = f.saturation
    # Saturation (23:00 in 2016) is seen hours ahead, with an interval around it.
    assert saturation.earliest is not None and saturation.expected is not None
    assert saturation.earliest <= saturation.expected
    assert saturation.expected <= SURGE_DAY + dt.timedelta(hours=23, minutes=30)


def test_the_next_hour_is_forecast_within_25_percent_through_the_surge(surge: Replay) -> None:
    for hour in (13, 15, 17, 19, 21):
        f = _at(surge, hour)
        i = surge.index(SURGE_DAY + dt.timedelta(hours=hour))
        actual = sum(surge.surge[i : i + 60])
        assert f.hour_ahead() == pytest.approx(actual, rel=0.25), hour


def test_an_ordinary_evening_follows_last_week_and_never_saturates(normal: Replay) -> None:
    f = _at(normal, 17)
    assert f.saturation.earliest is None
    i = normal.index(SURGE_DAY + dt.timedelta(hours=17))
    # The daily curve falls in the evening: the forecast falls with it, no trend invented.
    assert f.hour_ahead() == pytest.approx(sum(normal.surge[i : i + 60]), rel=0.15)
    assert f.week_ratio == pytest.approx(1, abs=0.2)


def test_the_calendar_multiplies_the_expected_arrivals(normal: Replay) -> None:
    plain = _at(normal, 12)
    # An event tripling arrivals from 13:00 to 15:00.
    start = HISTORY_MINUTES + 60
    calendar = [1.0] * (HISTORY_MINUTES + HORIZON)
    for i in range(start, start + 120):
        calendar[i] = 3.0
    planned = _at(normal, 12, multipliers=calendar)
    before = plain.points[18].expected
    during = planned.points[18].expected  # 13:30
    assert during == pytest.approx(3 * before, rel=0.05)
    assert planned.points[0].expected == pytest.approx(plain.points[0].expected, rel=0.01)


def test_the_interval_contains_the_expected_value_and_widens_with_the_horizon(
    surge: Replay,
) -> None:
    f = _at(surge, 15)
    points = f.points
    assert all(p.low <= p.expected <= p.high for p in points)
    assert points[-1].high / points[-1].low > points[0].high / points[0].low


def test_without_last_week_the_level_of_arrivals_carries_on() -> None:
    now = dt.datetime(2026, 12, 6, 12, tzinfo=dt.UTC)
    f = forecast(
        now=now,
        recent=[100.0] * HISTORY_MINUTES,
        last_week=[0.0] * (HISTORY_MINUTES + 60),
        multipliers=[1.0] * (HISTORY_MINUTES + 60),
        capacity=1000,
        horizon_minutes=60,
    )
    assert f.hour_ahead() == pytest.approx(6000, rel=0.05)
    assert f.week_ratio is None
    assert f.utilisation == pytest.approx(0.1)


def test_a_short_history_gets_a_flat_forecast_with_a_wide_interval() -> None:
    now = dt.datetime(2026, 12, 6, 12, tzinfo=dt.UTC)
    f = forecast(
        now=now,
        recent=[50.0] * 20,
        last_week=[50.0] * 80,
        multipliers=[1.0] * 80,
        capacity=1000,
        horizon_minutes=60,
    )
    assert f.method == "flat"
    assert f.points[0].expected == pytest.approx(50, rel=0.05)
    assert f.points[-1].high > 1.2 * f.points[-1].expected


def test_already_saturated_is_saturated_now() -> None:
    now = dt.datetime(2026, 12, 6, 12, tzinfo=dt.UTC)
    f = forecast(
        now=now,
        recent=[500.0] * 60,
        last_week=[100.0] * 120,
        multipliers=[1.0] * 120,
        capacity=400,
        horizon_minutes=60,
    )
    assert f.saturation.expected == now and f.utilisation > 1


def test_inputs_must_cover_the_horizon() -> None:
    with pytest.raises(ValueError, match="cover"):
        forecast(
            now=dt.datetime(2026, 12, 6, tzinfo=dt.UTC),
            recent=[1.0] * 10,
            last_week=[1.0] * 10,
            multipliers=[1.0] * 10,
            capacity=1,
            horizon_minutes=5,
        )
