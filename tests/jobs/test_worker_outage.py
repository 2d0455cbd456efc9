"""The worker rides out a database outage: alive, backing off, quiet, and back to work.

A real PostgreSQL is stopped under a running worker and started again."""

from __future__ import annotations

import asyncio
import logging
import time

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from northgate.jobs.outbox import ClaimedJob, enqueue
from northgate.jobs.worker import Outside, Worker
from northgate.storage.db import Database
from northgate.storage.migrate import upgrade
from tests.support.servers import PostgresServer

POLL = 0.05


class CountingWorker(Worker):
    iterations = 0

    async def run_once(self) -> int:
        self.iterations += 1
        return await super().run_once()


@pytest.mark.postgres
async def test_the_worker_survives_a_database_outage_without_spinning(
    outage_postgres: PostgresServer, caplog: pytest.LogCaptureFixture
) -> None:
    url = outage_postgres.create_database("jobs")
    await asyncio.to_thread(upgrade, url)
    database = Database(url)
    done: list[str] = []

    async def note(_session: AsyncSession, job: ClaimedJob) -> Outside | None:
        done.append(job.dedupe_key)
        return None

    worker = CountingWorker(database, {"note": note}, max_backoff=1.0)
    stop = asyncio.Event()
    caplog.set_level(logging.INFO)
    running = asyncio.create_task(worker.run_forever(stop, poll_interval=POLL))
    try:
        await asyncio.sleep(0.3)
        await asyncio.to_thread(outage_postgres.halt)
        before = worker.iterations
        await asyncio.sleep(4.0)
        assert not running.done(), "the worker died with the database"
        # Polling every 50 ms would be 80 attempts in 4 s; backing off to 1 s makes ~8.
        assert worker.iterations - before <= 12, worker.iterations - before
        assert worker.watch.is_down("database")

        await asyncio.to_thread(outage_postgres.resume)
        async with database.session() as session, session.begin():
            await enqueue(session, "note", "after-the-outage", {}, now=worker.clock())
        deadline = time.monotonic() + 30
        while "after-the-outage" not in done:
            assert time.monotonic() < deadline, "no job ran after the database came back"
            await asyncio.sleep(0.1)
        assert not worker.watch.is_down("database")
    finally:
        stop.set()
        await running
        await worker.watch.close()
        await database.close()

    lines = [r.getMessage() for r in caplog.records if r.name == "northgate.outage.watch"]
    assert sum("database unavailable" in line for line in lines) == 1, lines
    assert any("database available again" in line for line in lines), lines
    tracebacks = [r for r in caplog.records if r.name.startswith("northgate") and r.exc_info]
    assert tracebacks == []
