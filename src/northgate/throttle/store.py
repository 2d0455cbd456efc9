"""Where the attempt counters live: fixed windows, one counter per (limit, subject).

``attempt`` is one atomic step over every counter an attempt touches: if any is already at
its limit the attempt is refused (and not counted), and the answer is how long until that
counter's window ends; otherwise, when asked to, every counter goes up by one. Refused
attempts are not counted, so a client that keeps trying is let in again when the window it
filled ends, not pushed ever further back.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from redis.asyncio import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Counter:
    key: str
    allowed: int
    window_ms: int


class Store(Protocol):
    async def attempt(self, counters: Sequence[Counter], *, count: bool) -> int:
        """Milliseconds to wait before trying again; 0 when the attempt may go ahead."""
        ...


class MemoryStore:
    """Counters in this process (the embedded default, and Redis's stand-in while it is
    unreachable). Bounded: expired windows are dropped once it holds ``max_keys``."""

    def __init__(self, max_keys: int = 100_000, clock: Callable[[], float] = time.monotonic):
        self.max_keys = max_keys
        self.clock = clock
        self.counts: dict[str, tuple[int, float]] = {}

    async def attempt(self, counters: Sequence[Counter], *, count: bool) -> int:
        now = self.clock()
        wait = 0.0
        for counter in counters:
            seen, ends = self.counts.get(counter.key, (0, now))
            if ends > now and seen >= counter.allowed:
                wait = max(wait, ends - now)
        if wait or not count:
            return round(wait * 1000)
        if len(self.counts) >= self.max_keys:
            self._prune(now)
        for counter in counters:
            seen, ends = self.counts.get(counter.key, (0, now))
            if ends <= now:
                seen, ends = 0, now + counter.window_ms / 1000
            self.counts[counter.key] = (seen + 1, ends)
        return 0

    def _prune(self, now: float) -> None:
        self.counts = {k: v for k, v in self.counts.items() if v[1] > now}
        # Still full of live windows (a flood of distinct subjects): forget the oldest half
        # rather than grow without bound.
        if len(self.counts) >= self.max_keys:
            keep = list(self.counts.items())[len(self.counts) // 2 :]
            self.counts = dict(keep)


# KEYS: one counter per limit. ARGV[1]: "1" to count this attempt; then, per key, the
# attempts allowed and the window in milliseconds.
ATTEMPT = """
local wait = 0
for i, key in ipairs(KEYS) do
  local seen = tonumber(redis.call('GET', key) or '0')
  if seen >= tonumber(ARGV[2 * i]) then
    local ttl = redis.call('PTTL', key)
    if ttl < 0 then
      ttl = tonumber(ARGV[2 * i + 1])
      redis.call('PEXPIRE', key, ttl)
    end
    if ttl > wait then wait = ttl end
  end
end
if wait == 0 and ARGV[1] == '1' then
  for i, key in ipairs(KEYS) do
    if redis.call('INCR', key) == 1 then
      redis.call('PEXPIRE', key, ARGV[2 * i + 1])
    end
  end
end
return wait
"""


class RedisStore:
    """Counters shared by every node: one script call per attempt, whatever it touches."""

    def __init__(self, redis: Redis) -> None:
        self._attempt = redis.register_script(ATTEMPT)

    async def attempt(self, counters: Sequence[Counter], *, count: bool) -> int:
        args: list[str | int] = ["1" if count else "0"]
        for counter in counters:
            args += [counter.allowed, counter.window_ms]
        wait = await self._attempt(keys=[c.key for c in counters], args=args)
        return int(wait)


class FallbackStore:
    """Redis, or this process's own counters while Redis does not answer: the limits then
    hold per node instead of across nodes, never not at all."""

    def __init__(self, primary: Store, fallback: Store | None = None) -> None:
        self.primary = primary
        self.fallback = fallback or MemoryStore()
        self.failures = 0

    async def attempt(self, counters: Sequence[Counter], *, count: bool) -> int:
        try:
            return await self.primary.attempt(counters, count=count)
        except (RedisError, OSError) as error:
            self.failures += 1
            if self.failures <= 3 or self.failures % 1000 == 0:
                log.warning("throttle: Redis unavailable (%s); counting on this node", error)
            return await self.fallback.attempt(counters, count=count)
