"""The attempt counters: fixed windows, refusals not counted, Redis shared or stood in for."""

from __future__ import annotations

import pytest
from redis.asyncio import Redis

from northgate.throttle.store import Counter, FallbackStore, MemoryStore, RedisStore, Store
from northgate.throttle.throttle import Limit, Throttle, client_subject
from tests.support.servers import RedisServer, free_port

A = Counter("a", allowed=2, window_ms=10_000)
B = Counter("b", allowed=5, window_ms=60_000)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def exercise(store: Store) -> None:
    assert await store.attempt([A, B], count=True) == 0
    assert await store.attempt([A, B], count=False) == 0  # looking does not count
    assert await store.attempt([A, B], count=True) == 0
    wait = await store.attempt([A, B], count=True)
    assert 9_000 < wait <= 10_000
    # Refused attempts are not counted: B is still at 2 of 5.
    assert await store.attempt([B], count=True) == 0
    assert await store.attempt([B], count=True) == 0
    assert await store.attempt([B], count=True) == 0
    assert await store.attempt([B], count=False) > 10_000


async def test_memory_store() -> None:
    clock = Clock()
    store = MemoryStore(clock=clock)
    await exercise(store)
    clock.now += 10.5  # A's window is over, B's is not
    assert await store.attempt([A], count=True) == 0
    assert await store.attempt([A, B], count=True) > 0


async def test_memory_store_stays_bounded() -> None:
    store = MemoryStore(max_keys=100, clock=Clock())
    for n in range(1000):
        await store.attempt([Counter(str(n), 1, 60_000)], count=True)
    assert len(store.counts) <= 100


@pytest.mark.redis
async def test_redis_store(redis_server: RedisServer) -> None:
    redis = Redis.from_url(redis_server.url)
    await redis.delete("a", "b")
    try:
        await exercise(RedisStore(redis))
        assert 0 < await redis.pttl("a") <= 10_000
    finally:
        await redis.delete("a", "b")
        await redis.aclose()


async def test_redis_down_means_counting_on_this_node() -> None:
    redis = Redis.from_url(f"redis://127.0.0.1:{free_port()}", socket_connect_timeout=0.5)
    store = FallbackStore(RedisStore(redis))
    await exercise(store)
    assert store.failures > 0
    await redis.aclose()


async def test_subjects_are_stored_only_as_keyed_hashes() -> None:
    store = MemoryStore()
    throttle = Throttle(store, b"k" * 32)
    await throttle.attempt([(Limit("status-client", 1, 60), "192.0.2.1")], count=True)
    (key,) = store.counts
    assert "192.0.2.1" not in key and key.startswith("ng:throttle:{t}:status-client:")


@pytest.mark.parametrize(
    ("address", "subject"),
    [
        ("192.0.2.1", "192.0.2.1"),
        ("2001:db8:1:2::1", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff:1:2:3", "2001:db8:1:2::/64"),
        (None, "unknown"),
    ],
)
def test_client_subject(address: str | None, subject: str) -> None:
    assert client_subject(address) == subject
