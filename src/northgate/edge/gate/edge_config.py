"""What the nginx edge needs to keep the line (decision 0005), written by
``northgate edge-keys FILE`` and read once by nginx's master process at start.

Only what the edge needs: the derived keys of the two token kinds it checks (passes) or
signs and checks (places), never the site's secret, so a leak of this file cannot forge a
session, a form token or a visitor cookie; the event and the limits it compares against;
where Redis is, to read the line's state; and the route map, generated from the one route
table (northgate.core.routes), so no path is ever spelled in Lua or in nginx's config.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from northgate.core.routes import TABLE
from northgate.core.routing import GateClass, Route, RouteTable
from northgate.core.signing import Purpose, derive_key
from northgate.edge.gate import edge_state, places
from northgate.edge.gate.routes import ANY
from northgate.settings import Settings

# What the edge does with a request, per route and kind of method.
BYPASS, OPEN, NEEDS_PASS = 0, 1, 2
READS, WRITES, OTHERS = "GET", "POST", "DELETE"  # one method of each kind gate_for tells apart
# Lua's pattern syntax escapes its magic characters with "%".
_LUA_MAGIC = re.compile(r"([\^$()%.\[\]*+\-?])")


def _treatment(route: Route, method: str) -> int:
    gate = route.gate_for(method)
    if gate.klass == GateClass.BYPASS:
        return BYPASS
    return NEEDS_PASS if gate.needs_pass else OPEN


def _entry(route: Route) -> dict[str, Any]:
    return {
        "name": route.name,
        "read": _treatment(route, READS),
        "write": _treatment(route, WRITES),
        "other": _treatment(route, OTHERS),
    }


def lua_pattern(template: str) -> str:
    """A templated path (``/a/{slug}``) as an anchored Lua pattern: ``{x}`` is one segment."""
    parts = re.split(r"(\{[^}/]+\})", template)
    body = "".join(
        "[^/]+" if part.startswith("{") else _LUA_MAGIC.sub(r"%\1", part) for part in parts
    )
    return f"^{body}$"


def route_map(table: RouteTable = TABLE) -> dict[str, Any]:
    """The route table as the edge's Lua reads it (northgate/routes.lua): the same lookup
    structures, in the same order, as :meth:`RouteTable.find`."""
    index = table.index()
    return {
        "methods": sorted(ANY),
        "exact": {path: _entry(route) for path, route in index.exact.items()},
        "templated": [[lua_pattern(t), _entry(route)] for t, route in index.templated],
        "trees": {path: _entry(route) for path, route in index.trees.items()},
        "areas": {path: _entry(route) for path, route in index.areas.items()},
    }


def _redis(url: str) -> dict[str, Any]:
    if not url:
        return {}
    parts = urlsplit(url)
    if parts.scheme not in ("redis", "unix"):
        raise ValueError("the edge reads Redis over redis:// or unix:// only (no TLS in Lua)")
    database = parts.path.strip("/") if parts.scheme == "redis" else ""
    return {
        "host": parts.hostname or "127.0.0.1",
        "port": parts.port or 6379,
        "socket": parts.path if parts.scheme == "unix" else "",
        "db": int(database or 0),
        "password": unquote(parts.password or ""),
    }


def edge_config(settings: Settings) -> dict[str, Any]:
    secret = settings.effective_secret_key
    event = settings.gate_event
    return {
        "version": 1,
        "event": event,
        "keys": {
            "pass": derive_key(secret, Purpose.PASS).hex(),
            "place": derive_key(secret, Purpose.PLACE).hex(),
        },
        "pass_cap": settings.gate_pass_cap_seconds,
        "place_max_age": places.MAX_AGE,
        "poll_seconds": settings.gate_poll_seconds,
        "redis": _redis(settings.redis_url),
        "keys_in_redis": edge_state.redis_keys(event),
        "routes": route_map(),
    }


def write_edge_config(settings: Settings, target: Path) -> None:
    """Write atomically, readable by its owner only: nginx's master reads it as root
    before dropping privileges, so its workers never need to open it."""
    data = json.dumps(edge_config(settings), indent=1, sort_keys=True).encode()
    temporary = target.with_name(f".{target.name}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(descriptor, data)
    finally:
        os.close(descriptor)
    os.chmod(temporary, 0o600)
    os.replace(temporary, target)
