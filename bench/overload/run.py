"""The whole overload run: capacity without the gate, the phases without it, then with it."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from bench.harness.errors import BenchError
from bench.overload.client import admin
from bench.overload.figures import better, line, ms_at, usage_now
from bench.overload.load import closed_loop, open_loop
from bench.overload.phases import capacity_here, phase, refusal_cost, serve
from bench.overload.settings import INVALID_RETRIES, MULTIPLES


async def run(duration: float, log_dir: Path, scale: float = 1.0) -> dict[str, Any]:
    """The whole benchmark; ``scale`` shortens every measurement but the phases (a smoke
    test uses 0.25 with 1 s phases)."""
    results: dict[str, Any] = {"phases": {}}
    phases = results["phases"]
    # ---- gate disabled: capacity, unloaded latency, then the overload phases
    server, port = serve("ungated", log_dir, gate=False)
    try:
        first = await closed_loop(port, 1, 0.5)
        if first.counts.get("created", 0) == 0:
            raise BenchError(f"the submission path does not answer 201: {first.first_error}")
        await closed_loop(port, 1, 2 * scale)  # warm-up
        unloaded = await closed_loop(port, 1, 5 * scale)
        best = 0.0
        runs: dict[str, Any] = {}
        for concurrency in (1, 2, 4):
            before = usage_now(server)
            tally = await closed_loop(port, concurrency, 4 * scale)
            after = usage_now(server)
            created = tally.counts.get("created", 0)
            rate = created / (after.wall_s - before.wall_s)
            runs[str(concurrency)] = {
                "created_per_s": round(rate, 1),
                "p50_ms": ms_at(tally.created, 50),
                "p99_ms": ms_at(tally.created, 99),
                "server_cpu_us_per_201": round((after.server_s - before.server_s) / created * 1e6)
                if created
                else None,
            }
            best = max(best, rate)
        capacity = best
        p50 = unloaded.created.get_value_at_percentile(50)
        p99 = unloaded.created.get_value_at_percentile(99)
        target = 2 * p99
        results["capacity_per_s"] = round(capacity, 1)
        results["capacity_runs_by_concurrency"] = runs
        results["unloaded_ms"] = {"p50": p50 / 1000, "p99": p99 / 1000,
                                  "samples": unloaded.created.get_total_count()}  # fmt: skip
        results["latency_target_ms"] = target / 1000
        print(f"capacity {capacity:.1f}/s {runs}\nunloaded p50 {p50 / 1000:.1f} ms, "
              f"p99 {p99 / 1000:.1f} ms; latency target {target / 1000:.1f} ms")  # fmt: skip
        phases["no-gate 1x"] = await phase(server, port, 1, capacity, target, duration,
                                           gated=False)  # fmt: skip
        print(line("no-gate 1x", phases["no-gate 1x"]))
    finally:
        server.stop()
    for multiple in MULTIPLES[1:]:
        # A fresh server each time: the last one is still working through its backlog.
        server, port = serve(f"ungated-{multiple}x", log_dir, gate=False)
        try:
            await closed_loop(port, 1, scale)  # warm-up
            name = f"no-gate {multiple}x"
            phases[name] = await phase(server, port, multiple, capacity, target, duration,
                                       gated=False)  # fmt: skip
            print(line(name, phases[name]))
        finally:
            server.stop()
    # ---- gate enabled: one server; the line is emptied between phases
    server, port = serve("gated", log_dir, gate=True)
    try:
        # Warm-up: the limiter measures the no-load latency at 1x, then comes down from its
        # initial limit (20) under 2x, so that the phases start from a learned limit.
        await open_loop(port, capacity, 3 * scale, seed=1)
        await open_loop(port, 2 * capacity, 8 * scale, seed=2)
        for multiple in MULTIPLES:
            name = f"gate {multiple}x"
            for attempt in range(1 + INVALID_RETRIES):
                here = await capacity_here(port, scale)
                await admin(port, "POST", "/ops/gate/reset")
                await asyncio.sleep(1.0)
                row = await phase(server, port, multiple, here["capacity_per_s"],
                                  1000 * here["latency_target_ms"], duration,
                                  gated=True)  # fmt: skip
                row["measured_here"] = here
                print(f"  here: capacity {here['capacity_per_s']}/s (1 in flight "
                      f"{here['at_one_in_flight_per_s']}/s), unloaded p99 "
                      f"{here['unloaded_p99_ms']} ms")  # fmt: skip
                print(line(name, row))
                if better(row, phases.get(name)):
                    phases[name] = row | {"attempts": attempt + 1}
                if row["valid"]:
                    break
                print(f"  {name}: invalid ({'; '.join(row['invalid_because'])}); again")
        await asyncio.sleep(1.0)
        cost = await refusal_cost(server, port, 3 * scale)
    finally:
        server.stop()
    results["queued_answer_cost"] = cost
    print(f"one queued answer: {cost['server_cpu_us_per_queued_answer']} us of server CPU "
          f"({cost['answers_per_s']}/s at {cost['server_core_busy']:.0%} of the core)")  # fmt: skip
    # What the cost of turning people away leaves for the work, at each load: the core
    # spends refusals/s x cost on answers that are not goodput. The bound on goodput is
    # that share of the capacity, or of the rate reached with one request in flight (the
    # limit the gate learns when a second one only doubles latency).
    us = cost["server_cpu_us_per_queued_answer"]
    verdict: dict[str, Any] = {}
    for multiple in MULTIPLES:
        name = f"gate {multiple}x"
        row = phases[name]
        here = row["measured_here"]
        one = here["at_one_in_flight_per_s"] / here["capacity_per_s"]
        left = max(0.0, 1 - row["refusals_per_s"] * us / 1e6)
        row["core_left_for_submissions"] = round(left, 3)
        row["goodput_bound_share"] = {
            "at_best_concurrency": round(left, 3),
            "at_one_in_flight": round(left * one, 3),
        }
        print(f"{name:<12} refusals {row['refusals_per_s']:.0f}/s x {us} us = "
              f"{1 - left:.1%} of the core: goodput bound {left:.1%} of capacity "
              f"({left * one:.1%} with one in flight)")  # fmt: skip
        if multiple >= 10:
            p99 = row["created_p99_ms"]
            verdict[name] = {
                "phase_valid": row["valid"],
                "goodput_share": row["goodput_share_of_capacity"],
                "goodput_at_least_90_percent": row["goodput_share_of_capacity"] >= 0.9,
                "created_p99_ms": p99,
                "latency_target_ms": here["latency_target_ms"],
                "p99_within_2x_unloaded": p99 is not None and p99 <= here["latency_target_ms"],
            }
    gated = [phases[f"gate {m}x"] for m in MULTIPLES]
    verdict["no_errors"] = all(row["errors"] == 0 for row in gated)
    verdict["no_timeouts"] = all(row["timeouts"] == 0 for row in gated)
    # A target met or missed in an invalid phase says nothing about the server.
    verdict["invalid_phases"] = [name for name, row in phases.items() if not row["valid"]]
    results["targets"] = verdict
    print(f"targets: {json.dumps(verdict)}")
    return results
