"""Arrivals that nginx answers by itself, counted like the tap counts the rest.

Behind nginx (deploy/nginx/northgate.conf) the information pages, the assets, redirects and
nginx's own refusals and error pages never reach an application process, so the tap cannot
see them: the bulk of a surge, and every visitor turned away while the application is
down, which is what 2016's analytics missed. The edge's Lua counts
them (a shared-dict counter per second, status, path, user agent and address block:
deploy/nginx/lua/northgate/counts.lua) and once a second sends the counters, a few datagrams
whatever the traffic, to a local Unix socket (``northgate edge-log``): :func:`parse_counts`.
Requests an application process answered are not counted there: its tap counted them. (One
line per request in a syslog datagram, :func:`parse`, is still read: an nginx without the
Lua module can send that.)

The edge never hands over an address, only its block (/24, /48): the country is the block's,
and a visitor is a block and a user agent (fewer distinct visitors than the tap would see
behind a shared block with one browser: a bounded undercount, the price of addresses never
leaving nginx).

Nothing reaches a disk on the way: the datagram lives in memory until this process has
recorded it in the same :class:`~northgate.analytics.capture.recorder.Recorder` the tap uses, so
addresses become countries and salted visitor hashes exactly as they do there (the same
trusted proxies, the same daily salt when the salt store is shared).

Delivery is at most once: nginx does not retry a datagram the socket could not take (its
error log says so, and ``northgate edge-log-dropped`` counts those lines), and what is
recorded but not flushed when this process is killed is lost, as in the tap (one flush
interval).
"""

from __future__ import annotations

import itertools
import logging
import re
import socket
from collections.abc import Iterable
from pathlib import Path
from typing import Final, NamedTuple
from urllib.parse import unquote_to_bytes

from northgate.analytics.capture.arrivals import RawKey
from northgate.analytics.capture.dimensions import MINUTE
from northgate.analytics.capture.recorder import Recorder
from northgate.core.clock import UnixClock, unix_now

log = logging.getLogger(__name__)

# log_format northgate_edge in deploy/nginx/northgate.conf: tab-separated, nginx's default
# escaping (", \ and bytes below 32 or above 126 as \xHH, so a field never holds a tab; an
# empty value is "-"). Splitting costs a tenth of json.loads, which took ~5 us a line here.
FIELDS: Final = 7
_ESCAPED: Final = re.compile(rb"\\x([0-9A-Fa-f]{2})")
_EMPTY: Final = b"-"


class EdgeArrival(NamedTuple):
    started: float
    path: str
    peer: str
    forwarded_for: bytes | None
    user_agent: bytes
    status: int
    retry_after: bool


def _unescape(field: bytes) -> bytes:
    if b"\\x" not in field:
        return field
    return _ESCAPED.sub(lambda match: bytes([int(match.group(1), 16)]), field)


def parse(datagram: bytes) -> EdgeArrival | None:
    """One syslog datagram from nginx (``<PRI>TIMESTAMP TAG: LINE``), or None if it is not
    one of ours."""
    start = datagram.find(b": ")
    fields = datagram[start + 2 :].split(b"\t") if start >= 0 else []
    if len(fields) != FIELDS:
        return None
    msec, status, request_uri, peer, forwarded_for, user_agent, retry_after = fields
    try:
        started = float(msec)
        code = int(status)
    except ValueError:
        return None
    # $request_uri is the address as sent; the tap sees the path without the query string,
    # percent-decoded as UTF-8.
    target = unquote_to_bytes(_unescape(request_uri).partition(b"?")[0])
    path = target.decode("utf-8", "replace") or "/"
    return EdgeArrival(
        started,
        path,
        peer.decode("latin-1"),
        None if forwarded_for == _EMPTY else _unescape(forwarded_for),
        b"" if user_agent == _EMPTY else _unescape(user_agent),
        code,
        retry_after != _EMPTY,
    )


def record(recorder: Recorder, arrival: EdgeArrival) -> None:
    """Into the recorder, as the tap would have recorded the same request."""
    headers = [(b"user-agent", arrival.user_agent)]
    if arrival.forwarded_for is not None:
        headers.append((b"x-forwarded-for", arrival.forwarded_for))
    scope = {"path": arrival.path, "headers": headers, "client": (arrival.peer, 0)}
    retry_after = arrival.retry_after and arrival.status in (429, 503)
    recorder.arrive(arrival.started, scope, arrival.status, retry_after, None)


# The first line of the edge's counters datagram, then one counter a line, tab-separated:
# arrivals, second ("~" for the address-free overflow), address block, status,
# "X-Northgate-Gate:Retry-After" as sent ("queued:" kept in line by the edge's room), path
# as sent without its query, user agent (last: a tab in it stays in it).
COUNTS_MAGIC: Final = b"northgate-counts 1\n"
_COUNT_FIELDS: Final = 7
QUEUED: Final = "queued"


def parse_counts(datagram: bytes, now: float) -> list[tuple[RawKey, int]] | None:
    """The edge's counters as raw keys of the tap's counter
    (``northgate.analytics.capture.arrivals``) with their arrivals, or None if the datagram
    is not one of them. ``now``: the second of the overflow counters, which carry none."""
    if not datagram.startswith(COUNTS_MAGIC):
        return None
    found: list[tuple[RawKey, int]] = []
    for line in datagram[len(COUNTS_MAGIC) :].split(b"\n"):
        if not line:
            continue
        fields = line.split(b"\t", _COUNT_FIELDS - 1)
        if len(fields) != _COUNT_FIELDS:
            return None
        arrivals, second, block, status, flags, target, agent = fields
        gate, _, retry = flags.partition(b":")
        try:
            n = int(arrivals)
            code = int(status)
            started = now if second == b"~" else float(second)
        except ValueError:
            return None
        path = unquote_to_bytes(target).decode("utf-8", "replace") or "/"
        raw_key = (
            int(started // MINUTE),
            path,
            block.decode("latin-1") or None,
            None,
            agent,
            code,
            bool(retry) and code in (429, 503),
            QUEUED if gate == b"queued" else None,
            None,
        )
        found.append((raw_key, n))
    return found


class EdgeLogReader:
    """Reads the socket when the event loop says it is readable (``loop.add_reader``), up to
    ``batch`` lines a wake-up: asyncio's datagram transport takes one line per wake-up,
    which cost ~24 us of CPU a line here, more than nginx spends on the request."""

    def __init__(
        self, recorder: Recorder, *, batch: int = 1_000, clock: UnixClock = unix_now
    ) -> None:
        self.recorder = recorder
        self.clock = clock
        self.batch = batch
        self.recorded = 0
        self.rejected = 0

    def line(self, data: bytes) -> None:
        if data.startswith(COUNTS_MAGIC):
            counts = parse_counts(data, self.clock())
            if counts is not None:
                for raw_key, n in counts:
                    self.recorder.add(raw_key, n)
                    self.recorded += n
                return
        arrival = parse(data)
        if arrival is None:
            self.rejected += 1
            if self.rejected <= 10 or self.rejected % 10_000 == 0:
                log.warning("edge log: not an nginx arrival line (%d so far)", self.rejected)
            return
        record(self.recorder, arrival)
        self.recorded += 1

    def read(self, sock: socket.socket) -> None:
        """The lines queued now, at most ``batch`` (the loop has other work: the flusher)."""
        self._receive(sock, range(self.batch))

    def drain(self, sock: socket.socket) -> None:
        """Every line still queued (on shutdown, before the last flush)."""
        self._receive(sock, itertools.count())

    def _receive(self, sock: socket.socket, turns: Iterable[int]) -> None:
        for _ in turns:
            try:
                data = sock.recv(65_536)
            except (BlockingIOError, InterruptedError):
                return
            self.line(data)


def bind_socket(path: Path) -> socket.socket:
    """The Unix datagram socket nginx sends to, replacing a stale one from a killed run."""
    path.parent.mkdir(parents=True, exist_ok=True)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    # A surge arrives in bursts: room for thousands of lines while the loop is busy.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    path.unlink(missing_ok=True)
    sock.bind(str(path))
    # nginx's workers run as another user (www-data): they must be able to send.
    path.chmod(0o666)
    sock.setblocking(False)
    return sock
