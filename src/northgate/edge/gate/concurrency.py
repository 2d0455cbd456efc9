"""Requests in flight on this node, against the adaptive limit, with priority shedding.

- ``SHEDDABLE`` is refused as soon as in flight reaches ``sheddable_share`` of the limit,
  so it goes first and leaves the rest of the room to the journey.
- ``DEFAULT`` over the limit waits briefly (up to ``wait_factor`` times the no-load
  latency) for a slot, then is refused.
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
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limiter = limiter
        self.sheddable_share = sheddable_share
        self.wait_factor = wait_factor
        self.max_wait = max_wait
        self.critical_wait = critical_wait
        self.clock = clock
        self.in_flight = 0
        self.peak_in_flight = 0
        # CRITICAL requests let in over the limit after waiting ``critical_wait``: admitted
        # work the node could not serve in time, like a shed one (see RateGovernor).
        self.forced = 0
        self._critical: deque[asyncio.Future[None]] = deque()
        self._default: deque[asyncio.Future[None]] = deque()

    @property
    def limit(self) -> int:
        return self.limiter.limit

    def _has_room(self) -> bool:
        return self.in_flight < self.limiter.limit

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

    async def _wait(self, line: deque[asyncio.Future[None]], seconds: float) -> bool:
        """Wait for a slot to be handed over (True) or for the time to run out (False)."""
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        line.append(waiter)
        try:
            await asyncio.wait((waiter,), timeout=seconds)
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self.in_flight -= 1  # handed a slot, but the client went away: give it back
                self._wake()
            waiter.cancel()
            raise
        finally:
            if not waiter.done():
                waiter.cancel()
            if waiter in line:
                line.remove(waiter)
        return not waiter.cancelled()

    def release(self, started: float, in_flight_at_start: int, *, dropped: bool = False) -> None:
        self.in_flight -= 1
        now = self.clock()
        self.limiter.sample(now - started, in_flight_at_start, now, dropped=dropped)
        self._wake()

    def _wake(self) -> None:
        for line in (self._critical, self._default):
            while self.in_flight < self.limiter.limit and line:
                waiter = line.popleft()
                if not waiter.done():
                    waiter.set_result(None)
                    self._enter()  # the slot is handed over now, not when the waiter runs
