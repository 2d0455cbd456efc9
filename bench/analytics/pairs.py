"""Pairs of new servers, with and without the tap, measured in short bursts in turns."""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.analytics.clients import PAGE_PATH
from bench.analytics.options import STARTUP_TIMEOUT_S
from bench.harness.net import LOOPBACK, free_port, loopback_url
from bench.harness.noise import measure_window
from bench.harness.northgate import northgate, northgate_env
from bench.harness.paths import VENV_BIN
from bench.harness.processes import SERVER_CPU, Server, start_server, wait_ready
from bench.harness.wrk import WrkResult, check_wrk, run_wrk


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


def case_env(work: Path, name: str, enabled: bool) -> dict[str, str]:
    var = work / name
    settings = {
        "NORTHGATE_DATABASE_URL": f"sqlite:///{var / 'northgate.db'}",
        "NORTHGATE_ANALYTICS_ENABLED": "true" if enabled else "false",
        "NORTHGATE_TRUSTED_PROXIES": "127.0.0.1",
    }
    return northgate_env(var, settings)


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
    result = run_wrk(
        case.server.url, duration=duration, connections=args.connections, script=script
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


def counted_arrivals(env: dict[str, str]) -> int:
    out = northgate(env, "report", "--hours", "2", "--json")
    body = json.loads(out[: out.rindex("}") + 1])
    return int(body["totals"]["arrivals"]["value"])
