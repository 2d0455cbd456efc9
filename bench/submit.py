"""Benchmark `submit`: completed eTA applications per second through the JSON API on
PostgreSQL (validate, persist, schedule the follow-up job), beside pgbench inserting one
1 KB row per transaction into the same server, in one run.

    .venv/bin/python -m bench.submit            # 3 interleaved runs of 8 s each
    BENCH_RUNS=1 BENCH_DURATION=3 .venv/bin/python -m bench.submit
    .venv/bin/python -m bench.submit --quick    # smoke test: 1 s runs, no results written

Like for like: the database's client is pinned to core 1 with one thread in both cases
(the one-worker server there, pgbench ``-j 1`` here), with the same 16 connections; wrk
drives the server from core 0. PostgreSQL serves both and may run on either core (it is
kept to those two). Every run's noise (CPU on the two cores that none of our processes
used, interrupts included, or steal) is recorded; runs noisier than NOISE_LIMIT are kept
but left out of the medians. The gate is disabled for this measurement: it is the
capacity of the submission path itself, the figure the gate's limits are set from.
Figures go to bench/results/submit.json.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from bench.harness.entry import QUICK_HELP, run_main
from bench.harness.errors import BenchError
from bench.harness.net import free_port
from bench.harness.noise import children_cpu, core_times, wait_for_quiet
from bench.harness.northgate import northgate
from bench.harness.paths import PROJECT_DIR, VENV_BIN
from bench.harness.processes import (
    LOAD_CPU,
    SERVER_CPU,
    cpu_seconds,
    keep_to_bench_cores,
    require_tools,
    start_server,
    terminate_raises,
    wait_ready,
)
from bench.harness.records import machine_info, write_results
from bench.harness.stats import env_number, median, ratio
from bench.harness.wrk import check_wrk, run_wrk
from northgate.testing.postgres import PostgresServer
from northgate.testing.samples import COMPLETE_ANSWERS

T = TypeVar("T")

PGBENCH_SCRIPT = "INSERT INTO bench_rows (payload) VALUES (repeat('x', 1000));\n"
WRK_SCRIPT = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = {body}
"""
CONNECTIONS = 16
NOISE_LIMIT = 0.05  # as pages.py: a run in which others took more of the cores is not trusted


def measured(run: Callable[[], T], ours: Sequence[int]) -> tuple[T, dict[str, float]]:
    """Run ``run()`` (a wrk or pgbench run) and account for both cores meanwhile.

    PostgreSQL moves between the two cores, so the foreign time (bench.harness.noise.Window)
    is taken over both: their busy time (bench.harness.noise.CoreTimes.busy, interrupts included)
    less the CPU of the process trees in ``ours`` and of the load generator (our child,
    counted when it exits).
    """
    cpus = (SERVER_CPU, LOAD_CPU)
    ours_before = sum(cpu_seconds(pid) for pid in ours)
    children_before = children_cpu()
    cores_before = core_times()
    started = time.monotonic()
    result = run()
    seconds = time.monotonic() - started
    cores = {cpu: core_times()[cpu] - cores_before[cpu] for cpu in cpus}
    children_s = children_cpu() - children_before
    ours_s = sum(cpu_seconds(pid) for pid in ours) - ours_before
    busy = sum(cores[cpu].busy for cpu in cpus)
    foreign = max(0.0, busy - ours_s - children_s)
    steal = max(cores[cpu].steal for cpu in cpus)
    return result, {
        "seconds": round(seconds, 3),
        "cores_busy_s": round(busy, 3),
        "interrupts_s": round(sum(cores[cpu].interrupts for cpu in cpus), 3),
        "accounted_cpu_s": round(ours_s + children_s, 3),
        "foreign_s": round(foreign, 3),
        "steal_s": round(steal, 3),
        "noise": round(max(foreign, steal) / seconds, 3) if seconds > 0 else 0.0,
    }


def quiet_median(runs: list[dict[str, Any]], key: str) -> tuple[float, bool]:
    """Median of ``key`` over the runs within NOISE_LIMIT; all runs (and False) if none."""
    quiet = [run[key] for run in runs if run["noise"] <= NOISE_LIMIT]
    return median(quiet or [run[key] for run in runs]), bool(quiet)


def run_pgbench(server: PostgresServer, database: str, seconds: int, script: Path) -> float:
    # On the server's core, one thread: in the other case the database's client is the
    # one-worker server on that core.
    done = subprocess.run(
        ["taskset", "-c", str(SERVER_CPU), str(server.bindir / "pgbench"), "-n",
         "-h", "127.0.0.1", "-p", str(server.port), "-U", "postgres", "-c", str(CONNECTIONS),
         "-j", "1", "-T", str(seconds), "-M", "prepared", "-f", str(script), database],
        capture_output=True, text=True, timeout=seconds + 60, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise BenchError(f"pgbench failed: {done.stderr}")
    found = re.search(r"tps = ([\d.]+) \(without initial connection time\)", done.stdout)
    if not found:
        raise BenchError(f"pgbench output not understood:\n{done.stdout}")
    return float(found.group(1))


def run_wrk_post(url: str, seconds: int, script: Path) -> dict[str, Any]:
    result = run_wrk(url, duration=seconds, connections=CONNECTIONS, timeout_s=5, script=script)
    check_wrk(result, "submissions")
    return {
        "applications_per_s": result.requests_per_s,
        "requests": result.requests,
        "p50_ms": result.latency_ms.get("p50"),
        "p99_ms": result.latency_ms.get("p99"),
    }


def count_applications(server: PostgresServer, database: str) -> int:
    done = subprocess.run(
        ["psql", "-h", "127.0.0.1", "-p", str(server.port), "-U", "postgres", "-At", "-c",
         "SELECT count(*) FROM eta_applications WHERE status = 'submitted'", database],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return int(done.stdout.strip())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help=QUICK_HELP + " (one 1 s run)")
    args = parser.parse_args()
    require_tools("wrk", "taskset", "psql")
    runs = 1 if args.quick else int(env_number("BENCH_RUNS", 3))
    seconds = 1 if args.quick else int(env_number("BENCH_DURATION", 8))
    warmup = 1 if args.quick else 2
    busy = wait_for_quiet(0.1, max_wait_s=5 if args.quick else 60)
    print(f"other processes keep {busy:.0%} of the CPUs busy at the start")
    work = Path(tempfile.mkdtemp(prefix="northgate-bench-submit-"))
    postgres = PostgresServer()
    server = None
    with terminate_raises():
        try:
            postgres.start()
            if postgres.process is None:
                raise BenchError("PostgreSQL did not start")
            postmaster = postgres.process.pid
            keep_to_bench_cores(postmaster)
            app_db = postgres.create_database("northgate")
            postgres.create_database("pgbench")
            subprocess.run(
                ["psql", "-h", "127.0.0.1", "-p", str(postgres.port), "-U", "postgres", "-q",
                 "-c", "CREATE TABLE bench_rows (id bigserial PRIMARY KEY, payload text)",
                 "pgbench"],
                check=True, capture_output=True,
            )  # fmt: skip
            pgbench_script = work / "insert.sql"
            pgbench_script.write_text(PGBENCH_SCRIPT)
            wrk_script = work / "submit.lua"
            wrk_script.write_text(
                WRK_SCRIPT.format(body=json.dumps(json.dumps({"answers": COMPLETE_ANSWERS})))
            )

            port = free_port()
            env = {
                "NORTHGATE_DATABASE_URL": app_db,
                "NORTHGATE_VAR_DIR": str(work / "var"),
                "NORTHGATE_NODE_MODULES": str(PROJECT_DIR / "node_modules"),
                "NORTHGATE_PORT": str(port),
                "NORTHGATE_GATE_ENABLED": "false",
                "NORTHGATE_ANALYTICS_ENABLED": "false",
                "NORTHGATE_EMBEDDED_WORKER": "false",
                "PATH": str(VENV_BIN) + ":/usr/bin:/bin",
            }
            northgate(env, "migrate")
            server = start_server("northgate", [str(VENV_BIN / "northgate"), "serve"],
                                  log_dir=work, env=env)  # fmt: skip
            wait_ready(server, f"http://127.0.0.1:{port}/readyz")
            server.check_pinned()
            url = f"http://127.0.0.1:{port}/api/v1/applications"
            run_wrk_post(url, warmup, wrk_script)
            run_pgbench(postgres, "pgbench", warmup, pgbench_script)

            ours = [server.pid, postmaster]
            api_runs: list[dict[str, Any]] = []
            pgbench_runs: list[dict[str, Any]] = []
            for _ in range(runs):  # interleaved, so drift affects both alike
                server_before = server.cpu_seconds()
                api, window = measured(lambda: run_wrk_post(url, seconds, wrk_script), ours)
                # Server CPU per submission: moves far less with a busy host than the rate.
                cpu_us = (server.cpu_seconds() - server_before) / max(api["requests"], 1) * 1e6
                api_runs.append(
                    api
                    | {"server_cpu_us_per_application": round(cpu_us, 1)}
                    | {"noise": window["noise"], "window": window}
                )
                tps, window = measured(
                    lambda: run_pgbench(postgres, "pgbench", seconds, pgbench_script), ours
                )
                pgbench_runs.append({"tps": tps, "noise": window["noise"], "window": window})
            stored = count_applications(postgres, "northgate")
            sent = sum(run["requests"] for run in api_runs)
            api_median, api_quiet = quiet_median(api_runs, "applications_per_s")
            pg, pg_quiet = quiet_median(pgbench_runs, "tps")
            p99 = median([r["p99_ms"] for r in api_runs if r["p99_ms"] is not None])
            cpu_per_application, _ = quiet_median(api_runs, "server_cpu_us_per_application")
            reliable = api_quiet and pg_quiet
            results = {
                "benchmark": "submit",
                "what": "POST /api/v1/applications on PostgreSQL (validate, persist, enqueue) "
                "vs pgbench one 1 KB row per transaction, same server",
                "settings": {
                    "runs": runs,
                    "duration_s": seconds,
                    "connections": CONNECTIONS,
                    "server_workers": 1,
                    "pinning": f"server and pgbench (-j 1) on core {SERVER_CPU}, wrk on core "
                    f"{LOAD_CPU}, PostgreSQL on either",
                    "noise_limit": NOISE_LIMIT,
                    "gate": "disabled",
                },
                "api_runs": api_runs,
                "pgbench_runs": pgbench_runs,
                "median": {
                    "applications_per_s": api_median,
                    "p99_ms": p99,
                    "server_cpu_us_per_application": cpu_per_application,
                    "pgbench_tps": pg,
                },
                "ratio_api_over_pgbench": ratio(api_median, pg),
                # False: every run of a case was noisier than noise_limit (medians over all).
                "reliable": reliable,
                "applications_stored_vs_measured": {"stored": stored, "measured_runs": sent},
                "machine": machine_info(),
            }
            noise = " ".join(f"{run['noise']:.0%}" for run in [*api_runs, *pgbench_runs])
            print(f"submit: {cpu_per_application:,.0f} us of server CPU per application")
            print(f"submit: {api_median:,.0f} applications/s (median of {runs}), "
                  f"p99 {p99} ms")  # fmt: skip
            print(f"pgbench: {pg:,.0f} TPS (1 KB row per transaction, {CONNECTIONS} clients, "
                  f"one thread on core {SERVER_CPU})")  # fmt: skip
            flag = "" if reliable else "  UNRELIABLE: every run of a case was noisy"
            print(f"ratio submit/pgbench: {ratio(api_median, pg):.3f}{flag}")
            print(f"noise per run (api, then pgbench): {noise} (limit {NOISE_LIMIT:.0%})")
            print(f"stored applications: {stored} (measured runs sent {sent}; warm-up adds more)")
            if args.quick:
                print("quick smoke run: nothing written")
            else:
                print(f"wrote {write_results('submit', results)}")
        finally:
            if server is not None:
                server.stop()
            postgres.stop()


if __name__ == "__main__":
    run_main(main)
