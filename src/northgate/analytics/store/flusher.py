"""The background task that moves aggregates out of memory, every few seconds.

Each round: refresh the daily salts, take the aggregates (a swap, no await in between, so
an arrival is in exactly one batch), and write every pending batch in order, each under its
own id. A batch whose write fails stays pending and is retried with the same id, so a write
that committed but whose answer was lost is not counted twice. On shutdown a last round
runs.

Visitors are written less often than counts: their sketches cost per sketch touched (one
per minute and hour for the site, each section and each country), not per arrival, and at
10,000 clients a round they were most of the flusher's work. The visitor hashes gather in
memory and go out with the round after ``visitors_interval`` seconds, or after a minute
closes, so a complete minute's visitors are stored a round after it ends. Merging a
sketch twice changes nothing, so a retried write cannot double count them either.

At-most-once window: a crash (kill -9, power) loses what was recorded since the last
successful write: one flush interval (default 5 s) of arrivals (and up to
``visitors_interval`` of visitors of the current minute), plus any batches still
pending because storage was unreachable (at most ``max_pending``; older ones are dropped
with an error in the log rather than grow memory without bound). Nothing is ever counted
twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Protocol

from northgate.analytics.capture.aggregate import Batch
from northgate.analytics.capture.arrivals import Taken
from northgate.analytics.capture.dimensions import MINUTE
from northgate.analytics.capture.salts import DailySalts
from northgate.analytics.store.delta import Delta
from northgate.core.clock import UnixClock, unix_now
from northgate.outage.classify import dependency_of
from northgate.outage.watch import DependencyWatch

log = logging.getLogger(__name__)


class Source(Protocol):
    def swap(self) -> Taken: ...

    def resolve(self, taken: Taken) -> Batch: ...


class Sink(Protocol):
    async def apply(self, delta: Delta, now: int) -> bool: ...


Housekeeping = Callable[[int], Awaitable[None]]


class Flusher:
    def __init__(
        self,
        source: Source,
        sink: Sink,
        salts: DailySalts,
        *,
        interval: float = 5.0,
        visitors_interval: float = 30.0,
        housekeeping: Housekeeping | None = None,
        housekeeping_interval: float = 60.0,
        max_pending: int = 120,
        clock: UnixClock = unix_now,
    ) -> None:
        self.source = source
        self.sink = sink
        self.salts = salts
        self.interval = interval
        self.visitors_interval = visitors_interval
        self.housekeeping = housekeeping
        self.housekeeping_interval = housekeeping_interval
        self.max_pending = max_pending
        self.clock = clock
        self.pending: deque[Delta] = deque()
        self.written_arrivals = 0
        self.dropped_arrivals = 0
        self._task: asyncio.Task[None] | None = None
        self._last_housekeeping = 0.0
        self._visitors = Batch()  # hashes gathered since the last visitors' write
        self._visitors_written_at: float | None = None
        # Set by the application: storage that is down is then reported once per change of
        # state (with a periodic count) instead of a line every round.
        self.watch: DependencyWatch | None = None

    def _failed(self, error: Exception, message: str, *args: object) -> None:
        dependency = dependency_of(error) if self.watch is not None else None
        if self.watch is not None and dependency is not None:
            self.watch.failed(dependency, error)
        else:
            log.warning(message + ": %r", *args, error)

    async def flush(self, *, all_visitors: bool = False) -> int:
        """One round; returns the arrivals written by it. ``all_visitors``: write the visitors
        gathered so far whatever their age (the last round, and tests)."""
        now = self.clock()
        try:
            await self.salts.prepare(now)
        except Exception as error:
            self._failed(error, "analytics: could not refresh the daily salt")
        # The swap hands the round over whole, on the loop (an arrival is in exactly one
        # round); reading and resolving it, and building sketches, take tens of milliseconds
        # at 10,000 clients a round: in a thread, so that requests do not wait behind them.
        batch = await asyncio.to_thread(self.source.resolve, self.source.swap())
        self._visitors.absorb(Batch(visitors=batch.visitors))
        visitors = self._visitors if all_visitors or self._visitors_due(now) else None
        if visitors is not None:
            self._visitors, self._visitors_written_at = Batch(), now
        if batch.counts or visitors:
            counts = Batch(counts=batch.counts, batch_id=batch.batch_id)
            self.pending.append(await asyncio.to_thread(Delta.of, counts, visitors))
        written = 0
        while self.pending:
            delta = self.pending[0]
            try:
                await self.sink.apply(delta, int(now))
            except Exception as error:
                self._failed(
                    error,
                    "analytics: write of %d arrivals failed, kept for retry (%d pending)",
                    delta.arrivals,
                    len(self.pending),
                )
                break
            self.pending.popleft()
            written += delta.arrivals
        while len(self.pending) > self.max_pending:
            lost = self.pending.popleft()
            self.dropped_arrivals += lost.arrivals
            log.error("analytics: storage unreachable; dropped %d arrivals", lost.arrivals)
        self.written_arrivals += written
        return written

    def _visitors_due(self, now: float) -> bool:
        if not self._visitors.visitors:
            return False
        last = self._visitors_written_at
        if last is None or now - last >= self.visitors_interval:
            return True
        # A minute closed since the last write: its visitors are complete, store them.
        closed = int(now) // MINUTE
        return any(key.minute < closed for key in self._visitors.visitors)

    async def tidy(self) -> None:
        if self.housekeeping is None:
            return
        try:
            await self.housekeeping(int(self.clock()))
        except Exception as error:
            self._failed(error, "analytics: housekeeping failed")

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            await self.flush()
            if time.monotonic() - self._last_housekeeping >= self.housekeeping_interval:
                self._last_housekeeping = time.monotonic()
                await self.tidy()

    def start(self) -> None:
        if self._task is None:
            self._last_housekeeping = time.monotonic()
            self._task = asyncio.create_task(self.run(), name="analytics-flusher")

    async def stop(self, grace: float = 10.0) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        try:
            await asyncio.wait_for(self.flush(all_visitors=True), grace)
        except TimeoutError:
            log.error("analytics: last flush timed out; %d batches unwritten", len(self.pending))
