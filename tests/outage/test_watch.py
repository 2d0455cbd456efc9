"""Telling an outage from a bug, and logging one by change of state (pure code)."""

from __future__ import annotations

import asyncio
import logging
import sqlite3

import pytest
import redis.exceptions
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from northgate.edge.gate.config import GateLimits
from northgate.edge.gate.core import GateCore
from northgate.edge.gate.memory import MemoryBackend
from northgate.outage.classify import dependency_of
from northgate.outage.watch import DependencyWatch
from northgate.settings import Settings


class Sqlstate(Exception):
    def __init__(self, sqlstate: str) -> None:
        super().__init__(f"sqlstate {sqlstate}")
        self.sqlstate = sqlstate


def wrapped(orig: BaseException, *, invalidated: bool = False) -> DBAPIError:
    return DBAPIError("SELECT 1", None, orig, connection_invalidated=invalidated)


@pytest.mark.parametrize(
    ("error", "dependency"),
    [
        (ConnectionRefusedError(111, "Connect call failed"), "database"),
        (TimeoutError(), "database"),
        (wrapped(Exception("connection was closed"), invalidated=True), "database"),
        (wrapped(Sqlstate("57P01")), "database"),  # admin shutdown
        (wrapped(Sqlstate("57P03")), "database"),  # cannot connect now
        (wrapped(Sqlstate("53300")), "database"),  # too many connections
        (wrapped(Sqlstate("08006")), "database"),  # connection failure
        (OperationalError("x", None, sqlite3.OperationalError("database is locked")), "database"),
        (
            OperationalError("x", None, sqlite3.OperationalError("unable to open database file")),
            "database",
        ),
        (redis.exceptions.ConnectionError("refused"), "redis"),
        (redis.exceptions.TimeoutError("slow"), "redis"),
        # Bugs stay bugs.
        (IntegrityError("x", None, Exception("duplicate key")), None),
        (wrapped(Sqlstate("42P01")), None),  # undefined table
        (OperationalError("x", None, sqlite3.OperationalError("no such table: a")), None),
        (FileNotFoundError("template"), None),
        (redis.exceptions.ResponseError("WRONGTYPE"), None),
        (ValueError("x"), None),
    ],
)
def test_outages_are_told_from_bugs(error: Exception, dependency: str | None) -> None:
    assert dependency_of(error) == dependency


def test_a_wrapped_cause_is_found() -> None:
    try:
        try:
            raise ConnectionResetError("reset by peer")
        except ConnectionResetError as inner:
            raise RuntimeError("while saving") from inner
    except RuntimeError as outer:
        assert dependency_of(outer) == "database"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_one_line_per_change_of_state_and_a_periodic_count(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = Clock()
    watch = DependencyWatch(report_every=60.0, clock=clock)
    caplog.set_level(logging.INFO, logger="northgate.outage.watch")
    for _ in range(500):
        watch.failed("database", ConnectionRefusedError(111, "Connect call failed\nmore"))
        clock.now += 0.2  # 500 failures over 100 s
    assert watch.is_down("database") and watch.down == ["database"]
    watch.recovered("database")
    watch.recovered("database")  # already up: nothing to say
    lines = [record.getMessage() for record in caplog.records]
    assert lines == [
        "database unavailable: ConnectionRefusedError: [Errno 111] Connect call failed",
        "database still unavailable after 60 s: 300 failures in the last 60 s",
        "database available again after 100 s (500 failures while it was down)",
    ]
    assert all(record.exc_info is None for record in caplog.records)
    assert not watch.is_down("database")


async def test_a_probe_brings_a_dependency_back() -> None:
    answers = [ConnectionRefusedError(), ConnectionRefusedError(), None]

    async def probe() -> None:
        answer = answers.pop(0)
        if answer is not None:
            raise answer

    watch = DependencyWatch({"database": probe}, probe_every=0.01)
    watch.failed("database", ConnectionRefusedError())
    for _ in range(500):
        if not watch.is_down("database"):
            break
        await asyncio.sleep(0.01)
    assert not watch.is_down("database") and answers == []
    await watch.close()


async def test_a_paused_gate_admits_nobody_new_and_keeps_passes_valid() -> None:
    limits = GateLimits.from_settings(Settings(gate_mode="fixed"))
    core = GateCore(
        limits, MemoryBackend(), key=b"k" * 32, event="eta", pass_ttl=600, pass_cap=3600
    )
    now = 1_700_000_000.0
    before = await core.admit(None, now)
    assert before.admitted and before.token is not None
    down = True
    core.paused = lambda: down
    waiting = await core.admit(None, now + 1)
    assert not waiting.admitted and waiting.visitor.ticket >= 1
    assert core.check_pass(before.token, now + 2) == before.issued  # kept
    down = False
    back = await core.admit(waiting.visitor, now + 3)
    assert back.admitted
