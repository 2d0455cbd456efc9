"""The bilingual error pages as prepared messages, for every edge component to answer with
(request limits, the error shield, the tap, the gate's shed answer). The pages themselves
are rendered once by :mod:`northgate.ui.errors`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from northgate.core.asgi import Scope, Send
from northgate.core.lang import Lang, language_of_path
from northgate.edge.prepared import EMPTY_BODY, Prepared
from northgate.edge.security import Headers, security_headers
from northgate.ui.cached import CachedResponse


class ErrorPages:
    """``pages``: each error page by status and language (``Site.errors``); ``headers``
    (the security headers) are built into the messages once."""

    def __init__(
        self, pages: Mapping[tuple[int, Lang], CachedResponse], headers: Headers | None = None
    ) -> None:
        self.headers = security_headers(tls=False) if headers is None else headers
        self._prepared = {key: Prepared(cached, self.headers) for key, cached in pages.items()}

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
        await send(EMPTY_BODY if scope.get("method") == "HEAD" else prepared.body)
