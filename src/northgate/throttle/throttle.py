"""Named limits over subjects (a client address, a reference, an e-mail address).

Subjects are stored only as keyed hashes: no client address or e-mail address is written to
Redis. IPv6 clients are counted per /64, the block one subscriber gets, so an attacker
cannot take a fresh address for every guess.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass

from redis.asyncio import Redis

from northgate.core.signing import Purpose, derive_key, hmac_sha256
from northgate.settings import Settings
from northgate.throttle.store import Counter, FallbackStore, MemoryStore, RedisStore, Store

KEY_PREFIX = "ng:throttle:{t}:"


@dataclass(frozen=True)
class Limit:
    name: str
    allowed: int
    window_seconds: int


def client_subject(address: str | None) -> str:
    """The unit a client is counted by: its IPv4 address, or its IPv6 /64."""
    if not address:
        return "unknown"
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(parsed, ipaddress.IPv6Address):
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return str(parsed)


class Throttle:
    def __init__(self, store: Store, secret: bytes) -> None:
        self.store = store
        self.key = derive_key(secret, Purpose.THROTTLE)

    def _counter(self, limit: Limit, subject: str) -> Counter:
        digest = hmac_sha256(self.key, f"{limit.name}\0{subject}".encode())
        return Counter(
            KEY_PREFIX + limit.name + ":" + digest.hex()[:32],
            limit.allowed,
            limit.window_seconds * 1000,
        )

    async def attempt(self, checks: Sequence[tuple[Limit, str]], *, count: bool) -> int:
        """Seconds to wait (rounded up) when any limit is reached; 0 to go ahead, after
        counting the attempt against each when ``count``."""
        wait_ms = await self.store.attempt(
            [self._counter(limit, subject) for limit, subject in checks], count=count
        )
        return -(-wait_ms // 1000)


def build_throttle(settings: Settings, redis: Redis | None) -> Throttle:
    """Shared through ``redis`` (the application's connection) when there is one."""
    store: Store = FallbackStore(RedisStore(redis)) if redis is not None else MemoryStore()
    return Throttle(store, settings.effective_secret_key)
