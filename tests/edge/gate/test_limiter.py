"""The adaptive limits against a simulated server: they converge when capacity halves and
recover when load drops (never stuck at the floor)."""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass

import pytest

from northgate.edge.gate.concurrency import ConcurrencyGuard
from northgate.edge.gate.limiter import AIMDLimit, GradientLimit
from northgate.edge.gate.rate import RateGovernor, TokenBucket, floor_share
from northgate.edge.gate.routes import RequestClass


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


def test_governor_holds_while_the_node_is_full_but_sheds_nothing() -> None:
    """At its concurrency limit is where an overloaded node should be: admissions already
    need a free slot, so fullness alone must not starve the line (it used to fall to the
    floor share in ~10 s, and the outflow with it)."""
    governor = RateGovernor()
    for _ in range(60):
        governor.update(utilisation=1.0, shed=0, waiting=10_000)
    assert governor.share == 1.0
    governor.update(utilisation=1.0, shed=1, waiting=10_000)  # admitted work refused
    assert governor.share == pytest.approx(governor.backoff)  # back off at once
    for _ in range(10):
        governor.update(utilisation=1.0, shed=0, waiting=10_000)
    assert governor.share == pytest.approx(governor.backoff)  # full, fine: hold
    for _ in range(10):
        governor.update(utilisation=0.2, shed=0, waiting=10_000)  # room again: climb
    assert governor.share == 1.0


def test_gradient_on_one_core_rarely_probes_the_limit_that_doubled_latency() -> None:
    """One core, CPU-bound: two in flight take twice as long as one. The limit goes back
    to 2 ever more rarely (the p99 of admitted requests is the p99 at the limit it probes),
    and still grows at once when the node gets more capacity."""
    rng, clock = random.Random(7), [0.0]
    limit = GradientLimit(initial=20, floor=1, ceiling=1000)
    server = Server(workers=1, service=0.01)
    drive(limit, server, demand=1000, seconds=60, clock=clock, rng=rng)  # settle
    time_at: dict[int, float] = {}
    end = clock[0] + 120
    while clock[0] < end:
        in_flight = limit.limit
        rtt = server.latency(in_flight, rng)
        step = rtt / in_flight
        time_at[in_flight] = time_at.get(in_flight, 0.0) + step
        clock[0] += step
        limit.sample(rtt, in_flight, clock[0])
    assert time_at.get(1, 0.0) / sum(time_at.values()) >= 0.97, time_at
    server.workers = 8  # more capacity (say, the handler now waits on I/O)
    drive(limit, server, demand=1000, seconds=90, clock=clock, rng=rng)
    assert limit.limit >= 6


async def test_guard_counts_critical_requests_forced_over_the_limit() -> None:
    limiter = GradientLimit(initial=1, floor=1, ceiling=1)
    guard = ConcurrencyGuard(limiter, critical_wait=0.01)
    assert await guard.acquire(RequestClass.CRITICAL) == 1  # the only slot
    handed = asyncio.create_task(guard.acquire(RequestClass.CRITICAL))
    await asyncio.sleep(0)
    guard.release(0.0, 1)  # a slot is handed over in time: not forced
    assert await handed == 1 and guard.forced == 0
    assert await guard.acquire(RequestClass.CRITICAL) == 2  # waited 10 ms, let in anyway
    assert guard.forced == 1 and guard.in_flight == 2


async def test_guard_serves_critical_first_then_the_newest_default_waiter() -> None:
    limiter = GradientLimit(initial=1, floor=1, ceiling=1)
    limiter.baseline = 1.0  # DEFAULT waits up to max_wait
    guard = ConcurrencyGuard(limiter, max_wait=1.0)
    assert await guard.acquire(RequestClass.DEFAULT) == 1
    assert not guard.has_free_slot() and guard.may_wait()
    older = asyncio.create_task(guard.acquire(RequestClass.DEFAULT))
    await asyncio.sleep(0)
    assert not guard.may_wait()  # one waiter per slot is enough to keep it busy
    newer = asyncio.create_task(guard.acquire(RequestClass.DEFAULT))
    critical = asyncio.create_task(guard.acquire(RequestClass.CRITICAL))
    await asyncio.sleep(0)

    guard.release(0.0, 1)
    await asyncio.sleep(0)
    assert critical.done() and not newer.done() and not older.done()
    guard.release(0.0, 1)
    await asyncio.sleep(0)
    assert newer.done() and not older.done()  # newest first: the oldest is about to give up
    guard.release(0.0, 1)
    assert await older == 1
    guard.release(0.0, 1)
    assert guard.in_flight == 0 and guard.has_free_slot()


async def test_a_waiter_gives_up_after_its_wait_and_leaves_no_trace() -> None:
    limiter = GradientLimit(initial=1, floor=1, ceiling=1)
    limiter.baseline = 0.01
    guard = ConcurrencyGuard(limiter)
    await guard.acquire(RequestClass.DEFAULT)
    assert await guard.acquire(RequestClass.DEFAULT) is None  # ~10 ms, then refused
    assert guard.may_wait() and guard.in_flight == 1
    guard.give_back()
    assert guard.in_flight == 0 and guard.has_free_slot()


def test_a_probe_that_never_sees_a_quiet_moment_still_ends() -> None:
    """CRITICAL requests let in over the limit keep more than the floor in flight: while
    the probe took only samples at the floor, it never ended and the limit stayed at the
    floor (one in flight) for as long as the surge lasted."""
    limit = GradientLimit(initial=20, floor=1, ceiling=100)
    now = 0.0
    for _ in range(6000):  # a minute of samples, never fewer than 3 in flight
        now += 0.01
        limit.sample(0.02, in_flight=3, now=now)
    assert not limit.probing
    assert limit.baseline == pytest.approx(0.02) and limit.limit > 1


def test_governor_floor_is_one_admission_a_second_under_a_high_ceiling() -> None:
    """bench.edge: a ceiling of 1000/s in front of a node that serves ~5 journeys/s; the old
    floor (2 % = 20/s) kept the edge admitting four times the capacity, and goodput fell to
    1 % at 5x."""
    assert floor_share(1000.0) == pytest.approx(0.001)
    assert floor_share(10.0) == 0.02  # a low ceiling keeps the 2 % floor
    governor = RateGovernor(floor=floor_share(1000.0))
    for _ in range(30):
        governor.update(utilisation=1.0, shed=1, waiting=10_000)
    assert 1000.0 * governor.share == pytest.approx(1.0)  # down to 1 admission/s
    governor.update(utilisation=0.2, shed=0, waiting=10_000)
    assert 1000.0 * governor.share == pytest.approx(2.0)  # grows by at least the floor
    for _ in range(20):
        governor.update(utilisation=0.2, shed=0, waiting=10_000)
    assert 1000.0 * governor.share < 50  # proportional growth: no jump of 50/s a second


async def test_guard_is_congested_when_a_request_waited_a_second_for_a_slot() -> None:
    """The edge admits by the published rate alone: admitted requests waiting long for a
    slot is the sign that it lets in more than this node serves; a short burst is not."""
    now = [0.0]
    limiter = GradientLimit(initial=1, floor=1, ceiling=1)
    guard = ConcurrencyGuard(limiter, critical_wait=5.0, clock=lambda: now[0])
    assert await guard.acquire(RequestClass.CRITICAL) == 1
    quick = [asyncio.create_task(guard.acquire(RequestClass.CRITICAL)) for _ in range(3)]
    await asyncio.sleep(0)
    now[0] = 0.2  # three waited 200 ms: a burst, not a backlog
    for _ in range(3):
        guard.release(now[0], 1)
    await asyncio.gather(*quick)
    assert guard.waiting() == 0 and not guard.congested()
    slow = asyncio.create_task(guard.acquire(RequestClass.CRITICAL))
    await asyncio.sleep(0)
    now[0] = 1.5  # this one waited 1.3 s
    guard.release(now[0], 1)
    await slow
    assert guard.congested()
    guard.slow_waits = 0  # what the tick does
    assert not guard.congested()
