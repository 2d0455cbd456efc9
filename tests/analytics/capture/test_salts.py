"""Daily salts: visitors are counted within a day and cannot be linked across days."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from northgate.analytics.capture.salts import (
    DAY,
    GRACE_SECONDS,
    DailySalts,
    MemorySaltStore,
    RedisSaltStore,
)
from tests.support.servers import RedisServer

MONDAY = 20_000 * DAY  # a day boundary, in Unix seconds
ADDRESS, AGENT = "8.8.8.8", b"Mozilla/5.0"


async def test_same_visitor_same_day_same_hash_next_day_unlinkable() -> None:
    store = MemorySaltStore()
    salts = DailySalts(store)
    await salts.prepare(MONDAY + 3600)
    monday = MONDAY // DAY
    first = salts.visitor(monday, ADDRESS, AGENT)
    assert salts.visitor(monday, ADDRESS, AGENT) == first
    assert salts.visitor(monday, ADDRESS, b"other browser") != first
    assert salts.visitor(monday, "8.8.4.4", AGENT) != first

    # Tuesday, after the grace period: Monday's salt is destroyed everywhere.
    await salts.prepare(MONDAY + DAY + GRACE_SECONDS + 1)
    assert salts.known_days() == [monday + 1]
    assert monday not in store.salts
    tuesday = salts.visitor(monday + 1, ADDRESS, AGENT)
    assert tuesday != first
    # Asking for Monday again cannot bring its salt back: a fresh one gives another hash.
    assert salts.visitor(monday, ADDRESS, AGENT) != first


async def test_the_hash_is_not_the_address() -> None:
    salts = DailySalts(MemorySaltStore())
    await salts.prepare(MONDAY)
    visitor = salts.visitor(MONDAY // DAY, ADDRESS, AGENT)
    assert ADDRESS.encode() not in visitor.to_bytes(8, "big")
    assert 0 <= visitor < 2**64


async def test_tomorrow_is_prepared_before_midnight() -> None:
    salts = DailySalts(MemorySaltStore())
    await salts.prepare(MONDAY + DAY - 600)
    assert salts.known_days() == [MONDAY // DAY, MONDAY // DAY + 1]


@pytest.fixture
async def redis(redis_server: RedisServer) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_server.url)
    await client.flushdb()
    yield client
    await client.aclose()


@pytest.mark.redis
async def test_nodes_share_the_salt_through_redis_and_it_expires_with_its_day(
    redis: Redis,
) -> None:
    import time

    now = time.time()
    today = int(now // DAY)
    one, two = DailySalts(RedisSaltStore(redis)), DailySalts(RedisSaltStore(redis))
    await one.prepare(now)
    await two.prepare(now)
    assert one.visitor(today, ADDRESS, AGENT) == two.visitor(today, ADDRESS, AGENT)
    ttl = await redis.ttl(f"ng:an:salt:{today}")
    assert 0 < ttl <= (today + 1) * DAY + GRACE_SECONDS - now + 1

    # The next day: rotation deletes the shared salt at once (not only at expiry).
    await one.prepare(now + DAY + GRACE_SECONDS + 1)
    assert await redis.exists(f"ng:an:salt:{today}") == 0
    assert one.visitor(today + 1, ADDRESS, AGENT) != two.visitor(today, ADDRESS, AGENT)
