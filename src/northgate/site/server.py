"""Serve the pre-rendered site from memory, below any framework.

This is the hot path of election night: a dictionary look-up, a scan of the request
headers for validators, and two pre-built ASGI messages. Anything not in the site goes to
the application behind it.
"""

from __future__ import annotations

from typing import Any

from northgate.core import routes
from northgate.core.asgi import ASGIApp, Message, Receive, Scope, Send
from northgate.core.lang import language_of_path
from northgate.edge.security import Headers, security_headers
from northgate.site.cached import CachedResponse, accepts_gzip
from northgate.site.render import Site
from northgate.web.i18n import negotiate_language

_READ_METHODS = ("GET", "HEAD")

# Where the language is chosen by Accept-Language.
_ROOT = routes.path("site.root")


class _Prepared:
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


_EMPTY_BODY: Message = {"type": "http.response.body", "body": b""}


async def send_prepared(prepared: _Prepared, scope: Scope, send: Send) -> None:
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
        await send(_EMPTY_BODY)
        return
    start, body = prepared.start, prepared.body
    if gzipped:
        start, body = prepared.gzip_start, prepared.gzip_body  # type: ignore[assignment]
    await send(start)
    await send(_EMPTY_BODY if scope["method"] == "HEAD" else body)


class ErrorPages:
    """Bilingual error pages as prepared messages, for every edge component to answer with.
    ``headers`` (the security headers) are built into the messages once."""

    def __init__(self, site: Site, headers: Headers | None = None) -> None:
        self.headers = security_headers(tls=False) if headers is None else headers
        self._prepared = {
            key: _Prepared(cached, self.headers) for key, cached in site.errors.items()
        }

    async def send(
        self,
        scope: Scope,
        send: Send,
        status: int,
        *,
        extra_headers: list[tuple[bytes, bytes]] | None = None,
    ) -> None:
        lang = language_of_path(scope.get("path", ""))
        prepared = self._prepared.get((status, lang)) or self._prepared[(500, lang)]
        start: dict[str, Any] = dict(prepared.start)
        start["status"] = status
        if extra_headers:
            start["headers"] = [*prepared.start["headers"], *extra_headers]
        await send(start)
        await send(_EMPTY_BODY if scope.get("method") == "HEAD" else prepared.body)


class SiteServer:
    def __init__(self, site: Site, app: ASGIApp, errors: ErrorPages) -> None:
        self.app = app
        self.errors = errors
        # The same security headers as the error pages, built into every prepared message.
        self.headers = errors.headers
        self.prepared = {
            path: _Prepared(cached, self.headers) for path, cached in site.responses.items()
        }
        self.redirects = site.redirects

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        prepared = self.prepared.get(path)
        if prepared is None:
            if path == _ROOT:
                await self._redirect_by_language(scope, send)
            elif path in self.redirects:
                await _redirect(
                    send, 301, self.redirects[path], b"public, max-age=86400", self.headers
                )
            else:
                await self.app(scope, receive, send)
            return
        if scope["method"] not in _READ_METHODS:
            await self.errors.send(scope, send, 405, extra_headers=[(b"allow", b"GET, HEAD")])
            return
        await send_prepared(prepared, scope, send)

    async def _redirect_by_language(self, scope: Scope, send: Send) -> None:
        accept_language = None
        for name, value in scope["headers"]:
            if name == b"accept-language":
                accept_language = value.decode("latin-1")
                break
        lang = negotiate_language(accept_language)
        await _redirect(
            send,
            302,
            routes.path("page.home", lang),
            b"private, max-age=0",
            self.headers,
            vary=b"Accept-Language",
        )


async def _redirect(
    send: Send,
    status: int,
    location: str,
    cache_control: bytes,
    extra: Headers,
    vary: bytes | None = None,
) -> None:
    headers = [
        (b"location", location.encode()),
        (b"cache-control", cache_control),
        (b"content-length", b"0"),
        *extra,
    ]
    if vary is not None:
        headers.append((b"vary", vary))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send(_EMPTY_BODY)
