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

from northgate.core import routes
from northgate.core.lang import DEFAULT_LANGUAGE, LANGUAGES, other_language
from northgate.core.routes import TABLE
from northgate.core.routing import GateClass, Route, RouteTable
from northgate.core.signing import Purpose, derive_key
from northgate.edge.gate import edge_state, places
from northgate.edge.gate.routes import ANY
from northgate.eta.questions import QUESTION_SET
from northgate.settings import Settings
from northgate.ui.i18n import gettext
from northgate.ui.journey_urls import counterpart, page_to_wait_on, step_url

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


def room_texts() -> dict[str, Any]:
    """What the edge writes into the waiting room's slots, in both languages: the wait as
    :func:`northgate.edge.gate.room.format_wait` words it, and where the language toggle
    leads (:func:`northgate.ui.journey_urls.counterpart`, for every journey address)."""
    texts = {
        lang: {
            "unknown": gettext(lang, "not known yet"),
            "soon": gettext(lang, "less than a minute"),
            "minutes": gettext(lang, "about %(minutes)s min"),
            "hours": gettext(lang, "about %(hours)s h %(minutes)s min"),
            "home_other": routes.path("page.home", other_language(lang)),
        }
        for lang in LANGUAGES
    }
    paths = {p for route in TABLE for p in route.paths.values() if not route.templated}
    paths |= {step_url(step, lang) for step in QUESTION_SET.steps for lang in LANGUAGES}
    counterparts = {path: other for path in sorted(paths) if (other := counterpart(path))}
    # A form posted while its sender must wait is sent to a page to wait on (303), as the
    # Python room does; only the forms without a page of their own differ from their path.
    wait_on = {path: page for path in sorted(paths) if (page := page_to_wait_on(path)) != path}
    api_prefix = routes.BY_NAME["api.other"].paths["en"] + "/"  # as routes.is_api_path
    return {
        # The language of a path, as northgate.core.lang.language_of_path decides it.
        "languages": {lang: f"/{lang}" for lang in LANGUAGES if lang != DEFAULT_LANGUAGE},
        "default_language": DEFAULT_LANGUAGE,
        "all_languages": list(LANGUAGES),
        "texts": texts,
        "counterparts": counterparts,
        "wait_on": wait_on,
        "api_prefix": api_prefix,
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
        "secure_cookies": settings.behind_tls,
        "place_max_age": places.MAX_AGE,
        "poll_seconds": settings.gate_poll_seconds,
        "redis": _redis(settings.redis_url),
        # The gate's own sorted set of passes ended early (jti -> when, ms): the edge copies
        # it so that a replayed pass is refused there too (the nodes refuse it anyway).
        "keys_in_redis": edge_state.redis_keys(event) | {"revoked": f"ng:gate:{{{event}}}:revoked"},
        "routes": route_map(),
        "room": room_texts()
        | {"keep_minutes": max(1, round(settings.gate_abandon_after_seconds / 60))},
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
