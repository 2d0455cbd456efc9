"""Refuse requests that are too large or malformed before any work is done on them.

Oversized or malformed requests get a proper 4xx page, never a 500 and never a read of an
unbounded body into memory.
"""

from __future__ import annotations

from urllib.parse import unquote_to_bytes

from northgate.core.asgi import ASGIApp, Message, Receive, Scope, Send, header
from northgate.edge.asgi import TrackedSend
from northgate.edge.errors import ErrorPages


class BodyTooLarge(Exception):
    """Raised from ``receive`` when a streamed body passes the limit."""


def path_is_utf8(scope: Scope) -> bool:
    """Is the request's path, percent-decoded, UTF-8 text?

    A path such as ``/%80/`` is not: servers hand it on as ``\\udc80`` (surrogate escapes,
    which no encoder accepts) or as ``\\ufffd`` (a guess), and FastAPI's trailing-slash
    redirect raised on the first. No address of the portal is such a path, so it is refused
    here, the same way whatever the server, before any layer reads it."""
    raw = scope.get("raw_path")
    path: str = scope["path"]
    # The common case costs two scans: an ASCII path without escapes is text.
    if path.isascii() and (raw is None or (raw.isascii() and b"%" not in raw)):
        return True
    try:
        path.encode()
        if raw is not None:
            unquote_to_bytes(raw).decode()
    except UnicodeError:
        return False
    return True


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
        # Without a raw path, the decoded one may hold surrogates (checked below): count
        # them rather than fail on them.
        url_length = len(
            scope.get("raw_path") or scope["path"].encode(errors="surrogatepass")
        ) + len(scope.get("query_string", b""))
        if url_length > self.max_url_bytes:
            await self.errors.send(scope, send, 414)
            return
        if not path_is_utf8(scope):
            await self.errors.send(scope, send, 400)
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
