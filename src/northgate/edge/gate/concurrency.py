"""Requests in flight on this node, against the adaptive limit, with priority shedding.

- ``SHEDDABLE`` is refused as soon as in flight reaches ``sheddable_share`` of the limit,
  so it goes first and leaves the rest of the room to the journey.
- ``DEFAULT`` over the limit waits briefly (up to ``wait_factor`` times the no-load
  latency) for a slot, then is refused; freed slots go to the newest such waiter.
- ``CRITICAL`` over the limit waits ahead of ``DEFAULT`` and is let through after
  ``critical_wait`` seconds at the latest: never refused.

A refusal is cheap and immediate; the caller answers 503 with a jittered Retry-After.
No I/O here: an asyncio future per waiting request.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable

from northgate.edge.gate.limiter import GradientLimit
from northgate.edge.gate.routes import RequestClass


class ConcurrencyGuard:
    def __init__(
        self,
        limiter: GradientLimit,
        *,
        sheddable_share: float = 0.75,
        wait_factor: float = 1.0,
        max_wait: float = 0.25,
        critical_wait: float = 5.0,
        slow_wait: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limiter = limiter
        self.sheddable_share = sheddable_share
        self.wait_factor = wait_factor
        self.max_wait = max_wait
        self.critical_wait = critical_wait
        self.slow_wait = slow_wait
        self.clock = clock
        self.in_flight = 0
        self.peak_in_flight = 0
        # Requests that waited ``slow_wait`` or more for a slot since the gate's last tick
        # (which resets it): admitted work queueing that long means admissions outrun
        # this node.
        self.slow_waits = 0
        # CRITICAL requests let in over the limit after waiting ``critical_wait``: admitted
        # work the node could not serve in time, like a shed one (see RateGovernor).
        self.forced = 0
        self._critical: deque[asyncio.Future[bool]] = deque()
        self._default: deque[asyncio.Future[bool]] = deque()

    @property
    def limit(self) -> int:
        return self.limiter.limit

    def _has_room(self) -> bool:
        return self.in_flight < self.limiter.limit

    def has_free_slot(self) -> bool:
        """Room now, and nobody already waiting for it."""
        return self._has_room() and not self._critical and not self._default

    def waiting(self) -> int:
        return len(self._critical) + len(self._default)

    def congested(self) -> bool:
        """A request waited ``slow_wait`` (1 s) or more for a slot since the last tick:
        admitted work is piling up, so the line lets people in faster than this node serves
        them. The only timely sign of it at the nginx edge, which admits by the published
        rate alone (no free slot needed): CRITICAL requests are never refused, and only
        counted (``forced``) after waiting ``critical_wait``, long after the backlog formed.
        Not the number waiting at once: visitors let through together make short bursts
        of a few waiters on a node at a limit of one, and counting those (more than twice
        the slots) held the rate at ~1/s with the node idle most of the time."""
        return self.slow_waits > 0

    def may_wait(self) -> bool:
        """Whether one more request may wait for a slot: no more wait than there are slots.
        That is enough to keep every slot busy; beyond it waiting only costs CPU (a timer
        and a future each) on answers that end in a refusal anyway."""
        return len(self._critical) + len(self._default) < self.limiter.limit

    def give_back(self) -> None:
        """Return a slot taken for a request that will not run (no latency sample)."""
        self.in_flight -= 1
        self._wake()

    async def acquire(self, klass: RequestClass) -> int | None:
        """The number in flight when admitted (for the latency sample), or None: refused."""
        if klass == RequestClass.SHEDDABLE:
            if self.in_flight >= max(1.0, self.limiter.limit * self.sheddable_share):
                return None
            return self._enter()
        if (
            self._has_room()
            and not self._critical
            and (klass == RequestClass.CRITICAL or not self._default)
        ):
            return self._enter()
        if klass == RequestClass.CRITICAL:
            if await self._wait(self._critical, self.critical_wait):
                return self.in_flight
            self.forced += 1
            return self._enter()  # waited long enough: over the limit, but never refused
        baseline = self.limiter.baseline or 0.05
        timeout = min(self.max_wait, max(0.002, baseline * self.wait_factor))
        if await self._wait(self._default, timeout):
            return self.in_flight
        return None

    def _enter(self) -> int:
        self.in_flight += 1
        self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
        return self.in_flight

    async def _wait(self, line: deque[asyncio.Future[bool]], seconds: float) -> bool:
        """Wait for a slot to be handed over (True) or for the time to run out (False).

        A timer callback ends the wait, not ``asyncio.wait(timeout=...)``: that builds a
        task-side future and callbacks per call, and under overload every waiting-room answer
        may come through here."""
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[bool] = loop.create_future()
        line.append(waiter)
        started = self.clock()
        timer = loop.call_later(seconds, _expire, waiter)
        try:
            granted = await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled() and waiter.result():
                self.give_back()  # handed a slot, but the client went away
            waiter.cancel()
            raise
        finally:
            timer.cancel()
            if waiter in line:
                line.remove(waiter)
            if self.clock() - started >= self.slow_wait:
                self.slow_waits += 1
        return granted

    def release(self, started: float, in_flight_at_start: int, *, dropped: bool = False) -> None:
        self.in_flight -= 1
        now = self.clock()
        self.limiter.sample(now - started, in_flight_at_start, now, dropped=dropped)
        self._wake()

    def _wake(self) -> None:
        # CRITICAL in order of arrival. DEFAULT newest first (adaptive LIFO): everyone in that
        # line gives up after the same short wait, so under overload the oldest waiter is the
        # one about to give up anyway, and serving the newest keeps the latency of what is
        # served near the no-load latency instead of "wait + service" for every request.
        critical, default = self._critical, self._default
        while self.in_flight < self.limiter.limit and (critical or default):
            waiter = critical.popleft() if critical else default.pop()
            if not waiter.done():
                waiter.set_result(True)
                self._enter()  # the slot is handed over now, not when the waiter runs


def _expire(waiter: asyncio.Future[bool]) -> None:
    if not waiter.done():
        waiter.set_result(False)
