"""ASGI type aliases and the few helpers every edge component shares."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from northgate.core.lang import Lang

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class TrackedSend:
    """Wraps ``send`` and remembers how the response started: whether it has (an error after
    that point cannot become an error page any more), its status, and for a 503 or 429 its
    headers (did it say Retry-After?).

    One per request is enough: :meth:`of` reuses the wrapper an outer component made, so the
    tap, the error shield and the request limits share one instead of each adding a call
    per message."""

    __slots__ = ("refusal_headers", "send", "started", "status")

    def __init__(self, send: Send) -> None:
        self.send = send
        self.started = False
        self.status = 0
        self.refusal_headers: Any = None

    @classmethod
    def of(cls, send: Send) -> TrackedSend:
        return send if isinstance(send, TrackedSend) else cls(send)

    def __call__(self, message: Message) -> Awaitable[None]:
        # Returns send's awaitable rather than awaiting it: no coroutine per message.
        if message["type"] == "http.response.start":
            self.started = True
            status = self.status = message["status"]
            if status == 503 or status == 429:
                self.refusal_headers = message.get("headers", ())
        return self.send(message)


def header(scope: Scope, name: bytes) -> bytes | None:
    """The first value of request header ``name`` (lower case), or None."""
    for key, value in scope["headers"]:
        if key == name:
            return value  # type: ignore[no-any-return]
    return None


def language_of_path(path: str) -> Lang:
    """The language a path is in, for answering errors in the reader's language."""
    return "fr" if path.startswith("/fr/") or path == "/fr" else "en"
