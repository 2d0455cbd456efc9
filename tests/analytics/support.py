"""Helpers for analytics tests: an edge with a tiny application behind it, and readers."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from fastapi import FastAPI

from northgate.analytics.capture.dimensions import ArrivalKey
from northgate.analytics.runtime import Analytics
from northgate.core.asgi import ASGIApp, Receive, Scope, Send
from northgate.edge.errors import ErrorPages
from northgate.edge.limits import RequestLimits
from northgate.edge.tap import Tap
from northgate.site.render import Site
from northgate.site.server import SiteServer

BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0"
Cell = tuple[str, str, str, str, bool]  # section, lang, country, outcome, bot


def web_app_of(app: Any) -> FastAPI:
    """The FastAPI application inside the edge middleware chain."""
    while not isinstance(app, FastAPI):
        app = app.app
    return app


async def tiny_app(scope: Scope, receive: Receive, send: Send) -> None:
    """Stands in for the gate and the application: every outcome on demand, by path.

    ``/en/eta/apply…``  the waiting room: 200, with the gate's "queued" hint
    ``/en/eta/apply/pay``  shed by the gate: 503 + Retry-After, with the "shed" hint
    ``/api/v1/busy``   a 503 + Retry-After without a hint (still shed)
    ``/en/eta/status``  a 500 answered by the application
    ``/api/v1/crash``  an exception (the error shield turns it into the 500 page)
    anything else      200
    """
    assert scope["type"] == "http"
    path = scope["path"]
    headers = [(b"content-type", b"text/plain")]
    status = 200
    if path == "/en/eta/apply/pay":
        scope["state"]["northgate.outcome"] = "shed"
        status, headers = 503, [*headers, (b"retry-after", b"30")]
    elif path.startswith("/en/eta/apply"):
        scope["state"]["northgate.outcome"] = "queued"
    elif path == "/api/v1/busy":
        status, headers = 503, [*headers, (b"retry-after", b"5")]
    elif path == "/en/eta/status":
        status = 500
    elif path == "/api/v1/crash":
        raise RuntimeError("boom")
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": b"ok"})


def edge_with(site: Site, inner: ASGIApp, analytics: Analytics) -> ASGIApp:
    """The real edge (tap, shield, limits, cached site) in front of ``inner``."""
    errors = ErrorPages(site.errors)
    edge: ASGIApp = SiteServer(site, inner, errors)
    edge = RequestLimits(edge, errors, max_body_bytes=64 * 1024, max_url_bytes=2048)
    return Tap(edge, analytics.recorder, errors=errors)


def window(hours: int = 2) -> tuple[int, int]:
    now = int(dt.datetime.now(dt.UTC).timestamp())
    return now - hours * 3600, now + hours * 3600


def cells(counts: dict[ArrivalKey, int]) -> Counter[Cell]:
    out: Counter[Cell] = Counter()
    for key, n in counts.items():
        out[(key.section, key.lang, key.country, key.outcome, key.bot)] += n
    return out
