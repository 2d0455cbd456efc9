"""The production backend: every node adds into Redis; roll-ups move closed minutes into the
database exactly once. Against a real Redis, with two real server processes."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx
import pytest
from redis.asyncio import Redis

from northgate.analytics.capture.aggregate import SketchKey
from northgate.analytics.capture.dimensions import ArrivalKey
from northgate.analytics.capture.hll import Sketch
from northgate.analytics.store.delta import Delta
from northgate.analytics.store.reading import Reader
from northgate.analytics.store.redis_store import RedisStore
from northgate.analytics.store.sql_store import SqlStore
from northgate.storage.db import Database
from northgate.storage.migrate import upgrade
from tests.analytics.support import BROWSER, window
from tests.support.live import start_server
from tests.support.servers import RedisServer

pytestmark = pytest.mark.redis

DB_INDEX = 7  # a database of its own on the shared test server: FLUSHDB touches only ours


def redis_url(server: RedisServer) -> str:
    return server.url.rsplit("/", 1)[0] + f"/{DB_INDEX}"


@pytest.fixture
async def redis(redis_server: RedisServer) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url(redis_server))
    await client.flushdb()
    yield client
    await client.flushdb()
    await client.aclose()


@pytest.fixture
async def sql(sqlite_url: str) -> AsyncIterator[SqlStore]:
    database = Database(sqlite_url)
    yield SqlStore(database)
    await database.close()


def delta(batch_id: str, minute: int, n: int, country: str = "US") -> Delta:
    key = ArrivalKey(minute, "eta", "en", country, "served", False)
    rng = random.Random(0)  # the same people every time: the first n of one stream
    sketch = Sketch.of(rng.getrandbits(64) for _ in range(n))
    return Delta(batch_id, {key: n}, {SketchKey("minute", minute, "all", ""): sketch})


async def total(reader: Reader | SqlStore) -> int:
    start, end = window(48)
    return sum((await reader.counts("minute", start, end)).values())


async def test_a_batch_is_added_once(redis: Redis, sql: SqlStore) -> None:
    store = RedisStore(redis, sql)
    minute = int(time.time() // 60)
    assert await store.apply(delta("b1", minute, 10), 0)
    assert not await store.apply(delta("b1", minute, 10), 0)  # retried: recognised
    assert await store.apply(delta("b2", minute, 5), 0)
    assert sum((await store.counts(minute, minute + 1)).values()) == 15


async def test_roll_up_moves_closed_minutes_exactly_once(redis: Redis, sql: SqlStore) -> None:
    store = RedisStore(redis, sql)
    reader = Reader(sql, store)
    now = int(time.time())
    old, recent = now // 60 - 10, now // 60
    await store.apply(delta("a", old, 100, "US"), now)
    await store.apply(delta("b", old, 20, "CA"), now)
    await store.apply(delta("c", recent, 7), now)
    assert await total(reader) == 127

    assert await store.roll_up(now) == 120  # only the closed minute
    assert await total(sql) == 120
    assert await total(reader) == 127  # database + Redis, nothing twice
    # A node that flushed late, into the minute already rolled up: picked up next time.
    await store.apply(delta("late", old, 3), now)
    assert await total(reader) == 130
    assert await store.roll_up(now) == 3
    assert await store.roll_up(now + 3600) == 7
    assert await total(sql) == 130
    assert await redis.keys("ng:an:c:*") == []
    # Visitor sketches followed the counts into the database.
    sketches = await sql.sketches("minute", *window(48))
    assert sketches[SketchKey("minute", old, "all", "")].count() == 100


async def test_a_roll_up_interrupted_after_the_database_write_is_not_counted_twice(
    redis: Redis, sql: SqlStore
) -> None:
    store = RedisStore(redis, sql)
    now = int(time.time())
    await store.apply(delta("a", now // 60 - 10, 50), now)

    async def forget_nothing(names: list[str]) -> None:
        raise ConnectionError("crashed before deleting the claimed keys")

    store._forget = forget_nothing  # type: ignore[method-assign]
    with pytest.raises(ConnectionError):
        await store.roll_up(now)
    assert await total(sql) == 50
    del store._forget  # back to normal: the next roll-up finds the claimed key pending
    await store.roll_up(now)
    assert await total(sql) == 50
    assert await redis.smembers("ng:an:pending") == set()


def test_two_server_processes_share_the_counts(
    redis_server: RedisServer, tmp_path: Path, make_settings: Callable[..., object]
) -> None:
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    upgrade(url)
    env = {
        "NORTHGATE_DATABASE_URL": url,
        "NORTHGATE_REDIS_URL": redis_url(redis_server),
        "NORTHGATE_ANALYTICS_FLUSH_SECONDS": "0.3",
    }
    asyncio.run(_flush_redis(redis_url(redis_server)))
    one = start_server(tmp_path / "one", env)
    two = start_server(tmp_path / "two", env)
    try:
        for server, n in ((one, 30), (two, 45)):
            with httpx.Client(base_url=server.url, timeout=5) as client:
                for i in range(n):
                    path = "/en/eta" if i % 3 else "/en/eta/apply"
                    client.get(path, headers={"user-agent": BROWSER})
        time.sleep(1.5)  # several flush intervals
        asyncio.run(_check_shared(url, redis_url(redis_server), expected=75))
    finally:
        one.stop()
        two.stop()


async def _flush_redis(url: str) -> None:
    client = Redis.from_url(url)
    await client.flushdb()
    await client.aclose()


async def _check_shared(database_url: str, url: str, expected: int) -> None:
    database = Database(database_url)
    client = Redis.from_url(url)
    try:
        sql = SqlStore(database)
        store = RedisStore(client, sql)
        assert await total(Reader(sql, store)) == expected
        # Roll everything up as if the minutes had closed: the database alone has it all.
        await store.roll_up(int(time.time()) + 3600)
        assert await total(sql) == expected
        assert await total(Reader(sql, store)) == expected
        # One visitor (127.0.0.1 + one user agent) seen by both nodes: one, not two. The
        # servers roll closed minutes up on their own schedule, so the visitor may sit in
        # minute or hour rows (or both, around a boundary): their union must count one.
        seen = Sketch()
        for level in ("minute", "hour"):
            for key, sketch in (await sql.sketches(level, *window(48))).items():
                if key.dimension == "all":
                    seen.merge(sketch)
        assert seen.count() == 1
    finally:
        await client.aclose()
        await database.close()
