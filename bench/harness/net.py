"""Loopback only: free ports, URLs, and one plain GET the way wrk sends it."""

from __future__ import annotations

import http.client
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from bench.harness.errors import BenchError

LOOPBACK = "127.0.0.1"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        port: int = sock.getsockname()[1]
        return port


def loopback_url(port: int, path: str) -> str:
    return f"http://{LOOPBACK}:{port}{path}"


def require_loopback(url: str) -> None:
    """Refuse to send benchmark traffic anywhere but this machine's loopback address."""
    parts = urlsplit(url)
    if parts.scheme != "http" or parts.hostname != LOOPBACK:
        raise BenchError(f"refusing to send traffic to {url!r}: only http://{LOOPBACK} is allowed")


@dataclass(frozen=True)
class Fetched:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None


def http_get(
    url: str, *, timeout: float = 5.0, headers: Mapping[str, str] | None = None
) -> Fetched:
    """One plain GET (no Accept-Encoding unless given), the way wrk sends it."""
    require_loopback(url)
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(LOOPBACK, parts.port or 80, timeout=timeout)
    try:
        # skip_accept_encoding: http.client would otherwise add "Accept-Encoding: identity".
        conn.putrequest("GET", parts.path or "/", skip_accept_encoding=True)
        for name, value in (headers or {}).items():
            conn.putheader(name, value)
        conn.endheaders()
        response = conn.getresponse()
        body = response.read()
        return Fetched(response.status, list(response.getheaders()), body)
    finally:
        conn.close()
