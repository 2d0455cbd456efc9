"""The transactional outbox: enqueue in the caller's transaction, claim with a lease.

Jobs move ``pending`` → ``running`` (leased) → ``done``, or back to ``pending`` with a
backoff after a failure, or ``dead`` after too many. A worker that dies leaves its jobs
``running`` with an expired lease; the next claim takes them again, so handlers must be
idempotent (they are run at least once).
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from northgate.core.clock import as_utc
from northgate.storage.db import Database, dialect_name
from northgate.storage.models import OutboxJob

PENDING = "pending"
RUNNING = "running"
DONE = "done"
DEAD = "dead"

MAX_ATTEMPTS = 8
BACKOFF_BASE_SECONDS = 5.0
BACKOFF_CAP_SECONDS = 3600.0


@dataclass(frozen=True)
class ClaimedJob:
    id: int
    kind: str
    dedupe_key: str
    payload: Mapping[str, Any]
    attempts: int  # including this run
    locked_until: datetime


async def enqueue(
    session: AsyncSession,
    kind: str,
    dedupe_key: str,
    payload: Mapping[str, Any],
    available_at: datetime | None = None,
    *,
    now: datetime,
) -> bool:
    """Add a job in the caller's transaction; False if one with this key already exists.

    ``ON CONFLICT DO NOTHING`` rather than check-then-insert: two transactions enqueueing
    the same key at once cannot both insert, and neither fails.
    """
    # ``now`` is the caller's clock (northgate.composition), so a test that moves time
    # moves when jobs fall due.
    due = available_at or now
    values = {
        "kind": kind,
        "dedupe_key": dedupe_key,
        "payload": dict(payload),
        "status": PENDING,
        "attempts": 0,
        "available_at": due,
    }
    if dialect_name(session) == "sqlite":
        statement: Any = sqlite.insert(OutboxJob).values(values).on_conflict_do_nothing()
    else:
        statement = postgresql.insert(OutboxJob).values(values).on_conflict_do_nothing()
    inserted = await session.scalar(statement.returning(OutboxJob.id))
    return inserted is not None


async def claim(
    database: Database, limit: int, lease_seconds: float, now: datetime
) -> list[ClaimedJob]:
    """Lease up to ``limit`` due jobs (pending and due, or running with an expired lease).

    One UPDATE … RETURNING claims them atomically. On PostgreSQL the inner SELECT uses
    ``FOR UPDATE SKIP LOCKED`` so concurrent workers take different jobs instead of waiting
    on each other; SQLite runs one writer at a time, so the statement alone is enough.
    """
    due = or_(
        and_(OutboxJob.status == PENDING, OutboxJob.available_at <= now),
        and_(OutboxJob.status == RUNNING, OutboxJob.locked_until < now),
    )
    locked_until = now + timedelta(seconds=lease_seconds)
    async with database.session() as session, session.begin():
        candidates = select(OutboxJob.id).where(due).order_by(OutboxJob.available_at).limit(limit)
        if dialect_name(session) != "sqlite":
            candidates = candidates.with_for_update(skip_locked=True)
        # Materialised so the LIMIT holds: PostgreSQL may re-run an ``IN (subquery)`` for
        # several rows, and with SKIP LOCKED each run can pick different rows.
        chosen = candidates.cte("chosen").prefix_with("MATERIALIZED")
        statement = (
            update(OutboxJob)
            # Re-check ``due`` so a row claimed between the subquery and the update on
            # another connection is not claimed twice.
            .where(OutboxJob.id.in_(select(chosen.c.id)), due)
            .values(status=RUNNING, locked_until=locked_until, attempts=OutboxJob.attempts + 1)
            .returning(
                OutboxJob.id,
                OutboxJob.kind,
                OutboxJob.dedupe_key,
                OutboxJob.payload,
                OutboxJob.attempts,
            )
            .execution_options(synchronize_session=False)
        )
        rows = (await session.execute(statement)).all()
    return sorted(
        (
            ClaimedJob(row.id, row.kind, row.dedupe_key, row.payload, row.attempts, locked_until)
            for row in rows
        ),
        key=lambda job: job.id,
    )


def _still_ours(job: ClaimedJob) -> tuple[Any, ...]:
    # A worker that overran its lease may finish after another worker re-claimed the job;
    # matching the lease keeps the late one from overwriting the current run's outcome.
    return (
        OutboxJob.id == job.id,
        OutboxJob.status == RUNNING,
        OutboxJob.locked_until == job.locked_until,
    )


async def complete(session: AsyncSession, job: ClaimedJob, now: datetime) -> None:
    """Mark done, in the handler's transaction: its effects and ``done`` commit together."""
    await session.execute(
        update(OutboxJob)
        .where(*_still_ours(job))
        .values(status=DONE, done_at=now, locked_until=None, last_error=None)
        .execution_options(synchronize_session=False)
    )


def backoff(attempts: int, rng: random.Random | None = None) -> timedelta:
    """Exponential (5 s, 10 s, 20 s … capped at an hour) with jitter between half and all
    of it, so jobs that failed together (an SMTP outage) do not retry in lockstep."""
    ceiling = min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2 ** max(attempts - 1, 0))
    return timedelta(seconds=ceiling * (rng or random).uniform(0.5, 1.0))


async def fail(
    session: AsyncSession,
    job: ClaimedJob,
    error: str,
    now: datetime,
    *,
    max_attempts: int = MAX_ATTEMPTS,
    rng: random.Random | None = None,
) -> str:
    """Schedule a retry after a backoff, or bury the job once it used all its attempts.

    Returns the new status. ``last_error`` keeps the latest reason for the operator.
    """
    status = DEAD if job.attempts >= max_attempts else PENDING
    await session.execute(
        update(OutboxJob)
        .where(*_still_ours(job))
        .values(
            status=status,
            available_at=now + backoff(job.attempts, rng) if status == PENDING else now,
            locked_until=None,
            last_error=error[:4000],
        )
        .execution_options(synchronize_session=False)
    )
    return status


@dataclass(frozen=True)
class KindBacklog:
    """What one kind of job has left to do, for monitoring (``northgate.ops.metrics``)."""

    due: int = 0  # pending and due, or running with an expired lease: waiting for a worker
    retrying: int = 0  # pending after at least one failed attempt
    dead: int = 0  # given up after MAX_ATTEMPTS: an operator must look
    lag_seconds: float = 0.0  # how long the longest-waiting due job has been due
    oldest_age_seconds: float = 0.0  # age of the oldest job not done (pending or running)


async def backlog(database: Database, now: datetime) -> dict[str, KindBacklog]:
    """The outbox's backlog per kind of job: one grouped query over the unfinished rows
    (``done`` rows, the bulk of the table, are never read)."""
    due = or_(
        and_(OutboxJob.status == PENDING, OutboxJob.available_at <= now),
        and_(OutboxJob.status == RUNNING, OutboxJob.locked_until < now),
    )
    query = (
        select(
            OutboxJob.kind,
            OutboxJob.status,
            func.count(),
            func.sum(case((due, 1), else_=0)),
            func.sum(case((OutboxJob.attempts > 0, 1), else_=0)),
            func.min(case((due, OutboxJob.available_at), else_=None)),
            func.min(OutboxJob.created_at),
        )
        .where(OutboxJob.status.in_((PENDING, RUNNING, DEAD)))
        .group_by(OutboxJob.kind, OutboxJob.status)
    )
    async with database.session() as session:
        rows = (await session.execute(query)).all()
    found: dict[str, KindBacklog] = {}
    for kind, status, count, due_count, retried, oldest_due, oldest in rows:
        seen = found.get(kind, KindBacklog())
        if status == DEAD:
            found[kind] = dataclasses.replace(seen, dead=seen.dead + count)
            continue
        found[kind] = KindBacklog(
            due=seen.due + int(due_count or 0),
            retrying=seen.retrying + (int(retried or 0) if status == PENDING else 0),
            dead=seen.dead,
            lag_seconds=max(seen.lag_seconds, _seconds_since(oldest_due, now)),
            oldest_age_seconds=max(seen.oldest_age_seconds, _seconds_since(oldest, now)),
        )
    return found


def _seconds_since(moment: datetime | str | None, now: datetime) -> float:
    if moment is None:
        return 0.0
    # SQLite hands a MIN over a CASE back as text: the type of the column is lost.
    stamp = datetime.fromisoformat(moment) if isinstance(moment, str) else moment
    return max(0.0, (now - as_utc(stamp)).total_seconds())
