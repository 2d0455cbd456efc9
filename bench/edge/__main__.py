"""Edge: whole journeys through the production topology at 0.8x to 20x one node's capacity.

Topology (issue 16, item 8): nginx with the edge's Lua (its configuration generated from
deploy/nginx/northgate.conf as the tests generate it), Redis, and one application node,
``northgate serve --workers 1`` (granian) on SQLite, pinned to core 1 with taskset; nginx
(one worker), Redis and this load generator on core 0. Then the same node behind the same
nginx with the Python-only gate (the edge's keys hold no Redis, so nginx forwards and the
node's in-process gate keeps the line, as before issue 16).

Visitors arrive open loop (seeded Poisson) at N x the measured capacity in whole journeys
per second; each wants a whole journey (bench/edge/journey.py: information page, API
submission, payment, bank, return), and one told to wait keeps polling at the Retry-After
the room gives (the poll interval scaled from 20 s to POLL_SECONDS). Latency is taken from
the intended send time. The overloaded phases last until the line holds WAITERS_WANTED
waiters, within --longest seconds.

Reported: goodput share (completed journeys/s / capacity), admitted p99 / unloaded p99,
CPU per waiting-room answer at the edge (nginx's CPU from /proc) vs in Python (the node's,
Python-only gate), Redis commands/s against the number of waiters, the share of visitors
who saw the room at 0.8x, and the generator's own CPU and lateness (a phase where the
generator was the bottleneck is INVALID).

Usage: .venv/bin/python -m bench.edge            ; writes bench/results/edge.json (~8 min)
       .venv/bin/python -m bench.edge --quick    ; smoke test (~2 min), writes nothing
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import uvloop

from bench.edge.run import run_topology
from bench.edge.settings import MULTIPLES, POLL_SECONDS, WAITERS_WANTED
from bench.edge.topology import topology
from bench.harness.entry import QUICK_HELP, run_main
from bench.harness.processes import LOAD_CPU, require_tools, terminate_raises
from bench.harness.records import machine_info, write_results

TARGETS = {
    "saw_room_share_at_0.8x_below": 0.01,
    "goodput_share_at_least": 0.90,
    "admitted_p99_over_unloaded_at_most": 2.0,
    "edge_us_per_room_answer_at_most": 25.0,
}


def targets(edge: dict[str, Any]) -> dict[str, Any]:
    phases = edge["phases"]
    overloaded = {k: v for k, v in phases.items() if v["multiple"] >= 1}
    first = next(iter(phases.values()))
    slopes = [v["redis_cmds_per_s_per_1000_waiters"] for v in overloaded.values()]
    return {
        "saw_room_share_at_0.8x": first["saw_room_share"],
        "saw_room_below_1_percent_at_0.8x": first["saw_room_share"] < 0.01,
        "goodput_share": {k: v["goodput_share"] for k, v in overloaded.items()},
        "goodput_at_least_0.90": all(v["goodput_share"] >= 0.9 for v in overloaded.values()),
        "admitted_p99_over_unloaded": {
            k: v["admitted_p99_over_unloaded_p99"] for k, v in phases.items()
        },
        "admitted_p99_within_2x": all(
            (v["admitted_p99_over_unloaded_p99"] or 99) <= 2 for v in phases.values()
        ),
        "edge_us_per_room_answer": edge["room_cost"]["nginx_cpu_us_per_answer"],
        "edge_within_25_us": edge["room_cost"]["nginx_cpu_us_per_answer"] <= 25,
        "redis_cmds_per_s_by_phase": {
            k: v["cpu"]["redis_commands_per_s"] for k, v in phases.items()
        },
        "peak_waiters_by_phase": {k: v["peak_waiters"] for k, v in phases.items()},
        "redis_cmds_per_s_per_1000_waiters": slopes,
        "line_reached_10000_waiters": max(v["peak_waiters"] for v in phases.values())
        >= WAITERS_WANTED,
        "invalid_phases": [k for k, v in phases.items() if not v["valid"]],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help=QUICK_HELP)
    parser.add_argument(
        "--base", type=float, default=12.0, help="seconds of the 0.8x and 1x phases"
    )
    parser.add_argument("--longest", type=float, default=85.0, help="longest overloaded phase, s")
    parser.add_argument(
        "--python-multiple",
        type=float,
        default=10.0,
        help="the one phase run with the Python-only gate",
    )
    args = parser.parse_args()
    require_tools("taskset", "nginx", "redis-server")
    os.sched_setaffinity(0, {LOAD_CPU})
    quick = args.quick
    base, longest = (2.0, 3.0) if quick else (args.base, args.longest)
    cap_s, room_s = (1.5, 2.0) if quick else (5.0, 8.0)
    machine = machine_info(packages=("granian", "hdrhistogram", "uvloop", "redis"))
    print(
        f"load average at start {machine['load_average_at_start']} on {machine['nproc']} "
        "cores: the machine is shared, figures are noisy"
    )
    started = time.monotonic()
    results: dict[str, Any] = {}
    with terminate_raises(), tempfile.TemporaryDirectory(prefix="bench-edge-") as tmp:
        print("edge (nginx + Lua keeps the line):")
        with topology(Path(tmp) / "edge", edge_line=True) as top:
            edge = uvloop.run(
                run_topology(
                    top,
                    MULTIPLES,
                    base=base,
                    longest=longest,
                    cap_seconds=cap_s,
                    room_seconds=room_s,
                )
            )
        print("python-only gate (the node keeps the line):")
        with topology(Path(tmp) / "python", edge_line=False) as top:
            python = uvloop.run(
                run_topology(
                    top,
                    (args.python_multiple,),
                    base=base,
                    longest=min(longest, 30.0),
                    cap_seconds=cap_s,
                    room_seconds=room_s,
                )
            )
    results["node"] = "northgate serve --workers 1 (granian), SQLite, core 1"
    results["edge"] = edge
    results["python_only_gate"] = python
    results["targets"] = targets(edge)
    edge_us = edge["room_cost"]["nginx_cpu_us_per_answer"]
    python_us = python["room_cost"]["node_cpu_us_per_answer"]
    results["ratios"] = {
        "python_us_over_edge_us_per_room_answer": round(python_us / edge_us, 1)
        if edge_us
        else None,
        "python_over_edge_server_side_cpu_per_room_answer": round(
            python["room_cost"]["server_side_cpu_us_per_answer"]
            / edge["room_cost"]["server_side_cpu_us_per_answer"],
            1,
        ),
        "goodput_share": results["targets"]["goodput_share"],
        "admitted_p99_over_unloaded": results["targets"]["admitted_p99_over_unloaded"],
    }
    results["settings"] = {
        "multiples": MULTIPLES,
        "poll_seconds": POLL_SECONDS,
        "waiters_wanted": WAITERS_WANTED,
        "base_s": base,
        "longest_s": longest,
    }
    results["wall_s"] = round(time.monotonic() - started, 1)
    results["machine"] = machine | {
        "load_average_at_end": list(os.getloadavg()),
        "shared": "other engineers ran tests and benchmarks meanwhile",
    }
    print("ratios:")
    for key, value in results["ratios"].items():
        print(f"  {key}: {value}")
    print(f"  CPU per room answer: edge (nginx) {edge_us} us, Python (node) {python_us} us")
    print(f"targets: {results['targets']}")
    if quick:
        print(f"quick smoke run in {results['wall_s']} s: nothing written")
    else:
        print(f"wrote {write_results('edge', results)} in {results['wall_s']} s")


if __name__ == "__main__":
    run_main(main)
