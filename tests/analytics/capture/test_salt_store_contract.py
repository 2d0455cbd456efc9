"""What every SaltStore promises, held against each one: in this process and in a real
Redis. The first salt stored for a day wins for every caller until it is destroyed, so
that every node hashes a visitor alike; a destroyed salt is gone for good."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from northgate.analytics.capture.salts import (
    DAY,
    SALT_BYTES,
    MemorySaltStore,
    RedisSaltStore,
    SaltStore,
    day_of,
)
from tests.support.servers import RedisServer

TODAY = day_of(time.time())
UNTIL = (TODAY + 2) * DAY  # expiries are real in Redis: keep them in the future


@pytest.fixture(params=["memory", "redis"])
async def store(request: pytest.FixtureRequest) -> AsyncIterator[SaltStore]:
    if request.param == "memory":
        yield MemorySaltStore()
        return
    server: RedisServer = request.getfixturevalue("redis_server")
    redis = Redis.from_url(server.url)
    try:
        yield RedisSaltStore(redis, prefix=f"contract:{secrets.token_hex(4)}:salt:")
    finally:
        await redis.aclose()


def salt() -> bytes:
    return secrets.token_bytes(SALT_BYTES)


async def test_the_first_salt_of_a_day_wins(store: SaltStore) -> None:
    first, second = salt(), salt()
    assert await store.get_or_create(TODAY, first, UNTIL) == first
    assert await store.get_or_create(TODAY, second, UNTIL) == first


async def test_days_have_their_own_salts(store: SaltStore) -> None:
    today, tomorrow = salt(), salt()
    assert await store.get_or_create(TODAY, today, UNTIL) == today
    assert await store.get_or_create(TODAY + 1, tomorrow, UNTIL) == tomorrow
    assert await store.get_or_create(TODAY, salt(), UNTIL) == today


async def test_a_destroyed_salt_is_never_handed_out_again(store: SaltStore) -> None:
    old = salt()
    await store.get_or_create(TODAY, old, UNTIL)
    await store.destroy(TODAY)
    new = salt()
    assert await store.get_or_create(TODAY, new, UNTIL) == new


async def test_destroying_a_day_without_a_salt_is_harmless(store: SaltStore) -> None:
    await store.destroy(TODAY - 5)
    fresh = salt()
    assert await store.get_or_create(TODAY - 5, fresh, UNTIL) == fresh


async def test_concurrent_callers_all_get_one_salt(store: SaltStore) -> None:
    candidates = [salt() for _ in range(20)]
    got = await asyncio.gather(*(store.get_or_create(TODAY, c, UNTIL) for c in candidates))
    assert len(set(got)) == 1 and got[0] in candidates


async def test_a_salt_past_its_expiry_is_not_handed_out_again(store: SaltStore) -> None:
    past = int(time.time()) - 1
    first, second = salt(), salt()
    assert await store.get_or_create(TODAY, first, past) == first
    assert await store.get_or_create(TODAY, second, UNTIL) == second
