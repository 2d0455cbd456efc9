"""What every adaptive Limit promises the concurrency guard, held against each one (the
gradient and AIMD limits): the limit stays within its bounds, new bounds apply at once,
overload lowers it, an app-limited node does not raise it, and normal latency at full use
raises it again, so it never sticks at the floor.

How fast each converges on a simulated server is held in test_limiter.py."""

from __future__ import annotations

import random

import pytest

from northgate.edge.gate.limiter import AIMDLimit, GradientLimit, Limit

NORMAL, SLOW = 0.05, 0.5  # seconds; AIMD's threshold is 0.1


@pytest.fixture(params=["gradient", "aimd"])
def limit(request: pytest.FixtureRequest) -> Limit:
    if request.param == "gradient":
        return GradientLimit(initial=20, floor=2, ceiling=200)
    return AIMDLimit(initial=20, floor=2, ceiling=200)


class Load:
    """Samples at 100 a second on a clock of its own."""

    def __init__(self, limit: Limit) -> None:
        self.limit = limit
        self.now = 1000.0

    def run(self, seconds: float, rtt: float, in_flight: int | None = None) -> None:
        """``in_flight`` None: the node is kept full, as many in flight as the limit."""
        for _ in range(int(seconds * 100)):
            self.now += 0.01
            busy = self.limit.limit if in_flight is None else in_flight
            self.limit.sample(rtt, busy, self.now)


def test_the_limit_stays_within_its_bounds_whatever_is_sampled(limit: Limit) -> None:
    rng = random.Random(7)
    now = 0.0
    for _ in range(20_000):
        now += rng.uniform(0.0, 0.05)
        limit.sample(
            rng.choice([0.0005, NORMAL, SLOW, 5.0]), rng.randint(0, 2000), now,
            dropped=rng.random() < 0.05,
        )  # fmt: skip
        assert 2 <= limit.limit <= 200


def test_new_bounds_apply_at_once(limit: Limit) -> None:
    Load(limit).run(10, NORMAL)
    limit.bounds(10, 12)
    assert 10 <= limit.limit <= 12
    limit.bounds(50, 40)  # a ceiling under the floor is the floor
    assert limit.limit == 50


def test_sustained_overload_lowers_the_limit(limit: Limit) -> None:
    load = Load(limit)
    load.run(10, NORMAL)
    before = limit.limit
    highest = 0
    for _ in range(10):
        load.run(1, SLOW)
        highest = max(highest, limit.limit)
    assert highest <= before
    assert limit.limit < before


def test_an_app_limited_node_does_not_raise_the_limit(limit: Limit) -> None:
    Load(limit).run(30, NORMAL, in_flight=1)
    assert limit.limit <= 20


def test_normal_latency_at_full_use_raises_it_again(limit: Limit) -> None:
    load = Load(limit)
    load.run(10, NORMAL)
    load.run(10, SLOW)
    low = limit.limit
    load.run(20, NORMAL)
    assert limit.limit > low
