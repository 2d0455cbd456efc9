"""Seeded non-homogeneous Poisson arrivals follow the curve."""

import math

from northgate.replay.arrivals import arrivals
from northgate.replay.curve import Curve, Path

# The whole night in 36 run-seconds, at most 2,000 visitors a second: ~36,000 visitors.
NIGHT = Curve().compressed(3600).scaled(2_000.0)


def test_counts_match_the_integral_within_poisson_tolerance() -> None:
    times = [a.intended_time for a in arrivals(NIGHT, seed=7)]
    for t0, t1 in [(0, NIGHT.duration_s), (12, 14), (20, 24), (30, 36)]:
        n = sum(1 for t in times if t0 <= t < t1)
        expected = NIGHT.expected(t0, t1)
        assert abs(n - expected) < 4 * math.sqrt(expected), (t0, t1, n, expected)


def test_in_order_and_within_the_window() -> None:
    times = [a.intended_time for a in arrivals(NIGHT, seed=3, start=5, end=9)]
    assert times == sorted(times)
    assert times[0] >= 5 and times[-1] < 9


def test_the_same_seed_gives_the_same_visitors() -> None:
    first = list(arrivals(NIGHT, seed=11, end=10))
    assert first == list(arrivals(NIGHT, seed=11, end=10))
    assert first != list(arrivals(NIGHT, seed=12, end=10))


def test_countries_and_paths_follow_the_mix_at_the_peak() -> None:
    peak = [a for a in arrivals(NIGHT, seed=5, start=12.5, end=13.5)]  # 22:30-23:30
    us = sum(1 for a in peak if a.country == "US") / len(peak)
    assert abs(us - 0.50) < 0.03
    reading = sum(1 for a in peak if a.path == Path.INFORMATION) / len(peak)
    assert 0.75 < reading < 0.88
