"""Refuse requests that are too large before any work is done on them.

Oversized or malformed requests get a proper 4xx page, never a 500 and never a read of an
unbounded body into memory.
"""

from __future__ import annotations

from northgate.core.asgi import ASGIApp, Message, Receive, Scope, Send, header
from northgate.edge.asgi import TrackedSend
from northgate.edge.errors import ErrorPages


class BodyTooLarge(Exception):
    """Raised from ``receive`` when a streamed body passes the limit."""


class RequestLimits:
    def __init__(
        self, app: ASGIApp, errors: ErrorPages, *, max_body_bytes: int, max_url_bytes: int
    ) -> None:
        self.app = app
        self.errors = errors
        self.max_body_bytes = max_body_bytes
        self.max_url_bytes = max_url_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        url_length = len(scope.get("raw_path") or scope["path"].encode()) + len(
            scope.get("query_string", b"")
        )
        if url_length > self.max_url_bytes:
            await self.errors.send(scope, send, 414)
            return
        content_length = header(scope, b"content-length")
        if content_length is not None:
            try:
                declared = int(content_length)
            except ValueError:
                await self.errors.send(scope, send, 400)
                return
            if declared < 0:
                await self.errors.send(scope, send, 400)
                return
            if declared > self.max_body_bytes:
                await self.errors.send(scope, send, 413, extra_headers=[(b"connection", b"close")])
                return
        if scope["method"] in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        await self._call_counting_body(scope, receive, send)

    async def _call_counting_body(self, scope: Scope, receive: Receive, send: Send) -> None:
        received = 0
        tracked = TrackedSend.of(send)

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    raise BodyTooLarge
            return message

        try:
            await self.app(scope, counting_receive, tracked)
        except BodyTooLarge:
            if not tracked.started:
                await self.errors.send(scope, send, 413, extra_headers=[(b"connection", b"close")])
