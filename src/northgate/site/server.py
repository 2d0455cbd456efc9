"""Serve the pre-rendered site from memory, below any framework.

This is the hot path of election night: a dictionary look-up, a scan of the request
headers for validators, and two pre-built ASGI messages. Anything not in the site goes to
the application behind it.
"""

from __future__ import annotations

from northgate.core import routes
from northgate.core.asgi import ASGIApp, Receive, Scope, Send
from northgate.edge.errors import ErrorPages
from northgate.edge.prepared import EMPTY_BODY, Prepared, send_prepared
from northgate.edge.security import Headers
from northgate.site.render import Site
from northgate.ui.i18n import negotiate_language

_READ_METHODS = ("GET", "HEAD")

# Where the language is chosen by Accept-Language.
_ROOT = routes.path("site.root")


class SiteServer:
    def __init__(self, site: Site, app: ASGIApp, errors: ErrorPages) -> None:
        self.app = app
        self.errors = errors
        # The same security headers as the error pages, built into every prepared message.
        self.headers = errors.headers
        self.prepared = {
            path: Prepared(cached, self.headers) for path, cached in site.responses.items()
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
    await send(EMPTY_BODY)
