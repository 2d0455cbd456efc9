"""Arrivals that nginx answers by itself, counted like the tap counts the rest.

Behind nginx (deploy/nginx/northgate.conf) the information pages, the assets, redirects and
nginx's own refusals and error pages never reach an application process, so the tap cannot
see them: the bulk of a surge, and every visitor turned away while the application is
down, which is what 2016's analytics missed. nginx sends one line per such request, JSON
in a syslog datagram, to a local Unix socket (``northgate edge-log``). Requests an
application process answered are not sent: its tap counted them.

Nothing reaches a disk on the way: the datagram lives in memory until this process has
recorded it in the same :class:`~northgate.analytics.recorder.Recorder` the tap uses, so
addresses become countries and salted visitor hashes exactly as they do there (the same
trusted proxies, the same daily salt when the salt store is shared).

Delivery is at most once: nginx does not retry a datagram the socket could not take (its
error log says so), and what is recorded but not flushed when this process is killed is
lost, as in the tap (one flush interval).
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Final
from urllib.parse import unquote

from northgate.analytics.recorder import Recorder

log = logging.getLogger(__name__)

# What deploy/nginx/northgate.conf sends (log_format northgate_edge, escape=json).
FIELDS: Final = ("t", "s", "u", "a", "f", "ua", "ra")


@dataclass(frozen=True, slots=True)
class EdgeArrival:
    started: float
    path: str
    peer: str
    forwarded_for: bytes | None
    user_agent: bytes
    status: int
    retry_after: bool


def parse(datagram: bytes) -> EdgeArrival | None:
    """One syslog datagram from nginx (``<PRI>TIMESTAMP TAG: {json}``), or None if it is
    not one of ours."""
    start = datagram.find(b"{")
    if start < 0:
        return None
    try:
        fields = json.loads(datagram[start:])
        started = float(fields["t"])
        status = int(fields["s"])
        request_uri = str(fields["u"])
        peer = str(fields["a"])
        forwarded_for = str(fields["f"])
        user_agent = str(fields["ua"])
        retry_after = str(fields["ra"])
    except (ValueError, KeyError, TypeError):
        return None
    # $request_uri is the address as sent; the tap sees the decoded path without the query.
    path = unquote(request_uri.partition("?")[0], errors="replace") or "/"
    return EdgeArrival(
        started=started,
        path=path,
        peer=peer,
        forwarded_for=forwarded_for.encode("latin-1", "replace") if forwarded_for else None,
        user_agent=user_agent.encode("latin-1", "replace"),
        status=status,
        retry_after=bool(retry_after),
    )


def record(recorder: Recorder, arrival: EdgeArrival) -> None:
    """Into the recorder, as the tap would have recorded the same request."""
    headers = [(b"user-agent", arrival.user_agent)]
    if arrival.forwarded_for is not None:
        headers.append((b"x-forwarded-for", arrival.forwarded_for))
    scope = {"path": arrival.path, "headers": headers, "client": (arrival.peer, 0)}
    retry_after = arrival.retry_after and arrival.status in (429, 503)
    recorder.arrive(arrival.started, scope, arrival.status, retry_after, None)


class EdgeLogProtocol(asyncio.DatagramProtocol):
    def __init__(self, recorder: Recorder) -> None:
        self.recorder = recorder
        self.recorded = 0
        self.rejected = 0

    def datagram_received(self, data: bytes, addr: object) -> None:
        arrival = parse(data)
        if arrival is None:
            self.rejected += 1
            if self.rejected <= 10 or self.rejected % 10_000 == 0:
                log.warning("edge log: not an nginx arrival line (%d so far)", self.rejected)
            return
        record(self.recorder, arrival)
        self.recorded += 1

    def drain(self, sock: socket.socket) -> None:
        """Record the lines still queued in the socket (on shutdown, before the last flush):
        the event loop reads one datagram per wake-up and would leave them behind."""
        sock.setblocking(False)
        while True:
            try:
                data = sock.recv(65_536)
            except (BlockingIOError, InterruptedError):
                return
            self.datagram_received(data, None)


def bind_socket(path: Path) -> socket.socket:
    """The Unix datagram socket nginx sends to, replacing a stale one from a killed run."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    # A surge arrives in bursts: room for thousands of lines while the loop is busy.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    path.unlink(missing_ok=True)
    sock.bind(str(path))
    # nginx's workers run as another user (www-data): they must be able to send.
    path.chmod(0o666)
    return sock
