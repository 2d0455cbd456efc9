"""A cached response as ASGI messages built once, and the few lines that send one.

Shared by the pre-rendered site and the error pages every edge component answers with:
answering is choosing among prepared messages, never building headers per request.
"""

from __future__ import annotations

from northgate.core.asgi import Message, Scope, Send
from northgate.edge.security import Headers
from northgate.ui.cached import CachedResponse, accepts_gzip


class Prepared:
    """The ASGI messages for one cached response, built once."""

    __slots__ = (
        "body",
        "cached",
        "gzip_body",
        "gzip_not_modified",
        "gzip_start",
        "not_modified",
        "start",
    )

    def __init__(self, cached: CachedResponse, extra: Headers = ()) -> None:
        self.cached = cached
        self.start: Message = {
            "type": "http.response.start",
            "status": cached.status,
            "headers": [*cached.headers(gzipped=False), *extra],
        }
        self.body: Message = {"type": "http.response.body", "body": cached.body}
        self.gzip_start: Message | None = None
        self.gzip_body: Message | None = None
        if cached.gzipped is not None:
            self.gzip_start = {
                "type": "http.response.start",
                "status": cached.status,
                "headers": [*cached.headers(gzipped=True), *extra],
            }
            self.gzip_body = {"type": "http.response.body", "body": cached.gzipped}
        self.not_modified: Message = {
            "type": "http.response.start",
            "status": 304,
            "headers": [*cached.not_modified_headers(), *extra],
        }
        self.gzip_not_modified: Message = {
            "type": "http.response.start",
            "status": 304,
            "headers": [
                *cached.not_modified_headers(gzipped=cached.gzipped is not None),
                *extra,
            ],
        }


EMPTY_BODY: Message = {"type": "http.response.body", "body": b""}


async def send_prepared(prepared: Prepared, scope: Scope, send: Send) -> None:
    if_none_match = if_modified_since = accept_encoding = None
    for name, value in scope["headers"]:
        if name == b"if-none-match":
            if_none_match = value
        elif name == b"if-modified-since":
            if_modified_since = value
        elif name == b"accept-encoding":
            accept_encoding = value
    cached = prepared.cached
    gzipped = prepared.gzip_start is not None and accepts_gzip(accept_encoding)
    if (
        (if_none_match or if_modified_since)
        and cached.status == 200
        and cached.is_not_modified(if_none_match, if_modified_since)
    ):
        await send(prepared.gzip_not_modified if gzipped else prepared.not_modified)
        await send(EMPTY_BODY)
        return
    start, body = prepared.start, prepared.body
    if gzipped:
        start, body = prepared.gzip_start, prepared.gzip_body  # type: ignore[assignment]
    await send(start)
    await send(EMPTY_BODY if scope["method"] == "HEAD" else body)
