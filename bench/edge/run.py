"""One topology at a time: capacity, unloaded latency, the phases, the room's own cost."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import urllib.request
from typing import Any

from bench.edge.client import Pool
from bench.edge.journey import Tally, closed_loop, impatient_waiters, latency, ms, open_loop
from bench.edge.measure import deltas, sample_redis, slope, usage_now
from bench.edge.settings import ADMIN, CONNECTIONS, GENERATOR_CPU_LIMIT, NOISE_LIMIT, WAITERS_WANTED
from bench.edge.topology import Topology
from bench.harness.errors import BenchError


def admin(top: Topology, path: str, body: dict[str, Any] | None = None) -> Any:
    """The gate's operator endpoint, on the node itself (nginx hides /ops from the world)."""
    data = json.dumps(body).encode() if body is not None else None  # None: GET
    req = urllib.request.Request(
        f"http://127.0.0.1:{top.node_port}{path}",
        data=data,
        method="POST" if data else "GET",
        headers={"Authorization": f"Bearer {ADMIN}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=10) as answer:  # noqa: S310
        return json.loads(answer.read())


async def capacity(top: Topology, seconds: float) -> dict[str, Any]:
    """Whole journeys per second with 1, 2 or 4 closed-loop visitors, gate switched off at
    run time; unloaded latency = 1 visitor."""
    admin(top, "/ops/gate/limits", {"enabled": False})
    pool = Pool(top.port, 16)
    try:
        await closed_loop(pool, 1, seconds / 3)  # warm-up
        runs: dict[str, Any] = {}
        for clients in (1, 2, 4):
            before = usage_now(top)
            tally = await closed_loop(pool, clients, seconds)
            after = usage_now(top)
            if tally.completed == 0:
                raise BenchError(f"no journey completed: {tally.errors}")
            wall = after.wall_s - before.wall_s
            runs[str(clients)] = {
                "journeys_per_s": round(tally.completed / wall, 2),
                "admitted_requests": latency(tally.admitted),
                "node_cpu_ms_per_journey": round(
                    (after.node_s - before.node_s) / tally.completed * 1e3, 2
                ),
                "errors": tally.errors,
            }
            if clients == 1:
                unloaded = tally
    finally:
        pool.close()
        admin(top, "/ops/gate/limits", {"enabled": True})
    best = max(run["journeys_per_s"] for run in runs.values())
    return {
        "journeys_per_s": best,
        "runs_by_clients": runs,
        "unloaded_p50_ms": ms(unloaded.admitted, 50),
        "unloaded_p99_ms": ms(unloaded.admitted, 99),
    }


def phase_seconds(multiple: float, cap: float, base: float, longest: float) -> float:
    """Long enough for the line to hold WAITERS_WANTED (it grows by (m - 1) x capacity a
    second), within [base, longest]."""
    if multiple <= 1:
        return base
    return max(base, min(longest, WAITERS_WANTED / ((multiple - 1) * cap) + 2))


GAUGES = (
    "concurrency_limit",
    "in_flight",
    "admission_rate_per_second",
    "adaptive_share",
    "outflow_per_second",
    "waiting",
    "latency_baseline_ms",
)


async def sample_gate(top: Topology, samples: list[dict[str, Any]], stop: asyncio.Event) -> None:
    """The node gate's gauges once a second (its tick refreshes them), off the event loop."""
    while not stop.is_set():
        try:
            report = await asyncio.to_thread(admin, top, "/ops/gate")
            samples.append({k: report["gauges"].get(k) for k in GAUGES})
        except (OSError, KeyError, ValueError):
            pass
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 1.0)


def gate_summary(samples: list[dict[str, Any]], counters: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in GAUGES:
        values = sorted(v[name] for v in samples if v.get(name) is not None)
        if values:
            out[name] = {"min": values[0], "median": values[len(values) // 2], "max": values[-1]}
    out["counters"] = counters
    return out


async def phase(
    top: Topology, multiple: float, cap: dict[str, Any], seconds: float, seed: int
) -> dict[str, Any]:
    pool, tally = Pool(top.port, CONNECTIONS), Tally()
    samples: list[tuple[int, float]] = []
    stop = asyncio.Event()
    sampler = asyncio.create_task(sample_redis(top, tally, samples, stop))
    gauges: list[dict[str, Any]] = []
    gate_sampler = asyncio.create_task(sample_gate(top, gauges, stop))
    counters_before = admin(top, "/ops/gate").get("counters", {})
    rate = cap["journeys_per_s"] * multiple
    before = usage_now(top)
    await open_loop(pool, rate, seconds, seed, tally)
    after = usage_now(top)
    stop.set()
    await sampler
    await gate_sampler
    pool.close()
    counters_after = admin(top, "/ops/gate").get("counters", {})
    counters = {
        k: v - counters_before.get(k, 0)
        for k, v in counters_after.items()
        if isinstance(v, int | float) and v != counters_before.get(k, 0)
    }
    used = deltas(before, after)
    unloaded = cap["unloaded_p99_ms"]
    p99 = ms(tally.admitted, 99)
    lag_p99 = ms(tally.lag, 99)
    problems = []
    if used["generator_core_share"] >= GENERATOR_CPU_LIMIT:
        problems.append(f"generator used {used['generator_core_share']:.0%} of its core")
    if lag_p99 is not None and unloaded and lag_p99 > unloaded / 4:
        problems.append(f"generator lag p99 {lag_p99} ms > a quarter of unloaded p99")
    if used["noise"] > NOISE_LIMIT:
        problems.append(f"noise {used['noise']:.0%} > {NOISE_LIMIT:.0%}")
    arrivals = max(1, tally.arrivals)
    answers = tally.room_answers
    return {
        "multiple": multiple,
        "seconds": round(seconds, 1),
        "offered_journeys_per_s": round(tally.arrivals / seconds, 1),
        "arrivals": tally.arrivals,
        "completed_journeys": tally.completed,
        "completed_per_s": round(tally.completed / seconds, 2),
        "goodput_share": round(tally.completed / seconds / cap["journeys_per_s"], 3),
        "saw_room_share": round(tally.saw_room / arrivals, 4),
        "peak_waiters": tally.peak_waiting,
        "room_answers": answers,
        "polls": tally.polls,
        "gave_up_in_line_at_end": tally.gave_up_in_line,
        "counts": dict(tally.counts),
        "errors": tally.errors,
        "admitted_latency": latency(tally.admitted),
        "admitted_p99_over_unloaded_p99": round(p99 / unloaded, 2) if p99 and unloaded else None,
        "room_latency": latency(tally.room),
        "page_latency": latency(tally.page),
        "journey_latency": latency(tally.journey),
        "generator_lag": latency(tally.lag),
        "cpu": used,
        "nginx_cpu_us_per_room_answer_upper_bound": round(used["nginx_cpu_s"] / answers * 1e6, 1)
        if answers
        else None,
        "redis_samples_waiters_vs_cmds_per_s": samples,
        "gate": gate_summary(gauges, counters),
        "redis_cmds_per_s_per_1000_waiters": slope(samples),
        "valid": not problems,
        "invalid_because": problems,
    }


async def room_cost(top: Topology, seconds: float, clients: int = 64) -> dict[str, Any]:
    """The CPU of one waiting-room answer, alone: nobody is let in (``max_active`` 1) and
    ``clients`` waiters poll back to back. At the edge nginx answers (its worker's CPU from
    /proc); with the Python-only gate the node does, nginx only proxies."""
    admin(top, "/ops/gate/limits", {"max_active": 1})
    pool, warm, tally = Pool(top.port, clients), Tally(), Tally()
    try:
        # The first answers come from the node, until the edge reads (within a second)
        # that the line is closed.
        await impatient_waiters(pool, clients, 2.0, warm)
        before = usage_now(top)
        await impatient_waiters(pool, clients, seconds, tally)
        after = usage_now(top)
    finally:
        pool.close()
        admin(top, "/ops/gate/limits", {"max_active": 1_000_000})
        admin(top, "/ops/gate/reset", {})
    answers = tally.room_answers
    used = deltas(before, after)
    if answers < 0.99 * sum(tally.counts.values()):
        raise BenchError(f"room cost: expected only waiting-room answers, got {dict(tally.counts)}")
    us = {
        k: round(used[f"{k}_cpu_s"] / answers * 1e6, 1)
        for k in ("nginx", "node", "redis", "generator")
    }
    return {
        "room_answers": answers,
        "answers_per_s": round(answers / used["wall_s"], 1),
        "nginx_cpu_us_per_answer": us["nginx"],
        "node_cpu_us_per_answer": us["node"],
        "redis_cpu_us_per_answer": us["redis"],
        "generator_cpu_us_per_answer": us["generator"],
        "server_side_cpu_us_per_answer": round(us["nginx"] + us["node"] + us["redis"], 1),
        "cpu": used,
        "counts": dict(tally.counts),
    }


def line(name: str, row: dict[str, Any]) -> str:
    flag = "" if row["valid"] else "  INVALID: " + "; ".join(row["invalid_because"])
    cpu, admitted = row["cpu"], row["admitted_latency"]
    return (
        f"{name:<5} offered {row['offered_journeys_per_s']:>6}/s "
        f"done {row['completed_per_s']:>6}/s goodput {row['goodput_share']:.2f} "
        f"saw room {row['saw_room_share']:.1%} peak waiters {row['peak_waiters']:>6} "
        f"admitted p99 {admitted['p99_ms']} ms (x{row['admitted_p99_over_unloaded_p99']}) "
        f"redis {cpu['redis_commands_per_s']}/s gen {cpu['generator_core_share']:.0%} "
        f"lag p99 {row['generator_lag']['p99_ms']} ms noise {cpu['noise']:.0%}{flag}"
    )


async def run_topology(
    top: Topology,
    multiples: tuple[float, ...],
    *,
    base: float,
    longest: float,
    cap_seconds: float,
    room_seconds: float,
    cap: dict[str, Any] | None = None,
) -> dict[str, Any]:
    started = time.monotonic()
    if cap is None:
        cap = await capacity(top, cap_seconds)
    print(
        f"  capacity {cap['journeys_per_s']} journeys/s; unloaded p99 {cap['unloaded_p99_ms']} ms"
    )
    phases: dict[str, Any] = {}
    for i, multiple in enumerate(multiples):
        admin(top, "/ops/gate/reset", {})
        await asyncio.sleep(1.5)
        seconds = phase_seconds(multiple, cap["journeys_per_s"], base, longest)
        name = f"{multiple:g}x"
        phases[name] = await phase(top, multiple, cap, seconds, seed=100 + i)
        print("  " + line(name, phases[name]))
    admin(top, "/ops/gate/reset", {})
    await asyncio.sleep(1.5)
    cost = await room_cost(top, room_seconds)
    print(
        f"  one room answer: nginx {cost['nginx_cpu_us_per_answer']} us, node "
        f"{cost['node_cpu_us_per_answer']} us, redis {cost['redis_cpu_us_per_answer']} us "
        f"({cost['answers_per_s']}/s)"
    )
    return {
        "capacity": cap,
        "phases": phases,
        "room_cost": cost,
        "wall_s": round(time.monotonic() - started, 1),
    }
