"""The tap's own cost in one process: the edge layers serving a cached page, no server."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

from bench.analytics.clients import BROWSER, ORIGIN, PAGE_PATH, client_addresses
from bench.harness.paths import PROJECT_DIR
from bench.harness.stats import median


class EdgeUnderTest:
    """The outermost edge layers as ``northgate.app`` builds them, in this process, in front
    of the request limits and the cached site serving PAGE_PATH from memory: the error
    shield alone (analytics off) or the tap, which is then the shield too (analytics on).

    Requests come from the same 10,000 clients as the wrk runs, and each gets new strings and
    header bytes, as from a server: with the same objects reused their hashes stay cached
    and the tap looks ~2x cheaper than it is. Every TAKE_EVERY requests (five seconds at
    20,000 a second) the recorder is emptied and resolved and the visitor sketches are built,
    as the flusher's round does (it builds sketches every 30 s only: this is the dearer)."""

    TAKE_EVERY = 100_000
    # The tap's clock: requests 50 us apart (20,000 a second) from noon, so that minutes
    # close as often per request as they would at that rate, not at valgrind's pace (50x
    # slower), which multiplied the per-minute work (visitor sketches) per request.
    REQUEST_INTERVAL_S = 50e-6

    def __init__(self) -> None:
        from northgate.composition import build
        from northgate.edge.errors import ErrorPages
        from northgate.edge.limits import RequestLimits
        from northgate.edge.shield import ErrorShield
        from northgate.edge.tap import Tap
        from northgate.settings import Settings
        from northgate.site.server import SiteServer

        self.addresses = [address.encode() for address in client_addresses()]

        async def not_found(scope: Any, receive: Any, send: Any) -> None:
            raise AssertionError(f"{scope['path']} is not a cached page")

        self.now = time.time() // 86_400 * 86_400 + 43_200
        # The recorder, its salts and the site as the server builds them (no Redis: the
        # in-memory salt store), on this benchmark's clock. Nothing connects to anything.
        services = build(
            Settings(
                var_dir=Path(tempfile.mkdtemp(prefix="northgate-bench-tap-")),
                node_modules=PROJECT_DIR / "node_modules",
                public_origin=ORIGIN,
                trusted_proxies="127.0.0.1",
            ),
            unix_clock=self.clock,
        )
        site = services.site
        errors = ErrorPages(site.errors)
        edge = RequestLimits(
            SiteServer(site, not_found, errors),
            errors,
            max_body_bytes=1 << 20,
            max_url_bytes=8_192,
        )
        self.salts = services.analytics.salts
        self.recorder = services.analytics.recorder
        self.shield = ErrorShield(edge, errors)
        self.tap = Tap(edge, self.recorder, errors=errors, clock=self.clock)
        self.since_take = 0

    def clock(self) -> float:
        return self.now

    def scope(self, i: int) -> dict[str, Any]:
        # New objects for every request; both cases pay for building them.
        return {
            "type": "http",
            "method": "GET",
            "path": "".join(PAGE_PATH),
            "query_string": b"",
            "client": ("".join("127.0.0.1"), 50000),
            "headers": [
                (b"host", b"127.0.0.1:8000"),
                (b"user-agent", bytes(bytearray(BROWSER.encode()))),
                (b"x-forwarded-for", bytes(bytearray(self.addresses[i % 10_000]))),
            ],
        }

    async def run(self, target: Any, n: int) -> None:
        async def receive() -> Any:
            return {"type": "http.request"}

        async def send(message: Any) -> None:
            return None

        for i in range(n):
            self.now += self.REQUEST_INTERVAL_S
            await target(self.scope(i), receive, send)
            if target is self.tap:
                self.since_take += 1
                if self.since_take >= self.TAKE_EVERY:
                    self.take()

    def take(self) -> None:
        """A flusher's round without the write: resolve, then the counts and the visitor
        sketches to write (the flusher builds sketches every 30 s; every round here)."""
        from northgate.analytics.capture.aggregate import Batch
        from northgate.analytics.store.delta import Delta

        batch = self.recorder.take()
        Delta.of(Batch(counts=batch.counts, batch_id=batch.batch_id), batch)
        self.since_take = 0


IN_PROCESS_REQUESTS = 200_000


def in_process_cost(requests: int = IN_PROCESS_REQUESTS) -> dict[str, float]:
    """CPU per request through the edge with and without the tap, in this process
    (:class:`EdgeUnderTest`): no network, no server, no load generator. Recording plus
    the flusher's resolving and sketches (``take``, every 100,000 requests) included."""
    import asyncio

    edge = EdgeUnderTest()

    async def timed(target: Any, n: int) -> float:
        begin = time.process_time()
        await edge.run(target, n)
        return time.process_time() - begin

    async def measure() -> dict[str, float]:
        await edge.salts.prepare(edge.now)
        await edge.run(edge.tap, 20_000)  # warm: every client seen once
        edge.take()
        bare, tapped = [], []
        for _ in range(3):
            bare.append(await timed(edge.shield, requests))
            tapped.append(await timed(edge.tap, requests))
        per = 1e6 / requests
        return {
            "without_tap_us": round(median(bare) * per, 3),
            "with_tap_us": round(median(tapped) * per, 3),
            "tap_us": round((median(tapped) - median(bare)) * per, 3),
        }

    return asyncio.run(measure())


def count_child(variant: str, requests: int) -> None:
    """Under valgrind: a warm-up, then ``requests`` through the shield or the tap."""
    import asyncio

    edge = EdgeUnderTest()
    target = edge.tap if variant == "tap" else edge.shield

    async def main() -> None:
        await edge.salts.prepare(edge.now)
        await edge.run(target, 10_000)
        edge.take()
        await edge.run(target, requests)
        edge.take()

    asyncio.run(main())
