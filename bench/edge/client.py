"""A light HTTP/1.1 client for many visitors: keep-alive connections speaking raw bytes
through asyncio protocols (no streams, no HTTP library), shared by every visitor as a
CDN's pool would be. Only what the journey reads is parsed: status, the gate's headers,
Set-Cookie, Location and the body (Content-Length or chunked)."""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass, field
from typing import cast

from bench.harness.errors import BenchError


@dataclass
class Answer:
    status: int
    gate: str | None = None
    retry_after: float | None = None
    location: str | None = None
    cookies: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


def _parse_head(head: bytes) -> tuple[Answer, int | None, bool, bool]:
    """The answer without its body, the Content-Length, whether chunked, whether closing."""
    lines = head.decode("latin-1").split("\r\n")
    answer = Answer(int(lines[0].split(" ", 2)[1]))
    length, chunked, close = None, False, False
    for line in lines[1:]:
        name, _, value = line.partition(":")
        name, value = name.strip().lower(), value.strip()
        if name == "content-length":
            length = int(value)
        elif name == "transfer-encoding":
            chunked = "chunked" in value.lower()
        elif name == "connection":
            close = value.lower() == "close"
        elif name == "x-northgate-gate":
            answer.gate = value
        elif name == "retry-after":
            answer.retry_after = float(value)
        elif name == "location":
            answer.location = value
        elif name == "set-cookie":
            pair = value.split(";", 1)[0]
            key, _, cookie = pair.partition("=")
            answer.cookies[key.strip()] = cookie.strip()
    return answer, length, chunked, close


def _chunked(buf: bytearray, start: int) -> tuple[bytes, int] | None:
    """The body of a chunked message from ``start``, and where it ends; None if incomplete."""
    parts: list[bytes] = []
    at = start
    while True:
        eol = buf.find(b"\r\n", at)
        if eol < 0:
            return None
        size = int(bytes(buf[at:eol]).split(b";", 1)[0], 16)
        if size == 0:
            end = buf.find(b"\r\n\r\n", eol)
            if end < 0:
                return None
            return b"".join(parts), end + 4
        if len(buf) < eol + 2 + size + 2:
            return None
        parts.append(bytes(buf[eol + 2 : eol + 2 + size]))
        at = eol + 2 + size + 2


class Connection(asyncio.Protocol):
    """One keep-alive connection: one request at a time."""

    def __init__(self, pool: Pool) -> None:
        self.pool = pool
        self.transport: asyncio.Transport | None = None
        self.buf = bytearray()
        self.waiter: asyncio.Future[Answer] | None = None
        self.closed = False
        self.served = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport subclasses, but behave as one.
        self.transport = cast(asyncio.Transport, transport)

    def send(self, raw: bytes) -> asyncio.Future[Answer]:
        assert self.transport is not None
        self.waiter = asyncio.get_running_loop().create_future()
        self.transport.write(raw)
        return self.waiter

    def data_received(self, data: bytes) -> None:
        self.buf += data
        end = self.buf.find(b"\r\n\r\n")
        if end < 0 or self.waiter is None:
            return
        answer, length, chunked, close = _parse_head(bytes(self.buf[:end]))
        start = end + 4
        if chunked:
            done = _chunked(self.buf, start)
            if done is None:
                return
            answer.body, stop = done
        else:
            stop = start + (length or 0)
            if len(self.buf) < stop:
                return
            answer.body = bytes(self.buf[start:stop])
        del self.buf[:stop]
        waiter, self.waiter = self.waiter, None
        if close:
            self.close()
        if not waiter.done():  # cancelled: the visitor gave up (end of a phase)
            waiter.set_result(answer)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(ConnectionError(str(exc or "closed by the server")))

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()


class Pool:
    """Up to ``size`` keep-alive connections to 127.0.0.1:port; a request waits for a free one."""

    def __init__(self, port: int, size: int) -> None:
        self.port, self.size = port, size
        self.idle: list[Connection] = []
        self.open = 0
        self.queue: deque[asyncio.Future[Connection | None]] = deque()

    async def request(self, raw: bytes) -> Answer:
        """Send ``raw`` on a free connection; once more on a new one if a reused connection
        was closed under it (nginx ends idle ones after its keepalive_timeout)."""
        for attempt in (1, 2):
            conn = await self._acquire()
            reused = conn.served > 0
            try:
                if conn.closed:
                    raise ConnectionError("closed by the server")
                answer = await conn.send(raw)
            except ConnectionError:
                conn.close()
                self._release(None)
                if reused and attempt == 1:
                    continue
                raise
            except BaseException:
                conn.close()
                self._release(None)
                raise
            conn.served += 1
            self._release(None if conn.closed else conn)
            return answer
        raise AssertionError("unreachable")

    async def _acquire(self) -> Connection:
        while self.idle:
            conn = self.idle.pop()
            if not conn.closed:  # nginx closes idle ones after its keepalive_timeout
                return conn
            self.open -= 1
        if self.open >= self.size:
            waiter: asyncio.Future[Connection | None] = asyncio.get_running_loop().create_future()
            self.queue.append(waiter)
            handed = await waiter
            if handed is not None:
                return handed
        else:
            self.open += 1  # (a waiter handed None was counted by _release)
        try:
            loop = asyncio.get_running_loop()
            _, protocol = await loop.create_connection(
                lambda: Connection(self), "127.0.0.1", self.port
            )
        except BaseException:
            self.open -= 1
            raise
        return protocol

    def _release(self, conn: Connection | None) -> None:
        if conn is None:
            self.open -= 1
        while self.queue:
            waiter = self.queue.popleft()
            if not waiter.done():
                if conn is None:
                    self.open += 1  # the waiter opens a new one in this one's place
                waiter.set_result(conn)
                return
        if conn is not None:
            self.idle.append(conn)

    def close(self) -> None:
        for conn in self.idle:
            conn.close()
        self.idle.clear()


def request(
    method: str,
    path: str,
    cookies: dict[str, str],
    *,
    body: bytes = b"",
    content_type: str | None = None,
    accept: str = "application/json",
) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", f"Accept: {accept}"]
    if cookies:
        lines.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in cookies.items()))
    if body or method == "POST":
        lines.append(f"Content-Type: {content_type or 'application/json'}")
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def expect(answer: Answer, status: int, what: str) -> None:
    if answer.status != status:
        raise BenchError(f"{what}: HTTP {answer.status} (wanted {status}): {answer.body[:300]!r}")
