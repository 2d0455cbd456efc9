"""A shared pool of keep-alive connections speaking raw HTTP/1.1 to one server, and the
gate's admin endpoint.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any

from bench.harness.errors import BenchError
from bench.overload.settings import ADMIN, BODY, MAX_CONNECTIONS, PATH, TIMEOUT


def request_bytes(cookie: str | None = None) -> bytes:
    lines = [f"POST {PATH} HTTP/1.1", "Host: 127.0.0.1", "Accept: application/json",
             "Content-Type: application/json", f"Content-Length: {len(BODY)}"]  # fmt: skip
    if cookie:
        lines.append(f"Cookie: {cookie}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + BODY


FRESH = request_bytes()


@dataclass
class Answer:
    status: int
    gate: str | None
    retry_after: int | None
    visitor: str | None  # the ng_visitor cookie set by this answer
    body: bytes


class Pool:
    """Keep-alive HTTP/1.1 connections to one server; opens more when all are busy."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
        self.open = 0
        self.freed = asyncio.Condition()

    async def request(self, raw: bytes) -> Answer:
        conn = await self._acquire()
        reader, writer = conn
        try:
            writer.write(raw)
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            status = int(lines[0].split()[1])
            length, gate, retry, visitor = 0, None, None, None
            for line in lines[1:]:
                name, _, value = line.partition(":")
                name, value = name.strip().lower(), value.strip()
                if name == "content-length":
                    length = int(value)
                elif name == "x-northgate-gate":
                    gate = value
                elif name == "retry-after":
                    retry = int(value)
                elif name == "set-cookie" and value.startswith("ng_visitor="):
                    visitor = value.split(";", 1)[0]
            body = await reader.readexactly(length)
        except BaseException:
            writer.close()
            self.open -= 1
            async with self.freed:
                self.freed.notify()
            raise
        self.idle.append(conn)
        async with self.freed:
            self.freed.notify()
        return Answer(status, gate, retry, visitor, body)

    async def _acquire(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        while True:
            if self.idle:
                return self.idle.pop()
            if self.open < MAX_CONNECTIONS:
                self.open += 1
                try:
                    return await asyncio.open_connection("127.0.0.1", self.port)
                except BaseException:
                    self.open -= 1
                    raise
            async with self.freed:
                await self.freed.wait()

    def close(self) -> None:
        for _reader, writer in self.idle:
            writer.close()
        self.idle.clear()


async def admin(port: int, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    """One request to the gate's operator endpoint (its own connection)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    data = json.dumps(body).encode() if body is not None else b""
    writer.write(
        f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {ADMIN}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n"
        f"Connection: close\r\n\r\n".encode()
        + data
    )
    raw = await asyncio.wait_for(reader.read(), TIMEOUT)
    writer.close()
    head, _, payload = raw.partition(b"\r\n\r\n")
    if b" 200 " not in head.split(b"\r\n", 1)[0]:
        raise BenchError(f"{method} {path}: {head.decode('latin-1')}")
    return json.loads(payload)
