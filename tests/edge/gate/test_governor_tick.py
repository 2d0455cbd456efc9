"""How the gate's tick sets the admission rate in adaptive mode: admitted work piling up
for slots slows the line, down to one admission a second under a high ceiling, and the
waiters kept at the nginx edge count as waiting (bench.edge found goodput at 1 % of
capacity at 5x before)."""

from __future__ import annotations

import secrets

import pytest

from northgate.edge.gate.config import GateLimits
from northgate.edge.gate.core import GateCore
from northgate.edge.gate.edge_state import EdgeTurn
from northgate.edge.gate.memory import MemoryBackend
from northgate.edge.gate.redis_backend import RedisBackend
from northgate.storage import shared
from tests.support.servers import RedisServer

KEY = b"g" * 32


def make_core(backend: MemoryBackend | RedisBackend) -> GateCore:
    limits = GateLimits(
        enabled=True, mode="adaptive", max_active=1_000_000, admissions_per_minute=60_000,
        limit_floor=1, limit_ceiling=10, abandon_after=30.0, poll_seconds=2.0, opens_at=0.0,
    )  # fmt: skip
    return GateCore(limits, backend, key=KEY, event="eta", pass_ttl=600, pass_cap=3600)


async def test_admitted_work_queueing_for_slots_slows_the_line_to_one_a_second() -> None:
    core = make_core(MemoryBackend())
    await core.tick()
    assert core.rate() == pytest.approx(1000.0)
    for _ in range(30):
        core.guard.slow_waits = 1  # a request waited a second or more for a slot
        await core.tick()
    assert core.rate() == pytest.approx(1.0)  # not 2 % of the ceiling (20/s)
    assert core.guard.slow_waits == 0  # the tick starts a new measurement
    await core.tick()  # nobody waits for a slot, the node is idle: speed up again
    assert core.rate() == pytest.approx(2.0)


async def test_with_the_edge_line_a_full_node_probes_upwards(redis_server: RedisServer) -> None:
    redis = shared.connect(redis_server.url)
    try:
        core = make_core(RedisBackend(redis, "t" + secrets.token_hex(4)))
        assert core.edge is not None
        core.governor.share = 0.5
        # Full, nobody refused, nobody waited long, 500 waiting at the edges: the edge
        # admits by the rate alone, so find out whether more fits.
        core.guard.peak_in_flight = core.guard.limit
        core.edge.turn = EdgeTurn("g", 1, False, waiting=500)
        await core.tick()
        assert core.governor.share == pytest.approx(0.55)
        assert core.governor.probe_when_full
        # A request waited a second for a slot: back off.
        core.guard.peak_in_flight = core.guard.limit
        core.guard.slow_waits = 1
        await core.tick()
        assert core.governor.share < 0.55
    finally:
        await redis.aclose()


async def test_congestion_cuts_the_rate_to_the_journeys_finished_at_once() -> None:
    """From a ceiling of 1000/s, backing off by 30 % a second took ~15 s to reach a node
    that finishes ~5 journeys a second, letting in minutes of backlog meanwhile."""
    core = make_core(MemoryBackend())
    for _ in range(10):
        core._ended_in_tick = 5  # five passes ended (journeys paid) a second
        await core.tick()
    assert core.completed_per_second == pytest.approx(5.0, rel=0.05)
    assert core.rate() == pytest.approx(1000.0)  # not congested: the ceiling
    core._ended_in_tick = 5
    core.guard.slow_waits = 1
    await core.tick()
    # At most 2 x what is finished, then the usual back-off: ~7/s, not 700/s.
    assert core.rate() <= 2 * 5.0
    assert core.metrics.gauges["completed_per_second"] == pytest.approx(5.0, rel=0.05)
