"""What every analytics Sink (the flusher's storage) promises, held against each one: the
database on SQLite and on a real PostgreSQL, and Redis in front of the database. Each is
read the way reports read it (``Reader``).

A batch is added exactly once, whatever retries; counts add up by key, by minute and by
hour; visitor sketches merge, so a sketch written twice counts its visitors once."""

from __future__ import annotations

import asyncio
import random
import secrets
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from redis.asyncio import Redis

from northgate.analytics.capture.aggregate import SketchKey
from northgate.analytics.capture.dimensions import ArrivalKey
from northgate.analytics.capture.hll import Sketch
from northgate.analytics.store.delta import Delta
from northgate.analytics.store.flusher import Sink
from northgate.analytics.store.reading import Reader
from northgate.analytics.store.redis_store import RedisStore
from northgate.analytics.store.sql_store import SqlStore
from northgate.storage.db import Database
from northgate.storage.migrate import upgrade
from tests.support.servers import PostgresServer, RedisServer

NOW = int(time.time())  # Redis expires what it holds in real time: write around now
MINUTE = NOW // 60
HOUR = MINUTE // 60
START, END = (HOUR - 1) * 3600, (HOUR + 2) * 3600


@dataclass
class Store:
    sink: Sink
    reader: Reader


@pytest.fixture(params=["sqlite", "postgresql", "redis"])
def kind_and_url(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, str]:
    """The store's kind and a freshly migrated database (Redis rolls up into SQLite)."""
    if request.param == "postgresql":
        server: PostgresServer = request.getfixturevalue("postgres_server")
        url = server.create_database(f"t_{uuid.uuid4().hex[:12]}")
    else:
        url = f"sqlite:///{tmp_path / 'northgate.db'}"
    upgrade(url)
    return request.param, url


@pytest.fixture
async def store(
    request: pytest.FixtureRequest, kind_and_url: tuple[str, str]
) -> AsyncIterator[Store]:
    kind, url = kind_and_url
    database = Database(url)
    sql = SqlStore(database)
    try:
        if kind != "redis":
            yield Store(sql, Reader(sql))
        else:
            redis_server: RedisServer = request.getfixturevalue("redis_server")
            redis = Redis.from_url(redis_server.url)
            live = RedisStore(redis, sql, prefix=f"contract:{secrets.token_hex(4)}:")
            try:
                yield Store(live, Reader(sql, live))
            finally:
                await redis.aclose()
    finally:
        await database.close()


def key(minute: int = MINUTE, country: str = "US", outcome: str = "served") -> ArrivalKey:
    return ArrivalKey(minute, "eta", "en", country, outcome, False)  # type: ignore[arg-type]


def people(first: int, n: int) -> Sketch:
    """Visitors ``first`` .. ``first + n - 1`` of one fixed stream of hashes."""
    rng = random.Random(0)
    hashes = [rng.getrandbits(64) for _ in range(first + n)]
    return Sketch.of(hashes[first:])


def everyone(granularity: str = "minute", period: int = MINUTE) -> SketchKey:
    return SketchKey(granularity, period, "all", "")  # type: ignore[arg-type]


async def counts(store: Store, granularity: str = "minute") -> dict[ArrivalKey, int]:
    return await store.reader.counts(granularity, START, END)  # type: ignore[arg-type]


async def test_a_batch_is_added_once_however_often_it_is_retried(store: Store) -> None:
    delta = Delta("b1", {key(): 10})
    assert await store.sink.apply(delta, NOW)
    for _ in range(3):
        assert not await store.sink.apply(Delta("b1", {key(): 10}), NOW)
    assert await counts(store) == {key(): 10}


async def test_counts_add_up_by_key_minute_and_hour(store: Store) -> None:
    await store.sink.apply(Delta("b1", {key(): 3, key(country="CA"): 2}), NOW)
    await store.sink.apply(Delta("b2", {key(): 4, key(MINUTE - 1): 5}), NOW)
    await store.sink.apply(Delta("b3", {key(outcome="queued"): 1}), NOW)
    assert await counts(store) == {
        key(): 7,
        key(country="CA"): 2,
        key(MINUTE - 1): 5,
        key(outcome="queued"): 1,
    }
    hours: dict[ArrivalKey, int] = {}
    for minute_key, n in (await counts(store)).items():
        hour_key = minute_key._replace(minute=minute_key.minute // 60)
        hours[hour_key] = hours.get(hour_key, 0) + n
    assert await counts(store, "hour") == hours
    assert sum(hours.values()) == 15


async def test_concurrent_writers_lose_nothing_and_add_nothing_twice(store: Store) -> None:
    deltas = [Delta(f"b{i}", {key(): 1, key(country="CA"): i}) for i in range(10)]
    retries = [Delta(f"b{i}", {key(): 1, key(country="CA"): i}) for i in range(10)]
    applied = await asyncio.gather(*(store.sink.apply(d, NOW) for d in deltas + retries))
    assert sum(applied) == 10
    assert await counts(store) == {key(): 10, key(country="CA"): 45}


async def test_visitor_sketches_merge_and_a_repeat_counts_nobody_twice(store: Store) -> None:
    minute, hour = everyone(), everyone("hour", HOUR)
    first = {minute: people(0, 300), hour: people(0, 300)}
    await store.sink.apply(Delta("b1", sketches=first), NOW)
    # The next batch sees 200 of the same people and 100 new ones.
    later = {minute: people(100, 300), hour: people(100, 300)}
    await store.sink.apply(Delta("b2", sketches=later), NOW)
    # Sketches carry no id of their own to recognise: writing them again must change nothing.
    again = {minute: people(100, 300), hour: people(100, 300)}
    await store.sink.apply(Delta("b3", sketches=again), NOW)
    for granularity, sketch_key in (("minute", minute), ("hour", hour)):
        read = await store.reader.sketches(granularity, START, END)  # type: ignore[arg-type]
        assert read[sketch_key].count() == pytest.approx(400, rel=0.05)


async def test_nothing_is_read_outside_the_period_asked(store: Store) -> None:
    await store.sink.apply(Delta("b1", {key(): 1, key(MINUTE - 24 * 60): 5}), NOW)
    assert await counts(store) == {key(): 1}
