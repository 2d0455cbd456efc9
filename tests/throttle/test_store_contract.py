"""What every throttle Store promises, held against each one: in this process, in a real
Redis, and the fallback in front of a Redis that answers or one that is down. Windows are
short and real: the Redis store's windows are Redis expiries, not an injected clock."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Callable

import pytest
from redis.asyncio import Redis

from northgate.throttle.store import Counter, FallbackStore, MemoryStore, RedisStore, Store
from tests.support.servers import RedisServer, free_port

WINDOW_MS = 400


@pytest.fixture(params=["memory", "redis", "fallback-redis-up", "fallback-redis-down"])
async def store(request: pytest.FixtureRequest) -> AsyncIterator[Store]:
    if request.param == "memory":
        yield MemoryStore()
        return
    if request.param == "fallback-redis-down":
        redis = Redis.from_url(f"redis://127.0.0.1:{free_port()}", socket_connect_timeout=0.5)
    else:
        server: RedisServer = request.getfixturevalue("redis_server")
        redis = Redis.from_url(server.url)
    try:
        yield RedisStore(redis) if request.param == "redis" else FallbackStore(RedisStore(redis))
    finally:
        await redis.aclose()


@pytest.fixture
def counter() -> Callable[..., Counter]:
    """Counters under keys of this test's own: the Redis server is shared by the session."""
    prefix = "contract:" + secrets.token_hex(4) + ":"

    def make(name: str, allowed: int, window_ms: int = WINDOW_MS) -> Counter:
        return Counter(prefix + name, allowed, window_ms)

    return make


async def test_attempts_up_to_the_limit_go_ahead_then_wait_for_the_window(
    store: Store, counter: Callable[..., Counter]
) -> None:
    a = counter("a", allowed=3, window_ms=60_000)
    assert [await store.attempt([a], count=True) for _ in range(3)] == [0, 0, 0]
    wait = await store.attempt([a], count=True)
    assert 55_000 < wait <= 60_000


async def test_looking_does_not_count(store: Store, counter: Callable[..., Counter]) -> None:
    a = counter("a", allowed=1)
    for _ in range(5):
        assert await store.attempt([a], count=False) == 0
    assert await store.attempt([a], count=True) == 0
    assert await store.attempt([a], count=False) > 0


async def test_refused_attempts_are_not_counted_and_the_window_ends(
    store: Store, counter: Callable[..., Counter]
) -> None:
    a = counter("a", allowed=2)
    assert await store.attempt([a], count=True) == 0
    assert await store.attempt([a], count=True) == 0
    for _ in range(10):  # a client that keeps trying is not pushed further back
        assert 0 < await store.attempt([a], count=True) <= WINDOW_MS
    await asyncio.sleep(WINDOW_MS / 1000 + 0.1)
    assert await store.attempt([a], count=True) == 0
    assert await store.attempt([a], count=True) == 0
    assert await store.attempt([a], count=True) > 0


async def test_one_full_counter_refuses_the_attempt_and_counts_none(
    store: Store, counter: Callable[..., Counter]
) -> None:
    full, other = counter("full", allowed=1, window_ms=60_000), counter("other", allowed=2)
    assert await store.attempt([full], count=True) == 0
    assert await store.attempt([other, full], count=True) > 0
    # ``other`` was not counted by the refused attempt: both its attempts remain.
    assert await store.attempt([other], count=True) == 0
    assert await store.attempt([other], count=True) == 0
    assert await store.attempt([other], count=True) > 0


async def test_the_wait_is_the_longest_of_the_full_counters(
    store: Store, counter: Callable[..., Counter]
) -> None:
    short, long = counter("short", 1, window_ms=10_000), counter("long", 1, window_ms=60_000)
    assert await store.attempt([short, long], count=True) == 0
    assert 55_000 < await store.attempt([short, long], count=False) <= 60_000


async def test_counters_of_different_keys_are_independent(
    store: Store, counter: Callable[..., Counter]
) -> None:
    a, b = counter("a", allowed=1), counter("b", allowed=1)
    assert await store.attempt([a], count=True) == 0
    assert await store.attempt([a], count=True) > 0
    assert await store.attempt([b], count=True) == 0


async def test_concurrent_callers_get_exactly_the_allowed_attempts(
    store: Store, counter: Callable[..., Counter]
) -> None:
    a = counter("a", allowed=5, window_ms=60_000)
    waits = await asyncio.gather(*(store.attempt([a], count=True) for _ in range(40)))
    assert waits.count(0) == 5
