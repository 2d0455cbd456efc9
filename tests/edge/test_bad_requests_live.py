"""Malformed and hostile HTTP against a real `northgate serve` (granian), over raw sockets.

What the server does with each, as observed (granian 2.8):

* not HTTP at all (garbage request line, TLS handshake bytes, HTTP/0.9, unknown versions),
  a header without a colon, control bytes in a header, an unreadable Content-Length: granian
  answers ``400`` with an empty body and closes the connection; the application never sees it.
* more than about 400 KB of headers: granian answers ``431``.
* everything else reaches the application, which answers with its bilingual pages
  (``405``, ``413``, ``414``, ``422``).
* granian accepts an HTTP/1.1 request without ``Host`` (RFC 9112 says 400) and a single
  100 KB header; both are served normally, which is harmless here.

Whatever the request, the answer is never a 5xx and the server keeps serving.
"""

from __future__ import annotations

import contextlib
import re
import socket
import time
from dataclasses import dataclass

import pytest

from tests.support.live import LiveServer

TIMEOUT = 5.0
CLOSE = b"Connection: close\r\n"


@dataclass(frozen=True)
class Answer:
    status: int | None  # None: the connection closed without a status line
    headers: dict[str, str]
    body: bytes


def exchange(server: LiveServer, request: bytes) -> Answer:
    """Send raw bytes, read until the server closes the connection (or TIMEOUT: a failure)."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=TIMEOUT) as sock:
        # The server may refuse before reading everything; its answer is still there.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            sock.sendall(request)
        data = b""
        deadline = time.monotonic() + TIMEOUT
        while True:
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                break
            except TimeoutError:
                pytest.fail(f"no answer within {TIMEOUT}s; got {data[:200]!r}")
            if not chunk:
                break
            data += chunk
            if time.monotonic() > deadline:
                pytest.fail(f"the connection stayed open after {TIMEOUT}s; got {data[:200]!r}")
    head, _, body = data.partition(b"\r\n\r\n")
    match = re.match(rb"HTTP/1\.[01] (\d{3}) ", head)
    if match is None:
        assert data == b"", f"not an HTTP response: {data[:200]!r}"
        return Answer(None, {}, b"")
    headers = {}
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        headers[name.strip().lower().decode()] = value.strip().decode("latin-1")
    return Answer(int(match.group(1)), headers, body)


def get(path: str = "/en/", version: bytes = b"HTTP/1.1") -> bytes:
    return b"GET " + path.encode() + b" " + version + b"\r\nHost: localhost\r\n" + CLOSE + b"\r\n"


def post(body: bytes, *headers: bytes, path: bytes = b"/en/feedback") -> bytes:
    lines = b"".join(h + b"\r\n" for h in headers)
    return b"POST " + path + b" HTTP/1.1\r\nHost: localhost\r\n" + lines + CLOSE + b"\r\n" + body


def length(body: bytes) -> bytes:
    return b"Content-Length: %d" % len(body)


FORM = b"Content-Type: application/x-www-form-urlencoded"

# name → (raw request, the statuses the server may answer)
CASES: dict[str, tuple[bytes, set[int]]] = {
    "garbage-request-line": (b"GARBAGE\r\n\r\n", {400}),
    "tls-handshake-bytes": (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 64, {400}),
    "request-line-without-target": (b"GET\r\n\r\n", {400}),
    "http-0.9": (b"GET /en/\r\n\r\n", {400}),
    "unknown-http-version": (get(version=b"HTTP/1.7"), {400}),
    "header-without-colon": (
        b"GET /en/ HTTP/1.1\r\nHost: localhost\r\nNoColonHere\r\n" + CLOSE + b"\r\n",
        {400},
    ),
    "space-in-header-name": (
        b"GET /en/ HTTP/1.1\r\nHost: localhost\r\nBad Header: x\r\n" + CLOSE + b"\r\n",
        {400},
    ),
    "control-bytes-in-header": (
        b"GET /en/ HTTP/1.1\r\nHost: localhost\r\nX-Bad: a\x00b\x01\r\n" + CLOSE + b"\r\n",
        {400},
    ),
    "obsolete-line-folding": (
        b"GET /en/ HTTP/1.1\r\nHost: localhost\r\n X-Folded: y\r\n" + CLOSE + b"\r\n",
        {400},
    ),
    "non-ascii-bytes-in-path": (get("/en/").replace(b"/en/", b"/en/\xff\xfe"), {400}),
    "absurd-content-length": (post(b"abc", b"Content-Length: " + b"9" * 30), {400, 413}),
    "huge-content-length": (post(b"abc", b"Content-Length: 9999999999"), {413}),
    "negative-content-length": (post(b"", b"Content-Length: -1"), {400}),
    "text-content-length": (post(b"", b"Content-Length: abc"), {400}),
    "two-content-lengths": (post(b"abc", b"Content-Length: 3", b"Content-Length: 5"), {400}),
    "header-of-100-kb": (
        b"GET /en/ HTTP/1.1\r\nHost: localhost\r\nX-Big: "
        + b"a" * 100_000
        + b"\r\n"
        + CLOSE
        + b"\r\n",
        {200, 431},  # granian accepts it (its limit is about 400 KB)
    ),
    "headers-of-1-mb": (
        b"GET /en/ HTTP/1.1\r\nHost: localhost\r\nX-Big: "
        + b"a" * 1_000_000
        + b"\r\n"
        + CLOSE
        + b"\r\n",
        {431},
    ),
    "url-of-10-kb": (get("/en/" + "a" * 10_000), {414}),
    "unknown-method-on-a-page": (
        b"BREW /en/ HTTP/1.1\r\nHost: localhost\r\n" + CLOSE + b"\r\n",
        {405},
    ),
    "unknown-method-on-a-route": (
        b"BREW /healthz HTTP/1.1\r\nHost: localhost\r\n" + CLOSE + b"\r\n",
        {405},
    ),
    "missing-host": (b"GET /en/ HTTP/1.1\r\n" + CLOSE + b"\r\n", {200, 400}),  # granian: 200
    "chunked-body-past-the-limit": (
        post(
            (b"4000\r\n" + b"x" * 0x4000 + b"\r\n") * 6 + b"0\r\n\r\n",
            FORM,
            b"Transfer-Encoding: chunked",
        ),
        {413},
    ),
    "malformed-chunk-size": (
        post(b"zz\r\nabc\r\n0\r\n\r\n", FORM, b"Transfer-Encoding: chunked"),
        {400, 422},
    ),
    "content-length-and-chunked": (
        post(b"0\r\n\r\n", FORM, b"Content-Length: 3", b"Transfer-Encoding: chunked"),
        {400, 422},
    ),
    "form-without-page-field": (post(b"problem=wrong", FORM, length(b"problem=wrong")), {422}),
    "form-with-invalid-utf8": (
        post(b"page=\xff\xfe&x=%ff", FORM, length(b"page=\xff\xfe&x=%ff")),
        {400, 422},
    ),
    "multipart-without-boundary": (
        post(b"abc", b"Content-Type: multipart/form-data", length(b"abc")),
        {400, 422},
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_bad_request_gets_a_4xx_never_a_5xx(live_server: LiveServer, name: str) -> None:
    request, allowed = CASES[name]
    answer = exchange(live_server, request)
    assert answer.status is not None, "the server closed the connection without answering"
    assert answer.status < 500, f"{name}: {answer.status} {answer.body[:300]!r}"
    assert answer.status in allowed, f"{name}: {answer.status}"
    # The server is still up and serving pages.
    assert exchange(live_server, get("/en/")).status == 200


def test_http_1_0_is_served_and_the_connection_closed(live_server: LiveServer) -> None:
    answer = exchange(live_server, b"GET /en/ HTTP/1.0\r\n\r\n")
    assert answer.status == 200
    assert int(answer.headers["content-length"]) == len(answer.body)
    assert answer.headers["content-type"] == "text/html; charset=utf-8"


def test_a_long_url_gets_the_414_page(live_server: LiveServer) -> None:
    answer = exchange(live_server, get("/fr/" + "a" * 10_000))
    assert answer.status == 414
    assert answer.headers["content-type"] == "text/html; charset=utf-8"
    assert b'<html lang="fr"' in answer.body


def test_garbage_gets_an_empty_400_and_a_closed_connection(live_server: LiveServer) -> None:
    answer = exchange(live_server, b"\x00\x01\x02 not http at all\r\n\r\n")
    assert answer.status == 400
    assert answer.headers.get("connection") == "close"
    assert answer.body == b""
