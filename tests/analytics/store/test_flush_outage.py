"""Storage down under the analytics flusher: a line per change of state, not per round."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import pytest

from northgate.analytics.runtime import Analytics
from northgate.analytics.store.delta import Delta
from northgate.outage.watch import DependencyWatch
from northgate.settings import Settings
from northgate.storage.db import Database
from tests.analytics.support import BROWSER


class Refused:
    async def apply(self, delta: Delta, now: int) -> bool:
        raise ConnectionRefusedError(111, "Connect call failed")


async def test_an_outage_is_logged_once_while_batches_wait(
    make_settings: Callable[..., Settings], sqlite_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    analytics = Analytics(make_settings(database_url=sqlite_url), Database(sqlite_url))
    watch = DependencyWatch()
    analytics.flusher.watch = watch
    analytics.flusher.sink = Refused()
    caplog.set_level(logging.INFO)
    for round_number in range(20):
        analytics.recorder.record(
            started=time.time(),
            path="/en/eta",
            peer="8.8.8.8",
            headers=[(b"user-agent", f"{BROWSER} {round_number}".encode())],
            outcome="served",
        )
        await analytics.flusher.flush()
    assert len(analytics.flusher.pending) == 20  # kept for when storage is back
    assert watch.is_down("database")
    lines = [(r.name, r.getMessage()) for r in caplog.records if r.levelno >= logging.WARNING]
    assert lines == [
        ("northgate.outage.watch", "database unavailable: ConnectionRefusedError: "
         "[Errno 111] Connect call failed"),
    ]  # fmt: skip
    await analytics.sql.database.close()
