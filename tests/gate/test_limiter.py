"""The adaptive limits against a simulated server: they converge when capacity halves and
recover when load drops (never stuck at the floor)."""

from __future__ import annotations

import random
from dataclasses import dataclass

import pytest

from northgate.edge.gate.limiter import AIMDLimit, GradientLimit
from northgate.edge.gate.rate import RateGovernor, TokenBucket


@dataclass
class Server:
    """``workers`` requests run in parallel in ``service`` seconds; more queue behind them."""

    workers: float
    service: float = 0.05

    def latency(self, in_flight: int, rng: random.Random) -> float:
        return self.service * max(1.0, in_flight / self.workers) * rng.uniform(0.9, 1.1)


def drive(
    limit: GradientLimit | AIMDLimit,
    server: Server,
    demand: int,
    seconds: float,
    clock: list[float],
    rng: random.Random,
) -> float:
    """Closed loop: ``demand`` clients keep as many requests in flight as the limit allows.
    Returns the latency of the last request."""
    end = clock[0] + seconds
    rtt = 0.0
    while clock[0] < end:
        in_flight = max(1, min(demand, limit.limit))
        rtt = server.latency(in_flight, rng)
        clock[0] += rtt / in_flight
        limit.sample(rtt, in_flight, clock[0])
    return rtt


def _limits() -> list[GradientLimit | AIMDLimit]:
    return [GradientLimit(initial=20, floor=2, ceiling=1000),
            AIMDLimit(initial=20, floor=2, ceiling=1000, threshold=0.075)]  # fmt: skip


@pytest.mark.parametrize("limit", _limits(), ids=["gradient", "aimd"])
def test_converges_when_capacity_halves_and_recovers(limit: GradientLimit | AIMDLimit) -> None:
    rng, clock = random.Random(4), [0.0]
    server = Server(workers=100)
    drive(limit, server, demand=10_000, seconds=40, clock=clock, rng=rng)
    assert 90 <= limit.limit <= 200
    server.workers = 50  # capacity halves
    rtt = drive(limit, server, demand=10_000, seconds=40, clock=clock, rng=rng)
    assert 45 <= limit.limit <= 100
    assert rtt <= 2 * server.service  # latency stays near its unloaded value
    server.workers = 100  # load drops back under capacity: the limit climbs back
    drive(limit, server, demand=10_000, seconds=80, clock=clock, rng=rng)
    assert limit.limit >= 90


def test_gradient_leaves_the_floor_once_latency_is_normal() -> None:
    rng, clock = random.Random(5), [0.0]
    limit = GradientLimit(initial=20, floor=2, ceiling=1000)
    server = Server(workers=100)
    drive(limit, server, demand=10_000, seconds=5, clock=clock, rng=rng)
    server.workers = 1  # a near-total outage pushes the limit to the floor
    drive(limit, server, demand=10_000, seconds=60, clock=clock, rng=rng)
    assert limit.limit <= 4
    server.workers = 100
    drive(limit, server, demand=10_000, seconds=60, clock=clock, rng=rng)
    assert limit.limit >= 90


def test_gradient_on_one_core_keeps_concurrency_near_one() -> None:
    """A CPU-bound handler on one core: any concurrency above one only adds latency."""
    rng, clock = random.Random(6), [0.0]
    limit = GradientLimit(initial=20, floor=1, ceiling=1000)
    rtt = drive(limit, Server(workers=1, service=0.02), demand=1000, seconds=60, clock=clock,
                rng=rng)  # fmt: skip
    assert limit.limit <= 2
    assert rtt <= 2 * 0.02 * 1.1


def test_governor_backs_off_and_climbs_back() -> None:
    governor = RateGovernor()
    for _ in range(20):
        governor.update(utilisation=1.0, shed=3, waiting=100)
    assert governor.share == governor.floor
    for _ in range(40):
        governor.update(utilisation=0.3, shed=0, waiting=100)
    assert governor.share == 1.0


def test_token_bucket_rate_and_capacity() -> None:
    bucket = TokenBucket(rate=10, capacity=5, stamp=0.0)
    taken = sum(bucket.take(0.0) for _ in range(10))
    assert taken == 5
    taken = sum(bucket.take(t / 100) for t in range(1, 101))  # one second, 100 tries
    assert taken in (9, 10)  # floating-point refill at the last step
