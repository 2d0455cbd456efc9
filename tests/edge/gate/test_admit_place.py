"""A node admits the holder of a place the nginx edge handed out (GateCore.admit_place),
in process, on a real Redis: once its turn has come by the published state, once only,
never for another generation of the line, and not at all while Redis is unreachable."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from northgate.edge.gate.config import GateLimits
from northgate.edge.gate.core import GateCore
from northgate.edge.gate.places import Place
from northgate.edge.gate.redis_backend import RedisBackend
from tests.support.servers import RedisServer

KEY = b"admit-place tests: a throwaway secret"
T0 = 1_900_000_000.0
LIMITS = GateLimits(
    enabled=True,
    mode="adaptive",
    max_active=1000,
    admissions_per_minute=600,
    limit_floor=1,
    limit_ceiling=100,
    abandon_after=60.0,
    poll_seconds=2.0,
    opens_at=0.0,
)


def make_core(redis: Redis, event: str) -> GateCore:
    return GateCore(
        LIMITS, RedisBackend(redis, event), key=KEY, event=event, pass_ttl=600, pass_cap=3600
    )


@pytest.fixture
async def core(redis_server: RedisServer) -> AsyncIterator[GateCore]:
    redis = Redis.from_url(redis_server.url)
    try:
        yield make_core(redis, f"t{secrets.token_hex(4)}")
    finally:
        await redis.aclose()


async def line_moved_past(core: GateCore, last: int) -> str:
    """Edges handed out tickets 1..last; the gate's budget then lets them all through."""
    assert core.edge is not None
    await core.edge.publish(T0, rate=0.0, cap=0.0, max_active=1000, poll=2.0)
    await core.edge.redis.rpush(core.edge.keys["blocks"], f"1:{last}")
    await core.edge.publish(T0 + 1, rate=float(last), cap=float(last), max_active=1000, poll=2.0)
    gen = await core.edge.redis.hget(core.edge.keys["state"], "gen")
    assert isinstance(gen, bytes)
    return gen.decode()


def place(core: GateCore, gen: str, ticket: int) -> Place:
    return Place(event=core.places.event, gen=gen, ticket=ticket, issued_at=int(T0))


async def test_a_place_whose_turn_came_is_admitted_with_a_pass(core: GateCore) -> None:
    gen = await line_moved_past(core, 3)
    admission = await core.admit_place(place(core, gen, 2), None, T0 + 2)
    assert admission is not None and admission.admitted
    assert admission.token and core.signer.verify(admission.token, int(T0) + 2) is not None
    assert core.metrics.counters["admitted_from_edge"] == 1


async def test_a_copied_place_is_admitted_once(core: GateCore) -> None:
    gen = await line_moved_past(core, 3)
    assert await core.admit_place(place(core, gen, 1), None, T0 + 2) is not None
    assert await core.admit_place(place(core, gen, 1), None, T0 + 3) is None
    assert core.metrics.counters["place_reused"] == 1


async def test_a_place_beyond_the_line_is_not_admitted(core: GateCore) -> None:
    gen = await line_moved_past(core, 3)
    assert await core.admit_place(place(core, gen, 50), None, T0 + 2) is None
    assert core.metrics.counters["place_early"] == 1


async def test_a_place_from_another_generation_is_not_admitted(core: GateCore) -> None:
    await line_moved_past(core, 3)
    assert await core.admit_place(place(core, "other", 1), None, T0 + 2) is None


async def test_with_redis_unreachable_the_place_is_left_to_the_fallback() -> None:
    unreachable = Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2)
    try:
        core = make_core(unreachable, "down")
        assert await core.admit_place(Place("down", "g", 1, int(T0)), None, T0) is None
        assert core.metrics.counters["place_unchecked_redis_down"] == 1
    finally:
        await unreachable.aclose()
