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

Usage: .venv/bin/python -m bench.analytics [--runs PAIRS] [--bursts N] [--duration S] [--warmup S]
       .venv/bin/python -m bench.analytics --quick   # smoke test, small counts, nothing written
Environment: BENCH_RUNS, BENCH_BURSTS, BENCH_DURATION, BENCH_WARMUP, BENCH_CONNECTIONS,
BENCH_NOISE_LIMIT, BENCH_RETRIES.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.analytics.clients import PAGE_PATH, WRK_SCRIPT
from bench.analytics.control import control_summary
from bench.analytics.edge_log import EDGE_LINES, edge_log_cost
from bench.analytics.in_process import IN_PROCESS_REQUESTS, count_child, in_process_cost
from bench.analytics.instructions import (
    COUNTED_REQUESTS,
    SERVER_COUNT_REQUESTS,
    drive,
    instruction_cost,
    server_instruction_cost,
)
from bench.analytics.options import OVERHEAD_TARGET, READINESS_SLACK, SELF, parse_options
from bench.analytics.pairs import Case, case_env, counted_arrivals, measure_pair
from bench.harness.entry import run_main
from bench.harness.errors import BenchError
from bench.harness.noise import host_busy_share
from bench.harness.northgate import northgate
from bench.harness.paths import PROJECT_DIR
from bench.harness.processes import SERVER_CPU, require_tools, terminate_raises
from bench.harness.records import machine_info, write_results
from bench.harness.stats import median, median_interval

# --quick: counts small enough to run everything (valgrind included) in a few minutes.
QUICK_IN_PROCESS_REQUESTS = 5_000
QUICK_COUNTED_REQUESTS = 2_000
QUICK_SERVER_COUNTS = (200, 400)
QUICK_EDGE_LINES = 10_000


def main(argv: list[str] | None = None) -> int:
    args = parse_options(argv)
    if args.in_process:
        print(json.dumps(in_process_cost(args.in_process)))
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

    in_process_requests = QUICK_IN_PROCESS_REQUESTS if args.quick else IN_PROCESS_REQUESTS
    with tempfile.TemporaryDirectory(prefix="northgate-bench-") as tmp:
        edge = edge_log_cost(Path(tmp), QUICK_EDGE_LINES if args.quick else EDGE_LINES)
    child = subprocess.run(
        ["taskset", "-c", str(SERVER_CPU), *SELF, "--in-process", str(in_process_requests)],
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
        cwd=PROJECT_DIR,
    )
    in_process = json.loads(child.stdout.strip().splitlines()[-1])
    counted_instructions = instruction_cost(
        QUICK_COUNTED_REQUESTS if args.quick else COUNTED_REQUESTS
    )
    with tempfile.TemporaryDirectory(prefix="northgate-bench-") as tmp:
        server_count = server_instruction_cost(
            Path(tmp), QUICK_SERVER_COUNTS if args.quick else SERVER_COUNT_REQUESTS
        )
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
    if args.quick:
        print(f"quick smoke run in {results['elapsed_s']:.0f} s: nothing written")
    else:
        path = write_results("analytics", results)
        print(f"wrote {path.relative_to(PROJECT_DIR)}")
    if edge["recorded"] != edge["lines"]:
        raise BenchError(f"edge-log recorded {edge['recorded']} of {edge['lines']} lines")
    if not sent_to_tap <= counted <= sent_to_tap + slack:
        raise BenchError(f"the tap counted {counted} arrivals; wrk completed {sent_to_tap}")
    return 0


if __name__ == "__main__":
    run_main(main)
