"""How fast is one information page served, and how close is Northgate to its floor?

Cases (server pinned to core 1, wrk pinned to core 0, plain GET without gzip):

  a  Northgate, whole stack (`northgate serve --workers 1`, granian: the default server)
  b  bare ASGI function sending the same bytes and headers (bench/bare_app.py), granian
  c  nginx, 1 worker, serving the `northgate export-static` output
  d  Northgate on uvicorn
  e  bare ASGI function on uvicorn

Each run goes through every case in turn (interleaved, the starting case rotating from run
to run) with a warm-up before each measurement; medians over runs are reported. The page is
fetched from Northgate at run time, so the figures follow the page's current size.

Usage: .venv/bin/python -m bench.pages [--runs N] [--duration S] [--warmup S] [--cases a,b]
       .venv/bin/python -m bench.pages --quick     # smoke test: 1 run of 1 s, nothing written
Environment: BENCH_RUNS, BENCH_DURATION, BENCH_WARMUP, BENCH_CONNECTIONS override defaults.
Writes bench/results/pages.json (see bench/README.md).
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from bench.bare_app import write_page
from bench.harness.entry import run_main
from bench.harness.net import Fetched, http_get
from bench.harness.noise import host_busy_share
from bench.harness.northgate import northgate, northgate_env
from bench.harness.paths import PROJECT_DIR
from bench.harness.processes import SERVER_CPU, Server, require_tools, terminate_raises, wait_ready
from bench.harness.records import machine_info, write_results
from bench.pages.cases import (
    STARTUP_TIMEOUT_S,
    bare_headers,
    check_same_page,
    fetch_reference,
    start_case,
)
from bench.pages.measure import Measured, measure_once, ratios, summarize
from bench.pages.options import A_OVER_B_TARGET, PUBLIC_ORIGIN, parse_options
from bench.pages.report import print_report


def main(argv: list[str] | None = None) -> int:
    options = parse_options(argv)
    require_tools(
        "wrk", "taskset", *(["nginx"] if any(c.name == "nginx" for c in options.cases) else [])
    )
    started = time.monotonic()
    per_case = options.warmup + options.duration
    # Retries may at most double the time spent under load.
    options.retry_deadline = started + 60 + len(options.cases) * options.runs * per_case * 2
    print(
        f"pages: {len(options.cases)} case(s) x {options.runs} run(s) x "
        f"({options.warmup:g}+{options.duration:g} s) ~ "
        f"{len(options.cases) * options.runs * per_case / 60:.1f} min of load, plus start-up",
        flush=True,
    )
    info = machine_info()
    info["busy_share_before_start"] = round(host_busy_share(1.0), 3)
    if info["busy_share_before_start"] > options.noise_limit:
        print(
            f"  warning: {info['busy_share_before_start']:.0%} of the CPUs is busy with other "
            "processes; runs they disturb are retried and flagged",
            flush=True,
        )
    servers: list[Server] = []
    with terminate_raises(), tempfile.TemporaryDirectory(prefix="northgate-bench-") as tmp:
        work = Path(tmp)
        # nginx workers drop to an unprivileged user when started as root: let them read.
        work.chmod(0o755)
        try:
            # One public origin for every server, whatever port it listens on: the pages
            # carry it in their links, and every case must send the same bytes.
            env = northgate_env(work / "var", {"NORTHGATE_PUBLIC_ORIGIN": PUBLIC_ORIGIN})
            northgate(env, "migrate")
            static = work / "static"
            northgate(env, "export-static", str(static))
            for path in [static, *static.rglob("*")]:
                path.chmod(0o755 if path.is_dir() else 0o644)

            # A Northgate case first: it supplies the reference bytes for the others.
            ordered = sorted(options.cases, key=lambda c: not c.name.startswith("northgate-"))
            page_file = work / "page.json"
            reference: Fetched | None = None
            measured: list[Measured] = []
            for case in ordered:
                if reference is None and not case.name.startswith("northgate-"):
                    reference = fetch_reference(work, env, options.path)
                if case.name.startswith("bare-") and not page_file.exists():
                    assert reference is not None
                    write_page(page_file, reference.status, bare_headers(reference), reference.body)
                server = start_case(case, work, env, static, reference, page_file, options.path)
                servers.append(server)
                fetched = wait_ready(server, server.url, timeout=STARTUP_TIMEOUT_S)
                if reference is None:
                    reference = fetched
                check_same_page(case.label, fetched, reference)
                server.check_pinned(SERVER_CPU)
                measured.append(Measured(case, server, fetched.headers))
                print(f"  started {case.label} (pid {server.pid}) at {server.url}", flush=True)
            assert reference is not None
            measured.sort(key=lambda m: m.case.key)

            for run_index in range(options.runs):
                # Interleave: every case once per run; rotate who goes first.
                shift = run_index % len(measured)
                for m in measured[shift:] + measured[:shift]:
                    record = measure_once(m, measured, options, run_index)
                    m.runs.append(record)
                    print(
                        f"  run {run_index + 1}/{options.runs} {m.case.label:<31}"
                        f"{record['requests_per_s']:>10,.0f} req/s  "
                        f"p99 {record['latency_ms']['p99']:.2f} ms  "
                        f"{record['server_cpu_us_per_request']:.1f} us/req",
                        flush=True,
                    )

            for m in measured:  # still the same page at the end?
                check_same_page(m.case.label, http_get(m.server.url), reference)
        finally:
            for server in reversed(servers):
                server.stop()

    medians = {m.case.name: summarize(m) for m in measured}
    ratio_table = ratios(medians)
    print_report(measured, medians, ratio_table, len(reference.body), options)
    results = {
        "benchmark": "pages",
        "page": {
            "path": options.path,
            "bytes": len(reference.body),
            "headers": bare_headers(reference),
        },
        "settings": {
            "runs": options.runs,
            "duration_s": options.duration,
            "warmup_s": options.warmup,
            "wrk": f"taskset -c 0 wrk -t1 -c{options.connections} -d{round(options.duration)}s "
            "--latency",
            "server_cpu": SERVER_CPU,
            "a_over_b_target": A_OVER_B_TARGET,
        },
        "machine": info,
        "cases": {
            m.case.name: {
                "key": m.case.key,
                "label": m.case.label,
                "pid": m.server.pid,
                "response_headers": m.headers,
                "median": medians[m.case.name],
                "runs": m.runs,
            }
            for m in measured
        },
        "ratios": ratio_table,
        "elapsed_s": round(time.monotonic() - started, 1),
    }
    if options.quick:
        print(f"\nquick smoke run in {results['elapsed_s']:.0f} s: nothing written")
    else:
        path = write_results("pages", results)
        print(f"\nwrote {path.relative_to(PROJECT_DIR)} in {results['elapsed_s']:.0f} s")
    a_over_b = ratio_table.get("a/b", {})
    if options.fail_under_target and a_over_b:
        if not a_over_b["reliable"]:
            print("a/b could not be measured: the host was busy", file=sys.stderr)
            return 3
        if a_over_b["requests_per_s"] < A_OVER_B_TARGET:
            return 2
    return 0


if __name__ == "__main__":
    run_main(main)
