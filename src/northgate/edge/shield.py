"""Last line of defence: any unhandled exception becomes the bilingual 500 page.

Users never see a traceback. If the response had already started there is nothing
truthful left to send, so the connection is closed and the error logged. When analytics
are on, the tap is the outermost layer and shields with :func:`answer_unhandled` itself.
"""

from __future__ import annotations

import logging

from northgate.core.asgi import ASGIApp, Receive, Scope, Send
from northgate.edge.asgi import TrackedSend
from northgate.edge.errors import ErrorPages

log = logging.getLogger(__name__)


class ErrorShield:
    def __init__(self, app: ASGIApp, errors: ErrorPages) -> None:
        self.app = app
        self.errors = errors

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        tracked = TrackedSend.of(send)
        try:
            await self.app(scope, receive, tracked)
        except Exception:
            await answer_unhandled(self.errors, scope, send, tracked)


async def answer_unhandled(
    errors: ErrorPages, scope: Scope, send: Send, tracked: TrackedSend
) -> None:
    """Called in an ``except`` block: log the error, and answer 500 if nothing was sent yet."""
    log.exception("unhandled error on %s %s", scope.get("method"), scope.get("path"))
    if not tracked.started:
        await errors.send(scope, send, 500)
