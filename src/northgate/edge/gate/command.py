"""``northgate gate show|set``: read and change the gate's limits at run time.

Through a node's admin endpoint (``--url``, bearer token from NORTHGATE_GATE_ADMIN_TOKEN),
or with ``--direct`` straight in Redis (NORTHGATE_REDIS_URL), which every node reads within
a second. No restart either way. Errors are one line that says what to set.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import urllib.error
import urllib.request
from typing import Any

from northgate.core.routes import path
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


NO_TOKEN = (
    "no admin token: set NORTHGATE_GATE_ADMIN_TOKEN to the nodes' token "  # noqa: S105 (a message)
    "(or use --direct with NORTHGATE_REDIS_URL)"
)


def on_node(base: str, token: str, values: dict[str, str] | None) -> Any:
    """``show`` (values None) or ``set`` through the node at ``base``."""
    if not token:
        raise CommandError(NO_TOKEN)
    try:
        if values is None:
            return over_http(base + path("ops.gate"), token, "GET")
        return over_http(base + path("ops.gate.limits"), token, "POST", values)
    except Unreachable as error:
        raise CommandError(
            f"no node answers at {base} ({error.reason}): give a node's address with "
            "--url http://HOST:PORT or NORTHGATE_GATE_URL (or the node's NORTHGATE_HOST "
            "and NORTHGATE_PORT)"
        ) from error
    except Refused as error:
        if error.status == 401:
            raise CommandError(
                f"the node at {base} refused the admin token: NORTHGATE_GATE_ADMIN_TOKEN "
                "must be the one the nodes run with"
            ) from error
        if error.status == 404:
            raise CommandError(
                f"{base} has no gate admin endpoint: the node runs without "
                "NORTHGATE_GATE_ADMIN_TOKEN, or this is not a Northgate node"
            ) from error
        raise CommandError(f"the node at {base} answered {error.status}: {error.body}") from error


class Unreachable(CommandError):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Refused(CommandError):
    def __init__(self, status: int, body: str) -> None:
        super().__init__(f"{status}: {body}")
        self.status = status
        self.body = body


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
        answer = error.read().decode(errors="replace")
        with contextlib.suppress(ValueError, AttributeError):
            answer = str(json.loads(answer).get("error", answer))
        raise Refused(error.code, answer) from error
    except urllib.error.URLError as error:
        raise Unreachable(str(error.reason)) from error
    except OSError as error:
        raise Unreachable(str(error)) from error


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
