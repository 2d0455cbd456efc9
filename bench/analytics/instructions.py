"""Instructions counted by valgrind: the tap's per request in process, and a whole
server's per request without it (counts, which the machine's noise does not move).
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

from bench.analytics.clients import BROWSER, PAGE_PATH, client_addresses
from bench.analytics.in_process import EdgeUnderTest
from bench.analytics.options import SELF
from bench.analytics.pairs import Case, case_env
from bench.harness.errors import BenchError
from bench.harness.net import LOOPBACK, free_port
from bench.harness.northgate import northgate
from bench.harness.paths import PROJECT_DIR, VENV_BIN
from bench.harness.processes import LOAD_CPU, Server, start_server

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
    child = [*SELF, "--count-child", variant, str(requests)]
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


def instruction_cost(requests: int = COUNTED_REQUESTS) -> dict[str, Any]:
    """Instructions per request through the edge with and without the tap: a count, not a
    time, so it is the same on a quiet machine and a busy one (to about 1 %: hash seeds,
    garbage collections). Each case's start-up and warm-up cancel out: (run with N
    requests) - (run with none), over N. Two children at a time, unpinned: a count does
    not depend on where or how fast it runs."""
    from concurrent.futures import ThreadPoolExecutor

    jobs = [(v, n) for n in (requests, 0) for v in ("shield", "tap")]
    with ThreadPoolExecutor(max_workers=2) as pool:
        counts = list(pool.map(lambda job: instructions(*job), jobs))
    found = dict(zip(jobs, counts, strict=True))
    per = {v: (found[(v, requests)] - found[(v, 0)]) / requests for v in ("shield", "tap")}
    return {
        "requests": requests,
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
    driver = [*SELF, "--drive", str(port), str(requests)]
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


def server_instruction_cost(
    work: Path, counts: tuple[int, int] = SERVER_COUNT_REQUESTS
) -> dict[str, Any]:
    """Instructions a cached page costs a whole server without the tap: what the tap's
    count is a share of. Pinned (core 1), so runs repeat to ~1 % (unpinned, the threads
    interleave differently and the count moves by ~8 %).

    Not counted the same way with the tap on: valgrind slows requests ~50x but not the
    clock, so the flusher's per-minute work (visitor sketches) lands on ~50x fewer requests
    and the tapped server's count says ~14,000 a request more, most of it sketches
    (2026-12-02, cg_diff); the in-process count runs the tap on a simulated clock instead."""
    low, high = counts
    found = {n: server_instructions(work, n) for n in (low, high)}
    return {
        "requests": [low, high],
        "without_tap_per_request": round((found[high] - found[low]) / (high - low)),
        "runs": found,
    }
