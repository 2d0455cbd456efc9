"""The worker: claim due jobs, run their handlers, record the outcome; reconcile payments.

Runs inside the server (embedded default) or as ``northgate worker`` processes; several
can share one database because claims are leased (``outbox.claim``). A handler runs in a
transaction that also marks its job done, so its database effects and "done" commit
together; a handler that raises rolls back and the job is retried with a backoff.

A handler that talks to the outside world (an SMTP relay can take seconds) returns an
``Outside`` instead of doing it in its transaction: the worker runs it with no database
connection held (on SQLite the process has only one), then records its outcome and
"done" in a second transaction.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from northgate.core.clock import Clock, utc_now
from northgate.jobs.outbox import MAX_ATTEMPTS, ClaimedJob, claim, complete, fail
from northgate.outage.classify import DATABASE, dependency_of
from northgate.outage.watch import DependencyWatch
from northgate.storage.db import Database

log = logging.getLogger(__name__)


class Outside(Protocol):
    """Work left by a handler for after its transaction: ``run`` it, then ``record`` it."""

    async def run(self) -> None: ...

    async def record(self, session: AsyncSession) -> None: ...


Handler = Callable[[AsyncSession, ClaimedJob], Awaitable[Outside | None]]


class Reconciler(Protocol):
    """Periodic clean-up run beside the jobs (the payment service settling abandoned
    payments). A protocol, so that payments, which enqueue jobs, can be handed to the
    worker without the jobs package importing them."""

    async def reconcile(self) -> int: ...


class Worker:
    def __init__(
        self,
        database: Database,
        handlers: Mapping[str, Handler],
        clock: Clock = utc_now,
        *,
        payments: Reconciler | None = None,
        reconcile_every: float = 60.0,
        batch_size: int = 8,
        lease_seconds: float = 120.0,
        max_attempts: int = MAX_ATTEMPTS,
        rng: random.Random | None = None,
        watch: DependencyWatch | None = None,
        max_backoff: float = 15.0,
    ) -> None:
        self.database = database
        self.handlers = dict(handlers)
        self.clock = clock
        self.payments = payments
        self.reconcile_every = reconcile_every
        self.batch_size = batch_size
        self.lease_seconds = lease_seconds
        # A handler that outlives its lease would run twice; stop it well before.
        self.job_timeout = lease_seconds * 0.75
        self.max_attempts = max_attempts
        self.rng = rng or random.Random()
        self.watch = watch or DependencyWatch({DATABASE: database.ping})
        # While a dependency is down the loop waits longer each time, up to this: alive,
        # retrying, without spinning on a dead connection.
        self.max_backoff = max_backoff
        self._next_reconcile = 0.0

    async def run_once(self) -> int:
        """Claim a batch of due jobs and run them concurrently; return how many ran."""
        jobs = await claim(self.database, self.batch_size, self.lease_seconds, self.clock())
        await asyncio.gather(*(self._run(job) for job in jobs))
        return len(jobs)

    async def reconcile_if_due(self) -> int:
        if self.payments is None or time.monotonic() < self._next_reconcile:
            return 0
        self._next_reconcile = time.monotonic() + self.reconcile_every
        return await self.payments.reconcile()

    async def run_forever(self, stop: asyncio.Event, poll_interval: float = 0.5) -> None:
        """Until ``stop`` is set. Drains without pausing while there is work; otherwise
        polls every ``poll_interval`` seconds. Nothing a job does can end the loop."""
        pause = poll_interval
        while not stop.is_set():
            ran = 0
            outage = False
            # Separately guarded: a gateway outage must not hold up e-mails, nor the reverse.
            try:
                await self.reconcile_if_due()
            except Exception as error:
                outage = self._outage(error, "payment reconciliation failed")
            try:
                ran = await self.run_once()
            except Exception as error:
                outage = self._outage(error, "worker iteration failed") or outage
            else:
                self.watch.recovered(DATABASE)
            pause = min(pause * 2, self.max_backoff) if outage else poll_interval
            if ran == 0 or outage:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), pause)

    def _outage(self, error: Exception, what: str) -> bool:
        """Report ``error``: to the watch (one line per change of state) when a dependency
        is down, else with its traceback. True when it was an outage."""
        dependency = dependency_of(error)
        if dependency is None:
            log.exception(what)
            return False
        self.watch.failed(dependency, error)
        return True

    async def _run(self, job: ClaimedJob) -> None:
        handler = self.handlers.get(job.kind)
        try:
            if handler is None:
                raise LookupError(f"no handler for job kind {job.kind!r}")
            async with asyncio.timeout(self.job_timeout):
                async with self.database.session() as session, session.begin():
                    outside = await handler(session, job)
                    if outside is None:
                        await complete(session, job, self.clock())
                if outside is not None:
                    await outside.run()
                    async with self.database.session() as session, session.begin():
                        await outside.record(session)
                        await complete(session, job, self.clock())
        except Exception as error:
            await self._fail(job, error)

    async def _fail(self, job: ClaimedJob, error: Exception) -> None:
        reason = f"{type(error).__name__}: {error}"
        try:
            async with self.database.session() as session, session.begin():
                status = await fail(
                    session,
                    job,
                    reason,
                    self.clock(),
                    max_attempts=self.max_attempts,
                    rng=self.rng,
                )
        except Exception as failure:
            # Could not even record it: the lease expires and the job is claimed again.
            self._outage(failure, f"could not record failure of job {job.id}")
            return
        level = logging.ERROR if status == "dead" else logging.WARNING
        log.log(
            level,
            "job %s (%s) attempt %s failed, now %s: %s",
            job.id,
            job.dedupe_key,
            job.attempts,
            status,
            reason,
        )


@contextlib.asynccontextmanager
async def running_worker(worker: Worker) -> AsyncIterator[None]:
    """Run the worker as a task until the block exits (the embedded default)."""
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run_forever(stop), name="northgate-worker")
    try:
        yield
    finally:
        stop.set()
        try:
            await asyncio.wait_for(task, timeout=10)
        except TimeoutError:
            task.cancel()
            log.warning("worker did not stop within 10 s; cancelled")
