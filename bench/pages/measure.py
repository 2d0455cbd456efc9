"""One measured wrk run per case (retried when a neighbour disturbed it), medians and ratios."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from bench.harness.errors import BenchError
from bench.harness.noise import measure_window, wait_for_quiet
from bench.harness.processes import Server
from bench.harness.stats import median, ratio
from bench.harness.wrk import check_wrk, run_wrk
from bench.pages.cases import Case
from bench.pages.options import Options

QUIET_WAIT_S = 30.0  # longest wait for a quiet host before retrying a disturbed run


@dataclass
class Measured:
    case: Case
    server: Server
    headers: list[tuple[str, str]]
    runs: list[dict[str, Any]] = field(default_factory=list)


def measure_once(
    measured: Measured, everyone: list[Measured], options: Options, run_index: int
) -> dict[str, Any]:
    """Warm up, then one measured wrk run; retried when a neighbour disturbed it."""
    server = measured.server
    label = measured.case.label
    idle = [m.server for m in everyone if m is not measured]
    discarded: list[dict[str, Any]] = []
    for attempt in range(options.retries + 1):
        if server.popen.poll() is not None:
            raise BenchError(
                f"{server.name} {server.exit_reason()} during the runs:\n{server.log_tail()}"
            )
        if options.warmup > 0:
            warm = run_wrk(server.url, duration=options.warmup, connections=options.connections)
            check_wrk(warm, f"{label} warm-up")
        result, window = measure_window(
            server,
            idle,
            lambda: run_wrk(server.url, duration=options.duration, connections=options.connections),
        )
        check_wrk(result, label)
        record = {
            "run": run_index + 1,
            "attempt": attempt + 1,
            "requests": result.requests,
            "seconds": result.seconds,
            "requests_per_s": result.requests_per_s,
            "latency_ms": result.latency_ms,
            "non_2xx_3xx": result.non_2xx_3xx,
            "socket_errors": result.socket_errors,
            "read": result.read_bytes,
            **window.figures(result.requests),
        }
        if window.noise() <= options.noise_limit:
            break
        if attempt < options.retries and time.monotonic() < options.retry_deadline:
            print(
                f"  ... {label}: {window.noise():.0%} of the run went to other work "
                f"(limit {options.noise_limit:.0%}); again",
                flush=True,
            )
            discarded.append({k: record[k] for k in ("requests_per_s", "noise")})
            wait_for_quiet(options.noise_limit, max_wait_s=QUIET_WAIT_S)
    record["noisy"] = window.noise() > options.noise_limit
    record["discarded_noisy_attempts"] = discarded
    return record


def summarize(measured: Measured) -> dict[str, Any]:
    """Medians over the runs no neighbour disturbed (over all runs if every one was)."""
    clean = [r for r in measured.runs if not r["noisy"]]
    runs = clean or measured.runs
    return {
        "runs_total": len(measured.runs),
        "runs_used": [r["run"] for r in runs],
        "requests_per_s": round(median([r["requests_per_s"] for r in runs]), 1),
        "p50_ms": round(median([r["latency_ms"]["p50"] for r in runs]), 3),
        "p99_ms": round(median([r["latency_ms"]["p99"] for r in runs]), 3),
        "server_cpu_us_per_request": round(
            median([r["server_cpu_us_per_request"] for r in runs]), 2
        ),
        "server_core_busy": round(median([r["server_core_busy"] for r in runs]), 3),
        "requests_per_s_runs": [round(r["requests_per_s"], 1) for r in measured.runs],
        "max_noise": max(r["noise"] for r in runs),
        "noisy_runs": sum(1 for r in measured.runs if r["noisy"]),
    }


def ratios(medians: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Ratios of requests/s (higher is better for the numerator) and the matching CPU ratios.

    The CPU ratio is inverted (``cpu_b / cpu_a``) so that both read the same way: 1.0 means
    "as efficient as the reference", 0.5 "twice the CPU per request".
    """
    pairs = {
        "a/b": ("northgate-granian", "bare-granian"),
        "a/c": ("northgate-granian", "nginx"),
        "a/d": ("northgate-granian", "northgate-uvicorn"),
        "b/e": ("bare-granian", "bare-uvicorn"),
        "d/e": ("northgate-uvicorn", "bare-uvicorn"),
    }
    out: dict[str, dict[str, Any]] = {}
    for label, (top, bottom) in pairs.items():
        if top in medians and bottom in medians:
            rps = ratio(medians[top]["requests_per_s"], medians[bottom]["requests_per_s"])
            cpu = ratio(
                medians[bottom]["server_cpu_us_per_request"],
                medians[top]["server_cpu_us_per_request"],
            )
            # Reliable when both medians rest on at least one undisturbed run.
            clean = all(medians[n]["noisy_runs"] < medians[n]["runs_total"] for n in (top, bottom))
            out[label] = {
                "requests_per_s": round(rps, 3) if rps is not None else None,
                "cpu_efficiency": round(cpu, 3) if cpu is not None else None,
                "reliable": clean,
            }
    return out
