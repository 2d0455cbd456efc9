"""Daily salts for counting unique visitors without cookies and without keeping addresses.

A visitor is ``blake2b(key=salt of the day, address ‖ user agent)``, 64 bits. The salt is
random, lives only in memory (and, with several nodes, in Redis with an expiry so that every
node hashes alike) and is destroyed when its day is over: after that nobody, us included,
can tell whether yesterday's visitor came back today. Visitor hashes themselves are never
stored: they only feed HyperLogLog registers (see ``hll``), which keep no identifier.

Days are UTC days. ``prepare`` runs in the background (start-up and every flush): it fetches
today's salt, fetches tomorrow's shortly before midnight, and destroys older ones.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from typing import Final, Protocol

from redis.asyncio import Redis

from northgate.core.clock import UnixClock, unix_now

log = logging.getLogger(__name__)

DAY: Final = 86_400
SALT_BYTES: Final = 32
# Tomorrow's salt is fetched this long before midnight, so that no node meets a day unprepared.
PREFETCH_SECONDS: Final = 3_600
# A salt outlives its day by this much in Redis: requests in flight at midnight finish.
GRACE_SECONDS: Final = 600


def day_of(unix_seconds: float) -> int:
    return int(unix_seconds // DAY)


class SaltStore(Protocol):
    async def get_or_create(self, day: int, candidate: bytes, expires_at: int) -> bytes:
        """The salt of ``day``: the stored one, or ``candidate`` stored until ``expires_at``."""
        ...

    async def destroy(self, day: int) -> None: ...


class MemorySaltStore:
    """Salts of this process only (embedded default: one process)."""

    def __init__(self, clock: UnixClock = unix_now) -> None:
        self.clock = clock
        self.salts: dict[int, tuple[bytes, int]] = {}  # day -> (salt, expires_at)

    async def get_or_create(self, day: int, candidate: bytes, expires_at: int) -> bytes:
        # Expired as in Redis: a salt past its expiry is never handed out again, even if
        # nobody called ``destroy``.
        stored = self.salts.get(day)
        if stored is None or stored[1] <= self.clock():
            stored = self.salts[day] = (candidate, expires_at)
        return stored[0]

    async def destroy(self, day: int) -> None:
        self.salts.pop(day, None)


class RedisSaltStore:
    """Salts shared by every node: ``SET NX`` with an expiry, so the first node's salt wins."""

    def __init__(self, redis: Redis, prefix: str = "ng:an:salt:") -> None:
        self.redis = redis
        self.prefix = prefix

    def key(self, day: int) -> str:
        return f"{self.prefix}{day}"

    async def get_or_create(self, day: int, candidate: bytes, expires_at: int) -> bytes:
        key = self.key(day)
        await self.redis.set(key, candidate, nx=True, exat=expires_at)
        stored = await self.redis.get(key)
        return stored if isinstance(stored, bytes) and stored else candidate

    async def destroy(self, day: int) -> None:
        await self.redis.delete(self.key(day))


class DailySalts:
    """The salts in use by this process, and the visitor hash (hot path, synchronous)."""

    def __init__(self, store: SaltStore) -> None:
        self.store = store
        self._salts: dict[int, bytes] = {}
        # Changes whenever a salt is replaced or destroyed: memoised hashes must go then.
        self.version = 0

    def known_days(self) -> list[int]:
        return sorted(self._salts)

    def visitor(self, day: int, address: str, user_agent: bytes) -> int:
        salt = self._salts.get(day)
        if salt is None:
            # Not prepared (start-up race, store unreachable): a local salt keeps counting;
            # the next ``prepare`` adopts the shared one.
            salt = self._salts[day] = secrets.token_bytes(SALT_BYTES)
            self.version += 1
            log.warning("analytics: no shared salt for day %d yet; using a local one", day)
        digest = hashlib.blake2b(
            address.encode() + b"\x00" + user_agent, key=salt, digest_size=8
        ).digest()
        return int.from_bytes(digest, "big")

    async def prepare(self, now: float) -> None:
        today = day_of(now)
        days = [today]
        if now >= (today + 1) * DAY - PREFETCH_SECONDS:
            days.append(today + 1)
        for day in days:
            candidate = self._salts.get(day) or secrets.token_bytes(SALT_BYTES)
            expires_at = (day + 1) * DAY + GRACE_SECONDS
            salt = await self.store.get_or_create(day, candidate, expires_at)
            if self._salts.get(day) != salt:
                self._salts[day] = salt
                self.version += 1
        await self.rotate(now)

    async def rotate(self, now: float) -> None:
        """Destroy every salt whose day (plus grace) is over, here and in the store."""
        cutoff = day_of(now - GRACE_SECONDS)
        for day in [day for day in self._salts if day < cutoff]:
            del self._salts[day]
            self.version += 1
            await self.store.destroy(day)
