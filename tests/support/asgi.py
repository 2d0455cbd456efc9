"""Hand-driven ASGI: scopes, receive callables and a recording send, for middleware unit tests."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from northgate.core.asgi import Message, Receive, Scope
from northgate.edge.errors import ErrorPages
from northgate.site.render import Site, build_site

NODE_MODULES = Path(__file__).resolve().parents[2] / "node_modules"


def build_error_pages() -> tuple[Site, ErrorPages]:
    site = build_site(node_modules=NODE_MODULES, public_origin="http://127.0.0.1:8000")
    return site, ErrorPages(site.errors)


def http_scope(
    path: str = "/en/feedback",
    *,
    method: str = "POST",
    headers: Iterable[tuple[bytes, bytes]] = (),
    query_string: bytes = b"",
) -> Scope:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query_string,
        "root_path": "",
        "headers": list(headers),
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }


def chunked_receive(chunks: Iterable[bytes]) -> tuple[Receive, list[int]]:
    """A receive that yields ``chunks`` as a streamed body, then a disconnect.

    Also returns a list that records how many chunks were handed out.
    """
    pending = list(chunks)
    handed_out: list[int] = [0]

    async def receive() -> Message:
        if not pending:
            return {"type": "http.disconnect"}
        chunk = pending.pop(0)
        handed_out[0] += 1
        return {"type": "http.request", "body": chunk, "more_body": bool(pending)}

    return receive, handed_out


async def empty_receive() -> Message:
    return {"type": "http.request", "body": b"", "more_body": False}


class Recorder:
    """A send that keeps every message, with accessors for the response."""

    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def __call__(self, message: Message) -> None:
        self.messages.append(message)

    @property
    def starts(self) -> list[Message]:
        return [m for m in self.messages if m["type"] == "http.response.start"]

    @property
    def status(self) -> int:
        (start,) = self.starts
        return int(start["status"])

    @property
    def headers(self) -> dict[bytes, bytes]:
        (start,) = self.starts
        return dict(start["headers"])

    @property
    def body(self) -> bytes:
        return b"".join(
            m.get("body", b"") for m in self.messages if m["type"] == "http.response.body"
        )
