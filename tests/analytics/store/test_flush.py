"""Flushing: nothing is counted twice, across retries and restarts; the at-most-once window."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from northgate.analytics.runtime import Analytics
from northgate.analytics.store.delta import Delta
from northgate.analytics.store.sql_store import SqlStore
from northgate.settings import Settings
from northgate.storage.db import Database
from tests.analytics.support import BROWSER, window
from tests.support.live import LiveServer, start_server


def record(analytics: Analytics, n: int, address: str = "8.8.8.8", at: float | None = None) -> None:
    now = time.time() if at is None else at
    for i in range(n):
        analytics.recorder.record(
            started=now,
            path="/en/eta",
            peer=address,
            headers=[(b"user-agent", f"{BROWSER} {i % 7}".encode())],
            outcome="served",
        )


async def stored(sql: SqlStore) -> int:
    start, end = window()
    return sum((await sql.counts("minute", start, end)).values())


class LostAnswer:
    """Commits, then fails as if the connection dropped before the answer came back."""

    def __init__(self, sql: SqlStore, failures: int) -> None:
        self.sql = sql
        self.failures = failures
        self.calls = 0

    async def apply(self, delta: Delta, now: int) -> bool:
        self.calls += 1
        applied = await self.sql.apply(delta, now)
        if self.failures > 0:
            self.failures -= 1
            raise ConnectionError("connection reset after commit")
        return applied


class Down:
    async def apply(self, delta: Delta, now: int) -> bool:
        raise ConnectionError("database unreachable")


@pytest.fixture
def make(make_settings: Callable[..., Settings], database_url: str) -> Callable[[], Analytics]:
    def build() -> Analytics:
        return Analytics(make_settings(database_url=database_url), Database(database_url))

    return build


async def test_restart_does_not_count_twice(make: Callable[[], Analytics]) -> None:
    first = make()
    record(first, 40)
    assert await first.flusher.flush() == 40
    record(first, 7)
    await first.stop()  # graceful: the last round writes what is left
    assert await stored(first.sql) == 47
    await first.sql.database.close()

    second = make()  # a new process on the same database
    assert await second.flusher.flush() == 0
    record(second, 5)
    await second.flusher.flush()
    await second.stop()
    assert await stored(second.sql) == 52
    await second.sql.database.close()


async def test_a_retried_batch_is_recognised(make: Callable[[], Analytics]) -> None:
    analytics = make()
    sink = LostAnswer(analytics.sql, failures=2)
    analytics.flusher.sink = sink
    record(analytics, 30)
    assert await analytics.flusher.flush() == 0  # committed, answer lost: kept for retry
    record(analytics, 3)
    assert await analytics.flusher.flush() == 0  # same batch again (recognised), answer lost
    assert await analytics.flusher.flush() == 33  # both batches acknowledged
    assert sink.calls == 4
    assert await stored(analytics.sql) == 33
    await analytics.sql.database.close()


async def test_batches_wait_while_storage_is_down(make: Callable[[], Analytics]) -> None:
    analytics = make()
    analytics.flusher.sink = Down()
    for _ in range(3):
        record(analytics, 10)
        await analytics.flusher.flush()
    assert len(analytics.flusher.pending) == 3
    analytics.flusher.sink = analytics.sql
    assert await analytics.flusher.flush() == 30
    assert await stored(analytics.sql) == 30
    # Bounded: past max_pending the oldest batches are dropped, and said so.
    analytics.flusher.sink = Down()
    analytics.flusher.max_pending = 2
    for _ in range(4):
        record(analytics, 1)
        await analytics.flusher.flush()
    assert analytics.flusher.dropped_arrivals == 2
    await analytics.sql.database.close()


def _descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _started_for(var_dir: str) -> list[int]:
    """Processes whose environment names ``var_dir``: only the ones this test started."""
    marker = f"NORTHGATE_VAR_DIR={var_dir}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if marker in (entry / "environ").read_bytes().split(b"\0"):
                    found.append(int(entry.name))
    return found


def kill_9_everything(server: LiveServer) -> None:
    """SIGKILL the server and its worker processes at once: granian's workers outlive a
    killed master otherwise (and would flush on their own)."""
    var_dir = server.env["NORTHGATE_VAR_DIR"]
    for _ in range(50):
        victims = {*_descendants(server.process.pid), *_started_for(var_dir)}
        victims.add(server.process.pid)
        for pid in victims:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        time.sleep(0.05)
        if not [pid for pid in _started_for(var_dir) if _alive(pid)]:
            break
    server.process.wait(10)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _count_in(database_url: str) -> int:
    async def count() -> int:
        database = Database(database_url)
        try:
            return await stored(SqlStore(database))
        finally:
            await database.close()

    return asyncio.run(count())


def test_kill_9_loses_at_most_the_last_interval_and_a_restart_adds_nothing(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'live.db'}"
    env = {"NORTHGATE_DATABASE_URL": url, "NORTHGATE_ANALYTICS_FLUSH_SECONDS": "0.3"}
    server: LiveServer = start_server(tmp_path / "a", env)
    try:
        with httpx.Client(base_url=server.url, timeout=5) as client:
            for _ in range(50):
                assert client.get("/en/eta", headers={"user-agent": BROWSER}).status_code == 200
            time.sleep(1.5)  # several flush intervals
            for _ in range(20):  # these may or may not be written before the kill
                client.get("/fr/ave", headers={"user-agent": BROWSER})
        kill_9_everything(server)
    finally:
        server.stop()
    after_kill = _count_in(url)
    assert 50 <= after_kill <= 70
    restarted = start_server(tmp_path / "b", env)
    try:
        time.sleep(1.0)
    finally:
        restarted.stop()  # graceful: its (empty) last round adds nothing
    assert _count_in(url) == after_kill


async def visitors_stored(sql: SqlStore) -> int:
    start, end = window()
    sketches = await sql.sketches("minute", start, end)
    return sum(s.count() for key, s in sketches.items() if key.dimension == "all")


async def test_visitors_go_out_less_often_than_counts(make: Callable[[], Analytics]) -> None:
    analytics = make()
    flusher = analytics.flusher
    now = time.time() // 60 * 60 + 1  # early in a minute: rounds below stay in it
    flusher.clock = lambda: now
    # Sketch estimates, not exact counts (two of seven visitors may share a register):
    # what matters is whether a round added the visitors it was given.
    record(analytics, 7, "8.8.8.8", at=now)
    await flusher.flush()  # the first round writes counts and visitors
    first = await visitors_stored(analytics.sql)
    assert first >= 5

    record(analytics, 7, "9.9.9.9", at=now)
    assert await flusher.flush() == 7  # counts at once ...
    assert await visitors_stored(analytics.sql) == first  # ... visitors held back
    assert flusher._visitors.visitors

    now += flusher.visitors_interval
    await flusher.flush()  # the interval is up: held visitors are written
    second = await visitors_stored(analytics.sql)
    assert second > first

    flusher.visitors_interval = 3600.0  # from here on only a closing minute sends them
    record(analytics, 7, "1.1.1.1", at=now)
    now += 1
    await flusher.flush()
    assert await visitors_stored(analytics.sql) == second
    now += 60  # the minute has closed: its visitors are complete and go out
    await flusher.flush()
    third = await visitors_stored(analytics.sql)
    assert third > second

    record(analytics, 7, "4.4.4.4", at=now)
    await analytics.stop()  # the last round writes every visitor gathered
    assert await visitors_stored(analytics.sql) > third
    await analytics.sql.database.close()
