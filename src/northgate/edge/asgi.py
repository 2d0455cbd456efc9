"""The response wrapper the edge components share; the ASGI types are in the core."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

from northgate.core.asgi import Message, Send


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
