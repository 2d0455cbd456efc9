"""The 2016 curve holds the incident's figures (../shared/INCIDENT.md)."""

import math

import pytest

from northgate.replay import curve
from northgate.replay.curve import Curve, Path


def test_a_week_earlier_17000_an_hour_at_23h() -> None:
    assert curve.rate_per_h(curve.WEEK_BEFORE_23H) == pytest.approx(17_000)


def test_the_peak_is_200000_an_hour_at_23h_about_12x_the_week_before() -> None:
    assert curve.rate_per_h(curve.PEAK_H) == pytest.approx(200_000)
    assert Curve().peak_rate() * 3600 == pytest.approx(200_000)
    ratio = curve.rate_per_h(curve.PEAK_H) / curve.rate_per_h(curve.WEEK_BEFORE_23H)
    assert 11 < ratio < 13


def test_80_percent_of_three_servers_at_17h() -> None:
    load = curve.rate_per_h(curve.WARNING_H) / curve.CAPACITY_2016_PER_H
    assert load == pytest.approx(0.8)


def test_past_capacity_from_about_22h_to_06h_then_easing() -> None:
    capacity = curve.CAPACITY_2016_PER_H
    assert curve.rate_per_h(20) < capacity < curve.rate_per_h(22)
    assert all(curve.rate_per_h(h) > capacity for h in (22, 23, 24, 26, 28))
    assert curve.rate_per_h(curve.STABILISING_H) == pytest.approx(capacity)
    # Easing after 06:00: never again near the peak, but Wednesday's deadline traffic keeps
    # the three servers at or past their maximum until the fix.
    assert max(curve.rate_per_h(h / 4) for h in range(120, 185)) < 0.6 * 200_000
    assert curve.rate_per_h(40) > capacity


def test_rising_from_the_afternoon() -> None:
    hours = [12, 14, 17, 20, 21, 22, 23]
    rates = [curve.rate_per_h(h) for h in hours]
    assert rates == sorted(rates)
    assert rates[0] > curve.rate_per_h(12 - 168)  # busier than a normal noon


def test_the_week_before_is_a_normal_day_without_surge_or_rush() -> None:
    for h in range(-168, -144):
        causes = curve.cause_rates_per_h(h)
        assert causes[curve.Cause.RUSH] == 0
        assert causes[curve.Cause.ELECTION] == 0


def test_country_mix_usual_then_half_us_at_the_peak() -> None:
    usual = curve.country_shares(curve.WEEK_BEFORE_23H)
    assert 0.088 <= usual["US"] <= 0.116
    peak = curve.country_shares(curve.PEAK_H)
    assert peak["US"] == pytest.approx(0.50, abs=0.005)
    assert peak["CA"] == pytest.approx(0.37, abs=0.005)
    assert peak["AU"] == pytest.approx(0.03, abs=0.005)
    assert peak["GB"] == pytest.approx(0.01, abs=0.005)


@pytest.mark.parametrize("hour", [-145, 12, 17, 23, 30, 40])
def test_every_mix_sums_to_one(hour: float) -> None:
    assert sum(curve.country_shares(hour).values()) == pytest.approx(1)
    assert sum(curve.path_shares(hour).values()) == pytest.approx(1)
    assert set(curve.country_shares(hour)) == set(curve.COUNTRIES)


def test_deadline_rush_brings_applications_and_no_us_citizens() -> None:
    assert curve.COUNTRY_MIX[curve.Cause.RUSH]["US"] == 0
    assert curve.path_shares(40)[Path.APPLICATION] > 2 * curve.path_shares(-128)[Path.APPLICATION]


def test_compressed_keeps_the_visitors_and_scaled_sets_the_peak() -> None:
    night = Curve()
    fast = night.compressed(108)  # the 36 hours in 20 minutes
    assert fast.duration_s == pytest.approx(20 * 60)
    assert fast.expected(0, fast.duration_s) == pytest.approx(night.expected(0, night.duration_s))
    assert fast.rate(fast.run_time(23)) == pytest.approx(200_000 / 3600 * 108)
    small = fast.scaled(50.0)
    assert small.peak_rate() == pytest.approx(50.0)
    assert small.rate(small.run_time(23)) == pytest.approx(50.0)
    assert small.hour(small.run_time(17.5)) == pytest.approx(17.5)


def test_expected_is_the_integral() -> None:
    night = Curve().compressed(3600)  # an hour a second
    t0, t1 = 2.3, 17.9
    steps = 20_000
    dt = (t1 - t0) / steps
    riemann = sum(night.rate(t0 + (i + 0.5) * dt) for i in range(steps)) * dt
    assert night.expected(t0, t1) == pytest.approx(riemann, rel=1e-4)
    assert math.isclose(night.expected(t0, t0), 0)


def test_a_window_must_have_a_length() -> None:
    with pytest.raises(ValueError):
        Curve(start_h=5, end_h=5)
    with pytest.raises(ValueError):
        Curve().compressed(0)
