"""ASGI type aliases and the few helpers every edge component shares."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from northgate.site.pages import Lang

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class TrackedSend:
    """Wraps ``send`` and remembers whether the response has started: an error after that
    point cannot be turned into an error page any more."""

    __slots__ = ("send", "started")

    def __init__(self, send: Send) -> None:
        self.send = send
        self.started = False

    def __call__(self, message: Message) -> Awaitable[None]:
        # Returns send's awaitable rather than awaiting it: no coroutine per message.
        if message["type"] == "http.response.start":
            self.started = True
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
