"""``northgate gate show|set``: read and change the gate's limits at run time.

Through a node's admin endpoint (``--url``, bearer token from NORTHGATE_GATE_ADMIN_TOKEN),
or with ``--direct`` straight in Redis (NORTHGATE_REDIS_URL), which every node reads within
a second. No restart either way.
"""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request
from typing import Any

from northgate.edge.gate.config import GateLimits, stored
from northgate.edge.gate.redis_backend import RedisBackend
from northgate.settings import Settings
from northgate.storage import shared


class CommandError(Exception):
    pass


def parse_assignments(pairs: tuple[str, ...]) -> dict[str, str]:
    values = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise CommandError(f"expected NAME=VALUE, got {pair!r}")
        values[name.strip()] = value.strip()
    return values


def over_http(url: str, token: str, method: str, body: dict[str, Any] | None = None) -> Any:
    if not url.startswith(("http://", "https://")):
        raise CommandError(f"not an HTTP URL: {url}")
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(  # noqa: S310 (scheme checked above)
        url,
        data=data,
        method=method,
        headers={"authorization": f"Bearer {token}", "content-type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
            return json.loads(response.read())
    except urllib.error.HTTPError as error:
        raise CommandError(f"{error.code}: {error.read().decode(errors='replace')}") from error
    except OSError as error:
        raise CommandError(f"cannot reach {url}: {error}") from error


async def _direct(settings: Settings, values: dict[str, str] | None) -> dict[str, Any]:
    if not settings.redis_url:
        raise CommandError("--direct needs NORTHGATE_REDIS_URL")
    redis = shared.connect(settings.redis_url)
    try:
        backend = RedisBackend(redis, settings.gate_event)
        limits = GateLimits.from_settings(settings)
        current = _texts(await redis.hgetall(backend.keys["cfg"]))
        limits = limits.updated(current)
        if values:
            limits = limits.updated(values)
            await backend.set_overrides(stored(values))
        queue = _texts(await redis.hgetall(backend.keys["q"]))
        active = await redis.zcard(backend.keys["active"])
        in_requests = await redis.zcard(backend.keys["requests"])
        return {
            "limits": limits.as_dict(), "queue": queue, "active": active,
            "places_held_by_requests": in_requests,
        }  # fmt: skip
    finally:
        await redis.aclose()


def _texts(mapping: dict[Any, Any]) -> dict[str, str]:
    def text(value: Any) -> str:
        return value.decode() if isinstance(value, bytes) else str(value)

    return {text(key): text(value) for key, value in mapping.items()}


def direct(settings: Settings, values: dict[str, str] | None = None) -> dict[str, Any]:
    return asyncio.run(_direct(settings, values))
