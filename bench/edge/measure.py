"""CPU from /proc for each piece of the topology, the generator's own, noise, and Redis
commands per second sampled beside the number of waiters."""

from __future__ import annotations

import asyncio
import contextlib
import resource
import time
from dataclasses import dataclass
from typing import Any

from bench.edge.journey import Tally
from bench.edge.topology import Topology
from bench.harness.noise import CoreTimes, core_times
from bench.harness.processes import LOAD_CPU, SERVER_CPU


@dataclass
class Usage:
    node_s: float
    nginx_s: float  # master and worker (the master does nothing per request)
    redis_s: float
    generator_s: float
    wall_s: float
    cores: dict[int, CoreTimes]
    redis_calls: int


def redis_calls(top: Topology) -> int:
    """Commands Redis has run so far (INFO commandstats, the INFO calls themselves left out)."""
    client = top.redis_client()
    try:
        stats = client.info("commandstats")
    finally:
        client.close()
    return sum(int(v["calls"]) for k, v in stats.items() if k not in ("cmdstat_info",))


def usage_now(top: Topology) -> Usage:
    own = resource.getrusage(resource.RUSAGE_SELF)
    return Usage(
        top.node.cpu_seconds(),
        top.nginx.cpu_seconds(),
        top.redis.cpu_seconds(),
        own.ru_utime + own.ru_stime,
        time.perf_counter(),
        core_times(),
        redis_calls(top),
    )


def deltas(before: Usage, after: Usage) -> dict[str, Any]:
    wall = after.wall_s - before.wall_s
    node = after.node_s - before.node_s
    edge_side = (after.nginx_s - before.nginx_s) + (after.redis_s - before.redis_s)
    generator = after.generator_s - before.generator_s
    node_core = after.cores[SERVER_CPU] - before.cores[SERVER_CPU]
    load_core = after.cores[LOAD_CPU] - before.cores[LOAD_CPU]
    # What other processes (or the hypervisor) took on either core: the machine is shared.
    foreign = max(
        node_core.busy - node,
        load_core.busy - edge_side - generator,
        node_core.steal,
        load_core.steal,
    )
    return {
        "wall_s": round(wall, 2),
        "node_cpu_s": round(node, 3),
        "nginx_cpu_s": round(after.nginx_s - before.nginx_s, 3),
        "redis_cpu_s": round(after.redis_s - before.redis_s, 3),
        "generator_cpu_s": round(generator, 3),
        "node_core_busy": round(node / wall, 3),
        "generator_core_share": round(generator / wall, 3),
        "noise": round(max(0.0, foreign) / wall, 3),
        "redis_commands": after.redis_calls - before.redis_calls,
        "redis_commands_per_s": round((after.redis_calls - before.redis_calls) / wall, 1),
    }


async def sample_redis(
    top: Topology, tally: Tally, samples: list[tuple[int, float]], stop: asyncio.Event
) -> None:
    """(waiters in line, Redis commands/s over the last second), once a second."""
    last_calls, last_t = redis_calls(top), time.perf_counter()
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 1.0)
        calls, now = redis_calls(top), time.perf_counter()
        samples.append((tally.waiting, round((calls - last_calls - 1) / (now - last_t), 1)))
        last_calls, last_t = calls, now


def slope(samples: list[tuple[int, float]]) -> float | None:
    """Least-squares Redis commands/s per 1,000 more waiters: ~0 when independent."""
    if len(samples) < 3:
        return None
    xs = [s[0] / 1000 for s in samples]
    ys = [s[1] for s in samples]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    var = sum((x - mx) ** 2 for x in xs)
    if var == 0:
        return None
    return round(sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / var, 2)
