"""Benchmark `submit`: completed eTA applications per second through the JSON API on
PostgreSQL (validate, persist, schedule the follow-up job), beside pgbench inserting one
1 KB row per transaction into the same server, in one run.

    .venv/bin/python bench/submit.py            # 3 interleaved runs of 8 s each
    BENCH_RUNS=1 BENCH_DURATION=3 .venv/bin/python bench/submit.py

The server runs one worker pinned to core 1, wrk is pinned to core 0; PostgreSQL is not
pinned (it serves both cases alike). The gate is disabled for this measurement: it is the
capacity of the submission path itself, the figure the gate's limits are set from.
Figures go to bench/results/submit.json.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.journey.test_api import ANSWERS
from tests.support.servers import PostgresServer

from common import (
    LOAD_CPU,
    VENV_BIN,
    BenchError,
    env_number,
    free_port,
    machine_info,
    median,
    parse_wrk,
    ratio,
    require_tools,
    start_server,
    terminate_raises,
    wait_ready,
    write_results,
)

PGBENCH_SCRIPT = "INSERT INTO bench_rows (payload) VALUES (repeat('x', 1000));\n"
WRK_SCRIPT = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = {body}
"""
CONNECTIONS = 16


def run_pgbench(server: PostgresServer, database: str, seconds: int, script: Path) -> float:
    done = subprocess.run(
        [str(server.bindir / "pgbench"), "-n", "-h", "127.0.0.1", "-p", str(server.port),
         "-U", "postgres", "-c", str(CONNECTIONS), "-j", "2", "-T", str(seconds),
         "-M", "prepared", "-f", str(script), database],
        capture_output=True, text=True, timeout=seconds + 60, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise BenchError(f"pgbench failed: {done.stderr}")
    found = re.search(r"tps = ([\d.]+) \(without initial connection time\)", done.stdout)
    if not found:
        raise BenchError(f"pgbench output not understood:\n{done.stdout}")
    return float(found.group(1))


def run_wrk_post(url: str, seconds: int, script: Path) -> dict[str, Any]:
    done = subprocess.run(
        ["taskset", "-c", str(LOAD_CPU), "wrk", "-t1", f"-c{CONNECTIONS}", f"-d{seconds}s",
         "--timeout=5s", "--latency", "-s", str(script), url],
        capture_output=True, text=True, timeout=seconds + 60, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise BenchError(f"wrk failed: {done.stderr}")
    result = parse_wrk(done.stdout)
    if result.non_2xx_3xx or any(result.socket_errors.values()):
        raise BenchError(f"submission errors during the run:\n{result.raw}")
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
    require_tools("wrk", "taskset", "psql")
    runs = int(env_number("BENCH_RUNS", 3))
    seconds = int(env_number("BENCH_DURATION", 8))
    work = Path(tempfile.mkdtemp(prefix="northgate-bench-submit-"))
    postgres = PostgresServer()
    server = None
    with terminate_raises():
        try:
            postgres.start()
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
                WRK_SCRIPT.format(body=json.dumps(json.dumps({"answers": ANSWERS})))
            )

            port = free_port()
            env = {
                "NORTHGATE_DATABASE_URL": app_db,
                "NORTHGATE_VAR_DIR": str(work / "var"),
                "NORTHGATE_NODE_MODULES": str(Path(__file__).resolve().parents[1] / "node_modules"),
                "NORTHGATE_PORT": str(port),
                "NORTHGATE_GATE_ENABLED": "false",
                "NORTHGATE_ANALYTICS_ENABLED": "false",
                "NORTHGATE_EMBEDDED_WORKER": "false",
                "PATH": str(VENV_BIN) + ":/usr/bin:/bin",
            }
            subprocess.run([str(VENV_BIN / "northgate"), "migrate"], env=env, check=True,
                           capture_output=True)  # fmt: skip
            server = start_server("northgate", [str(VENV_BIN / "northgate"), "serve"],
                                  log_dir=work, env=env)  # fmt: skip
            wait_ready(server, f"http://127.0.0.1:{port}/readyz")
            url = f"http://127.0.0.1:{port}/api/v1/applications"
            run_wrk_post(url, 2, wrk_script)  # warm-up
            run_pgbench(postgres, "pgbench", 2, pgbench_script)

            api_runs: list[dict[str, Any]] = []
            pgbench_runs: list[float] = []
            for _ in range(runs):  # interleaved, so noise affects both alike
                api_runs.append(run_wrk_post(url, seconds, wrk_script))
                pgbench_runs.append(run_pgbench(postgres, "pgbench", seconds, pgbench_script))
            stored = count_applications(postgres, "northgate")
            sent = sum(run["requests"] for run in api_runs)
            api = median([run["applications_per_s"] for run in api_runs])
            pg = median(pgbench_runs)
            p99 = median([r["p99_ms"] for r in api_runs if r["p99_ms"] is not None])
            results = {
                "benchmark": "submit",
                "what": "POST /api/v1/applications on PostgreSQL (validate, persist, enqueue) "
                "vs pgbench one 1 KB row per transaction, same server",
                "settings": {
                    "runs": runs,
                    "duration_s": seconds,
                    "connections": CONNECTIONS,
                    "server_workers": 1,
                    "gate": "disabled",
                },
                "api_runs": api_runs,
                "pgbench_tps_runs": pgbench_runs,
                "median": {
                    "applications_per_s": api,
                    "p99_ms": p99,
                    "pgbench_tps": pg,
                },
                "ratio_api_over_pgbench": ratio(api, pg),
                "applications_stored_vs_measured": {"stored": stored, "measured_runs": sent},
                "machine": machine_info(),
            }
            path = write_results("submit", results)
            print(f"submit: {api:,.0f} applications/s (median of {runs}), "
                  f"p99 {p99} ms")  # fmt: skip
            print(f"pgbench: {pg:,.0f} TPS (1 KB row per transaction, {CONNECTIONS} clients)")
            print(f"ratio submit/pgbench: {ratio(api, pg):.3f}")
            print(f"stored applications: {stored} (measured runs sent {sent}; warm-up adds more)")
            print(f"wrote {path}")
        finally:
            if server is not None:
                server.stop()
            postgres.stop()


if __name__ == "__main__":
    try:
        main()
    except BenchError as error:
        raise SystemExit(f"submit: {error}") from error
