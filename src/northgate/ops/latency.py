"""How long the application takes to answer, for the latency objective.

Wraps the web application only, behind the cached site and the gate: information pages and
assets (answered from memory in microseconds) pay nothing; a request that reaches the
application does database work worth milliseconds, beside which two clock reads and one
histogram observation (measured: 4-7 us on a busy 2-core machine) are a small share. The
time is to the end of the response, as the visitor sees it from the node.
"""

from __future__ import annotations

from time import perf_counter

from prometheus_client import Histogram

from northgate.core.asgi import ASGIApp, Receive, Scope, Send


class Timed:
    def __init__(self, app: ASGIApp, histogram: Histogram) -> None:
        self.app = app
        self.histogram = histogram

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = perf_counter()
        try:
            await self.app(scope, receive, send)
        finally:
            self.histogram.observe(perf_counter() - started)
