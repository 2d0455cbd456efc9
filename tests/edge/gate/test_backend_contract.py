"""What every gate Backend promises the gate, held against each one: in this process, in a
real Redis, and the fallback in front of a Redis that answers or one that is down.

The line's order, abandonment, rate and pre-queue are held on memory and Redis in
test_queue.py, through the gate core; here the backend's own calls are held directly,
including the ones the core makes only on rare paths (claim, release, renew, reset)."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from typing import Any

import pytest

from northgate.edge.gate.backend import Backend, Outcome, PollRequest, PollResult
from northgate.edge.gate.fallback import FallbackBackend
from northgate.edge.gate.memory import MemoryBackend
from northgate.edge.gate.redis_backend import RedisBackend
from northgate.storage import shared
from tests.support.servers import RedisServer, free_port

T0 = 1_800_000_000.0
TTL = 10.0


@pytest.fixture(params=["memory", "redis", "fallback-redis-up", "fallback-redis-down"])
async def backend(request: pytest.FixtureRequest) -> AsyncIterator[Backend]:
    if request.param == "memory":
        yield MemoryBackend()
        return
    if request.param == "fallback-redis-down":
        url = f"redis://127.0.0.1:{free_port()}"
    else:
        server: RedisServer = request.getfixturevalue("redis_server")
        url = server.url
    redis = shared.connect(url)
    event = "c" + secrets.token_hex(4)  # keys of this test's own on the shared server
    try:
        if request.param == "redis":
            yield RedisBackend(redis, event)
        else:
            fallback = FallbackBackend(RedisBackend(redis, event))
            yield fallback
            # Each test made calls enough to open the circuit: the fallback was held to
            # the contract on the side it was meant to be.
            assert fallback.degraded == (request.param == "fallback-redis-down")
    finally:
        await redis.aclose()


def ask(now: float = T0, **changes: Any) -> PollRequest:
    """A first visit (no place yet) under generous limits, unless told otherwise."""
    request = PollRequest(
        now=now, ticket=0, gen="", pre=False, jti="j" + secrets.token_hex(6),
        pass_expires=now + TTL, allow=True, rate=1000.0, capacity=1000.0, max_active=1000,
        abandon_after=30.0, opens_at=0.0,
    )  # fmt: skip
    return request._replace(**changes)


async def again(backend: Backend, seen: PollResult, request: PollRequest) -> PollResult:
    """The same visitor polls again with the place it was given."""
    return await backend.poll(request._replace(ticket=seen.ticket, gen=seen.gen))


async def held(backend: Backend, now: float) -> tuple[int, int]:
    snapshot = await backend.snapshot(now, "n1", 1.0, 0.0, 30.0)
    return snapshot.active, snapshot.in_requests


async def test_an_empty_line_with_room_admits_straight_in(backend: Backend) -> None:
    result = await backend.poll(ask())
    assert (result.outcome, result.ticket, result.position, result.waiting) == (
        Outcome.ADMITTED, 0, 0, 0,
    )  # fmt: skip
    snapshot = await backend.snapshot(T0, "n1", 1.0, 0.0, 30.0)
    assert (snapshot.active, snapshot.waiting, snapshot.admitted_total) == (1, 0, 1)
    assert snapshot.gen == result.gen


async def test_at_most_max_active_are_admitted_and_the_rest_wait_in_order(
    backend: Backend,
) -> None:
    results = [await backend.poll(ask(T0 + i * 0.01, max_active=2)) for i in range(5)]
    assert [r.outcome for r in results] == [Outcome.ADMITTED] * 2 + [Outcome.WAITING] * 3
    assert [r.position for r in results[2:]] == [0, 1, 2]
    assert [r.waiting for r in results[2:]] == [1, 2, 3]
    assert len({r.ticket for r in results[2:]}) == 3
    # Polling again keeps one's place; it does not add one.
    third = await again(backend, results[3], ask(T0 + 1, max_active=2))
    assert (third.outcome, third.ticket, third.position, third.waiting) == (
        Outcome.WAITING, results[3].ticket, 1, 3,
    )  # fmt: skip


async def test_concurrent_polls_admit_exactly_max_active(backend: Backend) -> None:
    results = await asyncio.gather(*(backend.poll(ask(max_active=3)) for _ in range(30)))
    assert sum(r.outcome == Outcome.ADMITTED for r in results) == 3
    waiting = [r for r in results if r.outcome == Outcome.WAITING]
    assert sorted(r.position for r in waiting) == list(range(27))


async def test_the_rate_bounds_admissions(backend: Backend) -> None:
    results = [await backend.poll(ask(rate=1.0, capacity=2.0)) for _ in range(4)]
    assert [r.outcome for r in results] == [Outcome.ADMITTED] * 2 + [Outcome.WAITING] * 2
    # One token a second: a second later the head of the line goes in.
    head = await again(backend, results[2], ask(T0 + 1.0, rate=1.0, capacity=2.0))
    assert head.outcome == Outcome.ADMITTED


async def test_a_node_without_a_slot_learns_the_visitor_is_eligible(backend: Backend) -> None:
    result = await backend.poll(ask(allow=False))
    assert (result.outcome, result.position, result.eligible) == (Outcome.WAITING, 0, True)
    admitted = await again(backend, result, ask(T0 + 0.1))
    assert admitted.outcome == Outcome.ADMITTED
    blocked = await backend.poll(ask(max_active=1, allow=False))
    assert (blocked.outcome, blocked.eligible) == (Outcome.WAITING, False)


async def test_a_pass_holds_its_place_until_it_expires(backend: Backend) -> None:
    assert (await backend.poll(ask(max_active=1))).outcome == Outcome.ADMITTED
    waiting = await backend.poll(ask(T0 + 1, max_active=1))
    assert waiting.outcome == Outcome.WAITING
    assert await held(backend, T0 + TTL - 1) == (1, 0)
    assert await held(backend, T0 + TTL + 1) == (0, 0)
    after = await again(backend, waiting, ask(T0 + TTL + 1, max_active=1))
    assert after.outcome == Outcome.ADMITTED


async def test_renew_extends_held_passes_only_and_never_shortens(backend: Backend) -> None:
    first, second = ask(), ask()
    await backend.poll(first)
    await backend.poll(second)
    await backend.renew([(first.jti, T0 + 100), (second.jti, T0 + 1), ("unknown", T0 + 100)])
    assert await held(backend, T0 + 50) == (1, 0)  # first renewed; second kept its expiry
    assert await held(backend, T0 + 101) == (0, 0)  # "unknown" was never given a place


async def test_revoke_frees_the_place_and_is_reported_once_asked_since(
    backend: Backend,
) -> None:
    request = ask(max_active=1)
    await backend.poll(request)
    await backend.revoke(request.jti, T0 + 2, keep=3600)
    snapshot = await backend.snapshot(T0 + 3, "n1", 1.0, T0 + 1, 30.0)
    assert snapshot.active == 0
    assert [(jti, round(at, 3)) for jti, at in snapshot.revoked] == [(request.jti, T0 + 2)]
    later = await backend.snapshot(T0 + 4, "n1", 1.0, T0 + 2.5, 30.0)
    assert list(later.revoked) == []
    assert (await backend.poll(ask(T0 + 3, max_active=1))).outcome == Outcome.ADMITTED
    assert not await backend.claim(request.jti, T0 + 100)  # a revoked pass holds nothing
    assert await held(backend, T0 + 5) == (1, 0)


async def test_an_unheld_pass_holds_its_place_for_the_request_only(backend: Backend) -> None:
    unheld = ask(held=False, max_active=1)
    assert (await backend.poll(unheld)).outcome == Outcome.ADMITTED
    assert await held(backend, T0) == (0, 1)
    assert (await backend.poll(ask(max_active=1))).outcome == Outcome.WAITING
    await backend.release(unheld.jti)
    assert await held(backend, T0) == (0, 0)


async def test_an_unheld_pass_that_comes_back_claims_a_held_place(backend: Backend) -> None:
    unheld = ask(held=False)
    await backend.poll(unheld)
    assert await backend.claim(unheld.jti, T0 + 100)
    assert await held(backend, T0 + 50) == (1, 0)
    await backend.release(unheld.jti)  # a release after the claim frees nothing held
    assert await held(backend, T0 + 50) == (1, 0)


async def test_overrides_are_merged_and_reported(backend: Backend) -> None:
    await backend.set_overrides({"max_active": "5", "mode": "fixed"})
    await backend.set_overrides({"max_active": "7"})
    snapshot = await backend.snapshot(T0, "n1", 1.0, 0.0, 30.0)
    assert snapshot.overrides == {"max_active": "7", "mode": "fixed"}


async def test_reset_empties_the_line_and_keeps_the_passes(backend: Backend) -> None:
    admitted = ask(max_active=1)
    await backend.poll(admitted)
    waiting = await backend.poll(ask(max_active=1))
    await backend.poll(ask(max_active=1))
    await backend.reset()
    snapshot = await backend.snapshot(T0 + 1, "n1", 1.0, 0.0, 30.0)
    assert (snapshot.waiting, snapshot.active) == (0, 1)
    # The old ticket is void: its holder gets a new place, first in the new line.
    back = await again(backend, waiting, ask(T0 + 1, max_active=1))
    assert back.outcome == Outcome.WAITING and back.gen != waiting.gen
    assert (back.position, back.waiting) == (0, 1)


async def test_every_ticking_node_is_counted_and_the_smallest_share_wins(
    backend: Backend,
) -> None:
    await backend.snapshot(T0, "n1", 0.5, 0.0, 30.0)
    snapshot = await backend.snapshot(T0 + 1, "n2", 0.8, 0.0, 30.0)
    assert (snapshot.nodes, snapshot.min_share) == (2, 0.5)
    # A node that stopped ticking is forgotten within seconds.
    alone = await backend.snapshot(T0 + 10, "n2", 0.8, 0.0, 30.0)
    assert (alone.nodes, alone.min_share) == (1, 0.8)
