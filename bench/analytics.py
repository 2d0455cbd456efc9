"""What does the analytics tap cost? A cached information page with and without it, one run.

`northgate serve` processes (granian, 1 worker, pinned to core 1), identical but for
NORTHGATE_ANALYTICS_ENABLED, measured in pairs: each pair is two NEW processes, one with the
tap and one without, warmed, then measured in turns (ABAB..., short bursts, the first
alternating), then stopped. Why new processes for every pair: two identical long-lived
processes differ here by up to 5 % run after run (where their memory lands, what shares
their cache), as much as the target, and that difference stays with them for all their runs;
with new ones in every pair it becomes noise the median over pairs absorbs. Why bursts in
turns: the machine's speed drifts by more than 5 % within a minute, and bursts seconds apart
share the drift. wrk pinned to core 0 sends the same requests to every server:

    GET /en/eta, a browser User-Agent, X-Forwarded-For from a pool of 10,000 public addresses
    (both servers trust 127.0.0.1 as a proxy), so every request does the tap's real work:
    proxy parsing, country look-up, visitor hash, aggregation, and the flusher writing to
    SQLite (counts every 5 s, visitor sketches every 30 s or when a minute closes; its CPU
    is in the server's figures).

Prints each pair's ratio (tap/no-tap req/s, over the pair's bursts), and the overhead
(target <= 5 %): the median of the pairs' ratios, with a bootstrap 90 % interval of that
median. A burst that other work disturbed is retried. Then checks that the tapped servers
counted every request wrk completed (no more than those plus the ones in flight when wrk
stopped). Also measures, in one process pinned to core 1, the tap's own CPU per request;
and, with valgrind, the instructions the tap adds to a request (in process, on a simulated
clock) and those a whole server spends on one without the tap: counts, which the machine's
noise does not move. Writes bench/results/analytics.json.

Usage: .venv/bin/python bench/analytics.py [--runs PAIRS] [--bursts N] [--duration S] [--warmup S]
Environment: BENCH_RUNS, BENCH_BURSTS, BENCH_DURATION, BENCH_WARMUP, BENCH_CONNECTIONS,
BENCH_NOISE_LIMIT, BENCH_RETRIES.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from common import (
    LOAD_CPU,
    LOOPBACK,
    PROJECT_DIR,
    SERVER_CPU,
    VENV_BIN,
    BenchError,
    Server,
    WrkResult,
    check_wrk,
    env_number,
    free_port,
    host_busy_share,
    loopback_url,
    machine_info,
    measure_window,
    median,
    parse_wrk,
    require_loopback,
    require_tools,
    start_server,
    terminate_raises,
    wait_ready,
    write_results,
)

PAGE_PATH = "/en/eta"
OVERHEAD_TARGET = 0.05
READINESS_SLACK = 1_000  # wait_ready polls every 0.1 s during start-up
STARTUP_TIMEOUT_S = 90.0
BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0"
WRK_SCRIPT = """
math.randomseed(2016)
local firsts = {8, 24, 31, 41, 45, 62, 77, 81, 91, 103, 142, 151, 176, 185, 203, 212}
local pool = {}
for i = 1, 10000 do
  pool[i] = firsts[math.random(#firsts)] .. "." .. math.random(0, 255) .. "." ..
            math.random(0, 255) .. "." .. math.random(1, 254)
end
local n = 0
wrk.headers["User-Agent"] = "BROWSER"
request = function()
  n = n % #pool + 1
  wrk.headers["X-Forwarded-For"] = pool[n]
  return wrk.format(nil)
end
""".replace("BROWSER", BROWSER)


def client_addresses() -> list[str]:
    """10,000 public IPv4 addresses (a fixed draw), like the wrk script's pool."""
    import random

    rng = random.Random(2016)
    firsts = [8, 24, 31, 41, 45, 62, 77, 81, 91, 103, 142, 151, 176, 185, 203, 212]
    return [
        f"{rng.choice(firsts)}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
        for _ in range(10_000)
    ]


@dataclass
class Case:
    name: str  # "tap" or "no-tap"
    label: str
    enabled: bool
    env: dict[str, str] = field(default_factory=dict)
    server: Server | None = None  # this pair's process
    # Every request wrk completed against this case's servers (warm-ups and retried
    # bursts included), and how many wrk runs that took.
    completed: int = 0
    wrk_runs: int = 0
    servers_started: int = 0


@dataclass
class PairFigures:
    """One configuration's bursts in one pair, summed."""

    requests: int = 0
    seconds: float = 0.0
    server_cpu_s: float = 0.0
    bursts: list[dict[str, Any]] = field(default_factory=list)

    @property
    def requests_per_s(self) -> float:
        return self.requests / self.seconds

    @property
    def cpu_us_per_request(self) -> float:
        return self.server_cpu_s / self.requests * 1e6


def parse_options(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Cost of the analytics tap (bench/README.md).")
    parser.add_argument(
        "--runs", type=int, default=int(env_number("BENCH_RUNS", 10)), help="pairs of servers"
    )
    parser.add_argument("--bursts", type=int, default=int(env_number("BENCH_BURSTS", 3)))
    parser.add_argument("--duration", type=float, default=env_number("BENCH_DURATION", 3))
    parser.add_argument("--warmup", type=float, default=env_number("BENCH_WARMUP", 2))
    parser.add_argument("--connections", type=int, default=int(env_number("BENCH_CONNECTIONS", 64)))
    parser.add_argument("--noise-limit", type=float, default=env_number("BENCH_NOISE_LIMIT", 0.05))
    parser.add_argument("--retries", type=int, default=int(env_number("BENCH_RETRIES", 2)))
    parser.add_argument("--in-process", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--count-child", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--drive", nargs=2, type=int, help=argparse.SUPPRESS)
    parser.add_argument(
        "--control",
        action="store_true",
        help="the pairs only, both servers without the tap: the method's own bias (A/A)",
    )
    args = parser.parse_args(argv)
    if not 2 <= args.runs <= 40 or not 1 <= args.bursts <= 10:
        parser.error("runs (pairs) 2-40, bursts 1-10")
    if not 1 <= args.duration <= 120 or not 0 <= args.warmup <= 60:
        parser.error("duration 1-120 s, warm-up 0-60 s")
    return args


def run_wrk_script(url: str, script: Path, *, duration: float, connections: int) -> WrkResult:
    require_loopback(url)
    seconds = max(1, round(duration))
    command = [
        "taskset",
        "-c",
        str(LOAD_CPU),
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout=2s",
        "--latency",
        "-s",
        str(script),
        url,
    ]
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=seconds + 30, check=False
        )
    except subprocess.TimeoutExpired as error:
        raise BenchError(f"wrk ran over {seconds + 30} s") from error
    if done.returncode != 0:
        raise BenchError(f"wrk failed ({done.returncode}): {done.stderr or done.stdout}")
    return parse_wrk(done.stdout)


def northgate(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [str(VENV_BIN / "northgate"), *args],
        env=env,
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    if done.returncode != 0:
        raise BenchError(f"northgate {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    return done.stdout


def case_env(work: Path, name: str, enabled: bool) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NORTHGATE_")}
    var = work / name
    var.mkdir(mode=0o700, exist_ok=True)
    env.update(
        {
            "NORTHGATE_VAR_DIR": str(var),
            "NORTHGATE_NODE_MODULES": str(PROJECT_DIR / "node_modules"),
            "NORTHGATE_DATABASE_URL": f"sqlite:///{var / 'northgate.db'}",
            "NORTHGATE_ANALYTICS_ENABLED": "true" if enabled else "false",
            "NORTHGATE_TRUSTED_PROXIES": "127.0.0.1",
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


def start_case_server(case: Case, work: Path, pair: int) -> Server:
    """A new `northgate serve` for ``case`` (its database kept from pair to pair)."""
    port = free_port()
    command = [
        *(str(VENV_BIN / "northgate"), "serve", "--host", LOOPBACK, "--port", str(port)),
        *("--workers", "1", "--server", "granian"),
    ]
    server = start_server(f"{case.name}-{pair}", command, log_dir=work, env=case.env)
    case.server = server
    case.servers_started += 1
    wait_ready(server, loopback_url(port, PAGE_PATH), timeout=STARTUP_TIMEOUT_S)
    server.check_pinned(SERVER_CPU)
    return server


def wrk_counted(case: Case, script: Path, args: argparse.Namespace, duration: float) -> WrkResult:
    assert case.server is not None
    result = run_wrk_script(
        case.server.url, script, duration=duration, connections=args.connections
    )
    check_wrk(result, case.label)
    case.completed += result.requests
    case.wrk_runs += 1
    return result


def burst(case: Case, other: Case, script: Path, args: argparse.Namespace) -> dict[str, Any]:
    """One measured wrk run against ``case``'s server, retried while other work disturbed it."""
    assert case.server is not None and other.server is not None
    record: dict[str, Any] = {}
    for attempt in range(args.retries + 1):
        result, window = measure_window(
            case.server, [other.server], lambda: wrk_counted(case, script, args, args.duration)
        )
        record = {
            "case": case.name,
            "attempt": attempt + 1,
            "requests": result.requests,
            "seconds": result.seconds,
            "requests_per_s": result.requests_per_s,
            "latency_ms": result.latency_ms,
            **window.figures(result.requests),
            "server_cpu_s": window.server_cpu_s,
        }
        if window.noise() <= args.noise_limit:
            break
        print(
            f"  ... {case.label}: {window.noise():.0%} of the burst went to other work; again",
            flush=True,
        )
        time.sleep(2.0 * (attempt + 1))
    record["noisy"] = record["noise"] > args.noise_limit
    return record


def measure_pair(
    pair: int, cases: tuple[Case, Case], work: Path, script: Path, args: argparse.Namespace
) -> dict[str, Any]:
    """Fresh servers for both cases, each warmed, then bursts in turns (ABAB..., the first
    alternating from pair to pair); both stopped at the end (the tapped one flushes)."""
    figures = {case.name: PairFigures() for case in cases}
    try:
        for case in cases:
            start_case_server(case, work, pair)
        for case in cases:
            if args.warmup > 0:
                wrk_counted(case, script, args, args.warmup)
        for b in range(args.bursts):
            first = (pair + b) % 2
            for case in (cases[first], cases[1 - first]):
                record = burst(case, cases[1 - cases.index(case)], script, args)
                sums = figures[case.name]
                sums.requests += record["requests"]
                sums.seconds += record["seconds"]
                sums.server_cpu_s += record.pop("server_cpu_s")
                sums.bursts.append(record)
    finally:
        for case in cases:
            if case.server is not None:
                case.server.stop()  # SIGTERM: the tapped server flushes its last round
                case.server = None
    tap, no_tap = figures["tap"], figures["no-tap"]
    return {
        "pair": pair + 1,
        "requests_per_s": {n: round(f.requests_per_s, 1) for n, f in figures.items()},
        "cpu_us_per_request": {n: round(f.cpu_us_per_request, 2) for n, f in figures.items()},
        "ratio_requests_per_s": round(tap.requests_per_s / no_tap.requests_per_s, 4),
        "ratio_cpu_per_request": round(tap.cpu_us_per_request / no_tap.cpu_us_per_request, 4),
        "noisy_bursts": sum(r["noisy"] for f in figures.values() for r in f.bursts),
        "bursts": [r for f in figures.values() for r in f.bursts],
    }


def median_interval(values: list[float], *, level: float = 0.9) -> tuple[float, float]:
    """A bootstrap interval for the median of ``values`` (pairs resampled, seeded)."""
    rng = random.Random(2016)
    medians = sorted(statistics.median(rng.choices(values, k=len(values))) for _ in range(2_000))
    tail = (1 - level) / 2
    return medians[int(tail * len(medians))], medians[int((1 - tail) * len(medians)) - 1]


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
        sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # for tests.support

        from tests.support.asgi import build_error_pages

        from northgate.analytics.addresses import ClientAddress
        from northgate.analytics.countries import IptoccResolver
        from northgate.analytics.recorder import Recorder
        from northgate.analytics.salts import DailySalts, MemorySaltStore
        from northgate.analytics.sections import SectionClassifier
        from northgate.edge.limits import RequestLimits
        from northgate.edge.shield import ErrorShield
        from northgate.edge.tap import Tap
        from northgate.site.server import SiteServer

        self.addresses = [address.encode() for address in client_addresses()]

        async def not_found(scope: Any, receive: Any, send: Any) -> None:
            raise AssertionError(f"{scope['path']} is not a cached page")

        site, errors = build_error_pages()
        edge = RequestLimits(
            SiteServer(site, not_found, errors),
            errors,
            max_body_bytes=1 << 20,
            max_url_bytes=8_192,
        )
        self.salts = DailySalts(MemorySaltStore())
        self.recorder = Recorder(
            countries=IptoccResolver(),
            salts=self.salts,
            addresses=ClientAddress(["127.0.0.1"]),
            sections=SectionClassifier(site.addresses()),
        )
        self.shield = ErrorShield(edge, errors)
        self.now = time.time() // 86_400 * 86_400 + 43_200
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
        from northgate.analytics.aggregate import Batch
        from northgate.analytics.delta import Delta

        batch = self.recorder.take()
        Delta.of(Batch(counts=batch.counts, batch_id=batch.batch_id), batch)
        self.since_take = 0


def in_process_cost(requests: int = 200_000) -> dict[str, float]:
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


COUNTED_REQUESTS = EdgeUnderTest.TAKE_EVERY
_IREFS = re.compile(r"I\s+refs:\s+([\d,]+)")


def instructions(variant: str, requests: int) -> int:
    """Instructions a child runs (valgrind's cachegrind), its start-up included."""
    env = {**os.environ, "PYTHONHASHSEED": "2016"}  # the same dictionary layouts every time
    valgrind = [
        "valgrind",
        "--tool=cachegrind",
        "--cache-sim=no",
        "--cachegrind-out-file=/dev/null",
    ]
    child = [str(VENV_BIN / "python"), __file__, "--count-child", variant, str(requests)]
    done = subprocess.run(
        [*valgrind, *child],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
        cwd=PROJECT_DIR,
        env=env,
    )
    found = _IREFS.search(done.stderr)
    if done.returncode != 0 or found is None:
        raise BenchError(f"valgrind {variant} {requests} failed:\n{done.stderr[-2000:]}")
    return int(found.group(1).replace(",", ""))


def instruction_cost() -> dict[str, Any]:
    """Instructions per request through the edge with and without the tap: a count, not a
    time, so it is the same on a quiet machine and a busy one (to about 1 %: hash seeds,
    garbage collections). Each case's start-up and warm-up cancel out: (run with N
    requests) - (run with none), over N. Two children at a time, unpinned: a count does
    not depend on where or how fast it runs."""
    from concurrent.futures import ThreadPoolExecutor

    jobs = [(v, n) for n in (COUNTED_REQUESTS, 0) for v in ("shield", "tap")]
    with ThreadPoolExecutor(max_workers=2) as pool:
        counts = list(pool.map(lambda job: instructions(*job), jobs))
    found = dict(zip(jobs, counts, strict=True))
    per = {
        v: (found[(v, COUNTED_REQUESTS)] - found[(v, 0)]) / COUNTED_REQUESTS
        for v in ("shield", "tap")
    }
    return {
        "requests": COUNTED_REQUESTS,
        "without_tap_per_request": round(per["shield"]),
        "with_tap_per_request": round(per["tap"]),
        "tap_per_request": round(per["tap"] - per["shield"]),
        "tap_share": round(per["tap"] / per["shield"] - 1, 4),
    }


# Whole servers under valgrind: (run with 50,000 requests) - (run with 10,000), so start-up,
# warm-up and stop cancel out.
SERVER_COUNT_REQUESTS = (10_000, 50_000)
DRIVER_CONNECTIONS = 8


def drive(port: int, requests: int) -> None:
    """``requests`` GETs of the page over keep-alive connections, client i % 10,000 each."""
    import http.client
    import threading

    addresses = client_addresses()
    failures: list[str] = []

    def connection(first: int) -> None:
        client = http.client.HTTPConnection(LOOPBACK, port, timeout=300)
        for i in range(first, requests, DRIVER_CONNECTIONS):
            headers = {"User-Agent": BROWSER, "X-Forwarded-For": addresses[i % len(addresses)]}
            client.request("GET", PAGE_PATH, headers=headers)
            response = client.getresponse()
            response.read()
            if response.status != 200:
                failures.append(f"{response.status}")
        client.close()

    threads = [threading.Thread(target=connection, args=(k,)) for k in range(DRIVER_CONNECTIONS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise BenchError(f"{len(failures)} of {requests} requests failed: {failures[:5]}")


def wait_listening(server: Server, port: int, timeout: float) -> None:
    """Until the port accepts connections; no request is sent, so none is counted twice."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.popen.poll() is not None:
            raise BenchError(f"{server.name} stopped before it listened:\n{server.log_tail()}")
        with socket.socket() as probe:
            probe.settimeout(1.0)
            if probe.connect_ex((LOOPBACK, port)) == 0:
                return
        time.sleep(0.2)
    raise BenchError(f"{server.name} did not listen on {port} in {timeout:.0f} s")


def server_instructions(work: Path, requests: int) -> int:
    """User-space instructions of a whole `northgate serve` without the tap (granian and
    every process it starts), from start to stop, with ``requests`` served in between."""
    case = Case(f"count-{requests}", f"count {requests}", False)
    env = case_env(work, case.name, case.enabled)
    env["PYTHONHASHSEED"] = "2016"
    northgate(env, "migrate")
    port = free_port()
    logs = work / f"{case.name}.valgrind"
    logs.mkdir()
    command = [
        "valgrind",
        "--tool=cachegrind",
        "--cache-sim=no",
        "--cachegrind-out-file=/dev/null",
        "--trace-children=yes",
        f"--log-file={logs}/%p",
        *(str(VENV_BIN / "northgate"), "serve", "--host", LOOPBACK, "--port", str(port)),
        *("--workers", "1", "--server", "granian"),
    ]
    driver = [str(VENV_BIN / "python"), __file__, "--drive", str(port), str(requests)]
    server = start_server(case.name, command, log_dir=work, env=env)
    try:
        wait_listening(server, port, timeout=300)
        subprocess.run(
            ["taskset", "-c", str(LOAD_CPU), *driver],
            check=True,
            timeout=1800,
            cwd=PROJECT_DIR,
        )
    finally:
        server.stop(timeout=120)
    counts = [_IREFS.search(path.read_text()) for path in sorted(logs.iterdir())]
    if not counts or None in counts:
        raise BenchError(f"{case.name}: no instruction count from valgrind in {logs}")
    return sum(int(found.group(1).replace(",", "")) for found in counts if found)


def server_instruction_cost(work: Path) -> dict[str, Any]:
    """Instructions a cached page costs a whole server without the tap: what the tap's
    count is a share of. Pinned (core 1), so runs repeat to ~1 % (unpinned, the threads
    interleave differently and the count moves by ~8 %).

    Not counted the same way with the tap on: valgrind slows requests ~50x but not the
    clock, so the flusher's per-minute work (visitor sketches) lands on ~50x fewer requests
    and the tapped server's count says ~14,000 a request more, most of it sketches
    (2026-12-02, cg_diff); the in-process count runs the tap on a simulated clock instead."""
    low, high = SERVER_COUNT_REQUESTS
    found = {n: server_instructions(work, n) for n in (low, high)}
    return {
        "requests": [low, high],
        "without_tap_per_request": round((found[high] - found[low]) / (high - low)),
        "runs": found,
    }


EDGE_LINES = 300_000
# The line nginx sends for a page it served (log_format northgate_edge), as fast as one
# blocking sender can: a full socket queue holds the sender back instead of losing lines.
EDGE_SENDER = """
import socket, sys, time
path, count = sys.argv[1], int(sys.argv[2])
line = (b"<190>Dec  1 06:37:14 northgate: %.3f\\t200\\t/en/eta\\t%d.%d.%d.%d\\t-\\t"
        + sys.argv[3].encode() + b"\\t-")
sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
start = time.perf_counter()
for i in range(count):
    sock.sendto(line % (time.time(), 8 + i % 16, i % 251, i // 251 % 251, 1 + i % 13), path)
print(count / (time.perf_counter() - start))
"""


def edge_log_cost(work: Path) -> dict[str, Any]:
    """Behind nginx the pages are files and `northgate edge-log` counts them instead of the
    tap: its CPU per line, pinned to the server core and fed from the load core, and
    whether it recorded every line."""
    env = case_env(work, "edge-log", True)
    northgate(env, "migrate")
    socket_path = work / "edge-log.sock"
    command = [str(VENV_BIN / "northgate"), "edge-log", str(socket_path)]
    collector = start_server("edge-log", command, log_dir=work, env=env)
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while not socket_path.exists():
            if collector.popen.poll() is not None or time.monotonic() > deadline:
                raise BenchError(f"edge-log did not start:\n{collector.log_tail()}")
            time.sleep(0.1)
        collector.check_pinned(SERVER_CPU)
        before = collector.cpu_seconds()
        sent = subprocess.run(
            ["taskset", "-c", str(LOAD_CPU), str(VENV_BIN / "python"), "-c", EDGE_SENDER,
             str(socket_path), str(EDGE_LINES), BROWSER],
            capture_output=True, text=True, timeout=300, check=True,
        )  # fmt: skip
        time.sleep(1.0)  # the last lines, read
        cpu = collector.cpu_seconds() - before
    finally:
        collector.stop()
    log_text = collector.log_tail(5)
    recorded = int(log_text.rsplit("recorded ", 1)[1].split()[0].replace(",", ""))
    return {
        "lines": EDGE_LINES,
        "recorded": recorded,
        "lines_per_s_offered": round(float(sent.stdout.strip())),
        "cpu_us_per_line": round(cpu / EDGE_LINES * 1e6, 2),
    }


def counted_arrivals(env: dict[str, str]) -> int:
    out = northgate(env, "report", "--hours", "2", "--json")
    body = json.loads(out[: out.rindex("}") + 1])
    return int(body["totals"]["arrivals"]["value"])


def control_summary(
    pairs: list[dict[str, Any]], args: argparse.Namespace, info: dict[str, Any]
) -> int:
    """Both sides without the tap: how far from 1 the method puts two equal servers."""
    ratios = [p["ratio_requests_per_s"] for p in pairs]
    low, high = median_interval(ratios)
    print(
        f"\ncontrol (no tap on either side): median ratio {median(ratios):.3f}, 90 % interval "
        f"{low:.3f}-{high:.3f}; per pair: " + " ".join(f"{r:.3f}" for r in ratios)
    )
    results = {
        "benchmark": "analytics-control",
        "settings": {"pairs": args.runs, "bursts": args.bursts, "duration_s": args.duration},
        "machine": info,
        "ratio_requests_per_s": round(median(ratios), 4),
        "ratio_interval_90": [round(low, 4), round(high, 4)],
        "pairs": pairs,
    }
    print(f"wrote {write_results('analytics-control', results).relative_to(PROJECT_DIR)}")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_options(argv)
    if args.in_process:
        print(json.dumps(in_process_cost()))
        return 0
    if args.count_child:
        count_child(args.count_child[0], int(args.count_child[1]))
        return 0
    if args.drive:
        drive(*args.drive)
        return 0
    require_tools("wrk", "taskset", "valgrind")
    started = time.monotonic()
    # --control: the "tap" side runs without it too, so the ratio shows the method's bias.
    tap = Case("tap", "control, no tap" if args.control else "with the tap", not args.control)
    no_tap = Case("no-tap", "without", False)
    print(
        f"analytics: {args.runs} pairs of new servers x {args.bursts} burst(s) each x "
        f"{args.duration:g} s (+{args.warmup:g} s warm-up a server)",
        flush=True,
    )
    info = machine_info()
    info["busy_share_before_start"] = round(host_busy_share(1.0), 3)
    pairs: list[dict[str, Any]] = []
    with terminate_raises(), tempfile.TemporaryDirectory(prefix="northgate-bench-") as tmp:
        work = Path(tmp)
        script = work / "visitors.lua"
        script.write_text(WRK_SCRIPT)
        for case in (tap, no_tap):
            case.env = case_env(work, case.name, case.enabled)
            northgate(case.env, "migrate")
        for pair in range(args.runs):
            # Alternate which starts first too: the second process lands elsewhere in memory.
            order = (tap, no_tap) if pair % 2 == 0 else (no_tap, tap)
            record = measure_pair(pair, order, work, script, args)
            pairs.append(record)
            rps, cpu = record["requests_per_s"], record["cpu_us_per_request"]
            print(
                f"  pair {pair + 1:>2}/{args.runs}  {tap.label} {rps['tap']:>8,.0f} req/s "
                f"{cpu['tap']:5.1f} us/req, without {rps['no-tap']:>8,.0f} req/s "
                f"{cpu['no-tap']:5.1f} us/req: ratio {record['ratio_requests_per_s']:.3f}",
                flush=True,
            )
        if args.control:
            return control_summary(pairs, args, info)
        # Everything wrk completed against the tapped servers (warm-ups included) was
        # counted; beyond that only requests in flight when a wrk run stopped, and readiness
        # checks.
        counted = counted_arrivals(tap.env)
        sent_to_tap = tap.completed
        slack = tap.wrk_runs * args.connections + tap.servers_started * READINESS_SLACK

    with tempfile.TemporaryDirectory(prefix="northgate-bench-") as tmp:
        edge = edge_log_cost(Path(tmp))
    child = subprocess.run(
        ["taskset", "-c", str(SERVER_CPU), str(VENV_BIN / "python"), __file__, "--in-process"],
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
        cwd=PROJECT_DIR,
    )
    in_process = json.loads(child.stdout.strip().splitlines()[-1])
    counted_instructions = instruction_cost()
    with tempfile.TemporaryDirectory(prefix="northgate-bench-") as tmp:
        server_count = server_instruction_cost(Path(tmp))
    server_share = counted_instructions["tap_per_request"] / server_count["without_tap_per_request"]
    server_count["tap_share_of_server"] = round(server_share, 4)
    server_count["within_target"] = server_share <= OVERHEAD_TARGET
    rps_runs = [p["ratio_requests_per_s"] for p in pairs]
    cpu_runs = [p["ratio_cpu_per_request"] for p in pairs]
    rps, cpu = median(rps_runs), median(cpu_runs)
    rps_low, rps_high = median_interval(rps_runs)
    overhead_rps, overhead_cpu = 1 - rps, cpu - 1
    no_tap_cpu = median([p["cpu_us_per_request"]["no-tap"] for p in pairs])
    print()
    print(
        f"GET {PAGE_PATH}, wrk -t1 -c{args.connections}, 10,000 client addresses; "
        f"{args.runs} pairs of new servers, {args.bursts} x {args.duration:g} s each in turns"
    )
    print(f"{'case':<18}{'req/s':>10}{'CPU us/req':>12}")
    for name, label in (("tap", "with the tap"), ("no-tap", "without the tap")):
        print(
            f"{label:<18}{median([p['requests_per_s'][name] for p in pairs]):>10,.0f}"
            f"{median([p['cpu_us_per_request'][name] for p in pairs]):>12.1f}"
        )
    print("tap/no-tap req/s per pair: " + " ".join(f"{r:.3f}" for r in rps_runs))
    verdict = "OK" if overhead_rps <= OVERHEAD_TARGET else "ABOVE TARGET"
    print(
        f"\ntap overhead: {overhead_rps:.1%} of throughput ({verdict}, target <= "
        f"{OVERHEAD_TARGET:.0%}; 90 % interval of the median {1 - rps_high:.1%} to "
        f"{1 - rps_low:.1%}); {overhead_cpu:+.1%} CPU per request"
    )
    noisy = sum(p["noisy_bursts"] for p in pairs)
    if noisy:
        print(
            f"WARNING: {noisy} burst(s) still disturbed by other processes after retries: the "
            "wrk figures above are not trustworthy; prefer the in-process figure below."
        )
    tap_share = in_process["tap_us"] / no_tap_cpu
    print(
        f"in process, pinned: the tap costs {in_process['tap_us']:.2f} us of CPU per request "
        f"(recording and resolving), {tap_share:.1%} of a request's CPU without the tap"
    )
    ic = counted_instructions
    print(
        f"instructions (valgrind, the same in process): {ic['with_tap_per_request']:,} a "
        f"request with the tap, {ic['without_tap_per_request']:,} without: the tap "
        f"{ic['tap_per_request']:,} ({ic['tap_share']:.1%} of the in-process request; a "
        "served request also runs the server's and the kernel's)"
    )
    share_verdict = "OK" if server_share <= OVERHEAD_TARGET else "ABOVE TARGET"
    print(
        f"a whole server without the tap (valgrind on northgate serve, pinned): "
        f"{server_count['without_tap_per_request']:,} instructions a request; the tap's "
        f"{ic['tap_per_request']:,} are {server_share:.1%} of it ({share_verdict}, target <= "
        f"{OVERHEAD_TARGET:.0%}; kernel not counted)"
    )
    print(
        f"counted by the tap: {counted:,} arrivals; wrk completed {sent_to_tap:,} requests "
        f"(difference {counted - sent_to_tap:,}: in flight at wrk's stops or readiness checks, "
        f"at most {slack:,})"
    )
    print(
        f"behind nginx, `northgate edge-log` counts the pages nginx serves: "
        f"{edge['cpu_us_per_line']:.1f} us of CPU a line, {edge['lines_per_s_offered']:,} lines/s "
        f"offered by one sender, {edge['recorded']:,} of {edge['lines']:,} recorded"
    )
    results = {
        "benchmark": "analytics",
        "page": PAGE_PATH,
        "settings": {
            "pairs": args.runs,
            "bursts": args.bursts,
            "duration_s": args.duration,
            "warmup_s": args.warmup,
            "connections": args.connections,
            "client_addresses": 10_000,
            "server_cpu": SERVER_CPU,
            "overhead_target": OVERHEAD_TARGET,
        },
        "machine": info,
        "pairs": pairs,
        "ratios": {
            "tap/no-tap requests_per_s": round(rps, 4),
            "tap/no-tap requests_per_s_interval_90": [round(rps_low, 4), round(rps_high, 4)],
            "tap/no-tap cpu_per_request": round(cpu, 4),
            "tap/no-tap requests_per_s_pairs": rps_runs,
            "tap/no-tap cpu_per_request_pairs": cpu_runs,
        },
        "overhead": {
            "throughput": round(overhead_rps, 4),
            "throughput_interval_90": [round(1 - rps_high, 4), round(1 - rps_low, 4)],
            "cpu_per_request": round(overhead_cpu, 4),
            "within_target": verdict == "OK",
        },
        "in_process": {**in_process, "share_of_request_cpu": round(tap_share, 4)},
        "instructions": counted_instructions,
        "server_instructions": server_count,
        "edge_log": edge,
        "counting": {
            "counted_arrivals": counted,
            "wrk_completed": sent_to_tap,
            "allowed_extra": slack,
            "exact": sent_to_tap <= counted <= sent_to_tap + slack,
        },
        "elapsed_s": round(time.monotonic() - started, 1),
    }
    path = write_results("analytics", results)
    print(f"wrote {path.relative_to(PROJECT_DIR)}")
    if edge["recorded"] != edge["lines"]:
        raise BenchError(f"edge-log recorded {edge['recorded']} of {edge['lines']} lines")
    if not sent_to_tap <= counted <= sent_to_tap + slack:
        raise BenchError(f"the tap counted {counted} arrivals; wrk completed {sent_to_tap}")
    return 0


if __name__ == "__main__":
    try:
        exit_code = main()
    except BenchError as error:
        print(f"\nBENCHMARK FAILED: {error}", file=sys.stderr)
        exit_code = 1
    except KeyboardInterrupt:
        print("\ninterrupted; every server stopped", file=sys.stderr)
        exit_code = 130
    except SystemExit as stop:
        exit_code = stop.code if isinstance(stop.code, int) else 1
    sys.exit(exit_code)
