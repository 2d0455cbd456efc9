"""Keep answering when Redis is unreachable: a circuit breaker in front of the Redis
backend, with an in-process backend behind it.

Any Redis error sends that call to the local backend, so the visitor still gets an answer
(a local place in line, or a pass). After ``failures`` consecutive errors the circuit opens:
calls go straight to the local backend, without waiting on Redis, for ``cooldown`` seconds;
then one call tries Redis again (half-open) and a success closes the circuit. The caller
scales the limits down to this node's share while :attr:`degraded` is true.

That share is :attr:`share`: one over the gate instances (application processes, on every
host) that were alive at the last successful contact with Redis. Each instance's tick
records itself there with a timestamp, so adding or removing a node changes every node's
share within seconds, with no setting to edit on each host. An instance that has never
reached Redis knows of no other and takes the whole rate (share 1).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TypeVar

from redis.exceptions import RedisError

from northgate.edge.gate.backend import PollRequest, PollResult, Snapshot
from northgate.edge.gate.memory import MemoryBackend
from northgate.edge.gate.redis_backend import RedisBackend

log = logging.getLogger(__name__)
T = TypeVar("T")
_ERRORS = (RedisError, OSError, TimeoutError)


class FallbackBackend:
    def __init__(
        self,
        primary: RedisBackend,
        *,
        failures: int = 2,
        cooldown: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.primary = primary
        self.local = MemoryBackend()
        self.failures = failures
        self.cooldown = cooldown
        self._clock = clock
        self._errors = 0
        self._open_until = 0.0
        self._probing = False
        self.trips = 0
        self.nodes = 1  # gate instances alive at the last successful snapshot

    @property
    def share(self) -> float:
        """This instance's share of the global limits while Redis is unreachable."""
        return 1.0 / self.nodes

    @property
    def name(self) -> str:
        return "redis" if not self.degraded else "memory-fallback"

    @property
    def degraded(self) -> bool:
        return self._errors >= self.failures

    async def _call(
        self, remote: Callable[[], Awaitable[T]], local: Callable[[], Awaitable[T]]
    ) -> T:
        probe = False
        if self.degraded:
            if self._probing or self._clock() < self._open_until:
                return await local()
            # Half-open: this call alone tries Redis; the others stay local meanwhile, so
            # a Redis that hangs holds up one call per cooldown, not every visitor's.
            probe = self._probing = True
        try:
            try:
                result = await remote()
            finally:
                if probe:
                    self._probing = False
        except _ERRORS as error:
            self._errors += 1
            if self._errors == self.failures:
                self.trips += 1
                log.warning("gate: Redis unreachable (%r); using local limits", error)
            if self.degraded:
                self._open_until = self._clock() + self.cooldown
            return await local()
        if self.degraded:
            log.warning("gate: Redis reachable again; back to shared limits")
        self._errors = 0
        return result

    async def poll(self, request: PollRequest) -> PollResult:
        return await self._call(
            lambda: self.primary.poll(request), lambda: self.local.poll(request)
        )

    async def renew(self, passes: Sequence[tuple[str, float]]) -> None:
        await self.local.renew(passes)
        await self._call(lambda: self.primary.renew(passes), lambda: _nothing())

    async def revoke(self, jti: str, now: float, keep: float) -> None:
        await self.local.revoke(jti, now, keep)
        await self._call(lambda: self.primary.revoke(jti, now, keep), lambda: _nothing())

    async def release(self, jti: str) -> None:
        await self.local.release(jti)
        await self._call(lambda: self.primary.release(jti), lambda: _nothing())

    async def claim(self, jti: str, expires: float) -> bool:
        local = await self.local.claim(jti, expires)
        return await self._call(lambda: self.primary.claim(jti, expires), lambda: _value(local))

    async def snapshot(
        self, now: float, node: str, share: float, revoked_since: float, abandon_after: float
    ) -> Snapshot:
        async def shared() -> Snapshot:
            snapshot = await self.primary.snapshot(now, node, share, revoked_since, abandon_after)
            self.nodes = max(1, snapshot.nodes)
            return snapshot

        return await self._call(
            shared, lambda: self.local.snapshot(now, node, share, revoked_since, abandon_after)
        )

    async def set_overrides(self, values: Mapping[str, str]) -> None:
        await self.local.set_overrides(values)
        await self._call(lambda: self.primary.set_overrides(values), lambda: _nothing())

    async def reset(self) -> None:
        await self.local.reset()
        await self._call(self.primary.reset, _nothing)

    async def close(self) -> None:
        # The Redis client is the process's one (northgate.composition), which closes it
        # after the analytics' last flush: closing it here came before that flush.
        return None


async def _nothing() -> None:
    return None


async def _value(value: T) -> T:
    return value
