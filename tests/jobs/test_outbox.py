"""The outbox on both backends: deduplicated enqueue, leased claims, backoff, burial."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from northgate.jobs import outbox
from northgate.storage.db import Database
from northgate.storage.models import OutboxJob
from tests.payments.support import Clock, count


async def _enqueue(database: Database, key: str, clock: Clock) -> bool:
    async with database.session() as session, session.begin():
        return await outbox.enqueue(session, "test", key, {"key": key}, now=clock())


async def test_enqueue_ignores_a_duplicate_key(database: Database) -> None:
    clock = Clock()
    assert await _enqueue(database, "decide:1", clock)
    assert not await _enqueue(database, "decide:1", clock)
    results = await asyncio.gather(*(_enqueue(database, "decide:2", clock) for _ in range(5)))
    assert sorted(results) == [False, False, False, False, True]
    assert await count(database, OutboxJob) == 2


async def test_enqueue_is_rolled_back_with_the_callers_transaction(database: Database) -> None:
    now = Clock()()
    async with database.session() as session:
        async with session.begin():
            await outbox.enqueue(session, "test", "kept", {}, now=now)
        await session.begin()
        await outbox.enqueue(session, "test", "dropped", {}, now=now)
        await session.rollback()
    async with database.session() as session:
        keys = (await session.scalars(select(OutboxJob.dedupe_key))).all()
    assert keys == ["kept"]


async def test_concurrent_claims_never_share_a_job(database: Database) -> None:
    clock = Clock()
    for n in range(12):
        await _enqueue(database, f"job:{n}", clock)
    batches = await asyncio.gather(*(outbox.claim(database, 4, 60, clock()) for _ in range(4)))
    claimed = [job.dedupe_key for batch in batches for job in batch]
    assert sorted(claimed) == sorted(f"job:{n}" for n in range(12))
    assert all(len(batch) <= 4 for batch in batches)
    # Leased: nothing left to claim until the lease runs out.
    assert await outbox.claim(database, 10, 60, clock()) == []


async def test_a_job_whose_worker_died_is_claimed_again_after_its_lease(
    database: Database,
) -> None:
    clock = Clock()
    await _enqueue(database, "job", clock)
    [first] = await outbox.claim(database, 1, 30, clock())
    clock.advance(seconds=29)
    assert await outbox.claim(database, 1, 30, clock()) == []
    clock.advance(seconds=2)
    [again] = await outbox.claim(database, 1, 30, clock())
    assert (again.id, again.attempts) == (first.id, 2)
    # The first worker wakes up late: its outcome no longer applies.
    async with database.session() as session, session.begin():
        await outbox.complete(session, first, clock())
    async with database.session() as session:
        job = await session.get(OutboxJob, first.id)
    assert job is not None and job.status == "running"


async def test_a_failing_job_backs_off_then_is_buried(database: Database) -> None:
    clock = Clock()
    rng = random.Random(7)
    await _enqueue(database, "flaky", clock)
    delays = []
    for attempt in (1, 2, 3):
        [job] = await outbox.claim(database, 1, 60, clock())
        assert job.attempts == attempt
        async with database.session() as session, session.begin():
            status = await outbox.fail(
                session, job, f"SMTP down #{attempt}", clock(), max_attempts=3, rng=rng
            )
        async with database.session() as session:
            row = await session.get(OutboxJob, job.id)
        assert row is not None
        assert row.last_error == f"SMTP down #{attempt}"
        if attempt < 3:
            assert status == row.status == "pending"
            delay = row.available_at.replace(tzinfo=None) - clock().replace(tzinfo=None)
            delays.append(delay)
            # Not due yet: no claim before the backoff has passed.
            assert await outbox.claim(database, 1, 60, clock() + delay / 2) == []
            clock.advance(seconds=delay.total_seconds())
        else:
            assert status == row.status == "dead"
    assert timedelta(seconds=2.5) <= delays[0] <= timedelta(seconds=5)
    assert timedelta(seconds=5) <= delays[1] <= timedelta(seconds=10)
    clock.advance(days=1)
    assert await outbox.claim(database, 1, 60, clock()) == []


def test_backoff_grows_exponentially_with_jitter_and_a_cap() -> None:
    rng = random.Random(1)
    for attempts in range(1, 20):
        delay = outbox.backoff(attempts, rng).total_seconds()
        ceiling = min(3600.0, 5.0 * 2 ** (attempts - 1))
        assert ceiling / 2 <= delay <= ceiling


async def test_backlog_reports_lag_retries_and_dead_jobs_per_kind(database: Database) -> None:
    # Near the real time: the database stamps created_at itself.
    clock = Clock(datetime.now(UTC))
    start = clock()
    async with database.session() as session, session.begin():
        for n in range(3):
            await outbox.enqueue(session, "email", f"mail:{n}", {}, now=start)
        await outbox.enqueue(session, "decide", "decide:1", {}, now=start)
    assert (await outbox.backlog(database, start))["email"].due == 3
    # One e-mail fails for good, one fails once and waits for its retry.
    jobs = await outbox.claim(database, 10, 60, start)
    mails = sorted((job for job in jobs if job.kind == "email"), key=lambda job: job.dedupe_key)
    async with database.session() as session, session.begin():
        await outbox.fail(session, mails[0], "refused", start, max_attempts=1)
        await outbox.fail(session, mails[1], "timeout", start, rng=random.Random(1))
    clock.advance(seconds=90)
    found = await outbox.backlog(database, clock())
    email, decide = found["email"], found["decide"]
    assert email.dead == 1 and email.retrying == 1
    # mail:2 and decide:1 are still running, their leases (60 s) expired 30 s ago: due.
    assert email.due == 2 and decide.due == 1
    assert 29 <= email.lag_seconds <= 91
    assert 85 <= email.oldest_age_seconds <= 95
