"""The admission gate's own costs: microseconds per decision, and Redis bytes per waiter.

1. Decision cost, in process, best of 3: checking a pass (the hot path: HMAC, no I/O),
   placing a new visitor, and re-polling a waiter, on the memory backend and on the Redis
   backend (a throwaway redis-server on 127.0.0.1; one round trip per call, unpipelined).
2. Redis memory per waiter with 1,000,000 waiters: 100,000 joined through the real Lua
   script (pipelined), the rest bulk-loaded in the same layout (4-byte last-poll stamp +
   1 live bit per ticket), then INFO used_memory and MEMORY USAGE per key; for comparison,
   a sorted set of 1,000,000 8-byte members (the obvious design).

Usage: .venv/bin/python -m bench.gate [--waiters N] [--count N] ; writes bench/results/gate.json
       .venv/bin/python -m bench.gate --quick     ; smoke test, nothing written
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError

from bench.harness.entry import QUICK_HELP, run_main
from bench.harness.errors import BenchError
from bench.harness.net import free_port
from bench.harness.paths import PROJECT_DIR
from bench.harness.records import machine_info, write_results
from northgate.edge.gate import lua
from northgate.edge.gate.backend import Backend
from northgate.edge.gate.config import GateLimits
from northgate.edge.gate.core import GateCore
from northgate.edge.gate.memory import MemoryBackend
from northgate.edge.gate.redis_backend import RedisBackend
from northgate.edge.gate.visitor import Visitor

KEY = b"bench-key-" * 4
LIMITS = GateLimits(True, "fixed", 10**9, 60, 2, 256, 3600.0, 20.0, 0.0)


def start_redis() -> tuple[subprocess.Popen[bytes], int, Path]:
    binary = shutil.which("redis-server")
    if binary is None:
        raise BenchError("redis-server not found (apt-get install redis-server)")
    port, base = free_port(), Path(tempfile.mkdtemp(prefix="bench-redis-"))
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly",
         "no", "--dir", str(base)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    return process, port, base


async def timed(label: str, count: int, call: Callable[[int], Awaitable[Any]]) -> float:
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        for i in range(count):
            await call(i)
        best = min(best, (time.perf_counter() - started) / count * 1e6)
    print(f"  {label:<42} {best:8.1f} us")
    return round(best, 2)


async def decision_costs(backend: Backend, count: int) -> dict[str, float]:
    core = GateCore(LIMITS, backend, key=KEY, event="bench", pass_ttl=1800, pass_cap=14400)
    first = await core.admit(None, time.time())
    assert first.token is not None
    token = first.token
    results = {
        "check_pass": await timed(
            "check a pass (hot path)",
            count * 10,
            lambda _i: _sync(core.check_pass(token, time.time())),
        )
    }
    placed: list[Visitor] = []

    async def join(_i: int) -> None:
        placed.append((await core.admit(None, time.time())).visitor)

    results["join_line"] = await timed("place a new visitor in line", count, join)

    async def repoll(i: int) -> None:
        await core.admit(placed[i % len(placed)], time.time())

    results["poll_in_line"] = await timed("poll: position of a waiter", count, repoll)
    return results


async def _sync(value: object) -> object:
    return value


async def redis_memory(redis: Redis, waiters: int) -> dict[str, Any]:
    await redis.flushall()
    base = int((await redis.info("memory"))["used_memory"])
    backend = RedisBackend(redis, "mem")
    poll = redis.register_script(lua.POLL)
    keys = [backend.keys[name] for name in ("q", "seen", "alive", "active", "requests")]
    now_ms = int(time.time() * 1000)
    scripted = min(100_000, waiters)
    started = time.perf_counter()
    for _batch in range(0, scripted, 1000):
        async with redis.pipeline(transaction=False) as pipe:
            for _ in range(1000):
                await poll(keys=keys, args=[now_ms, 0, "", "0", 3600, 1, "0.0", "1.0", "0", "j",
                                            now_ms, 0, 64, "rbench", "0"], client=pipe)  # fmt: skip
            await pipe.execute()
    scripted_s = time.perf_counter() - started
    # Bulk-load the rest exactly as the script lays it out: a u32 stamp and a live bit each.
    now_s = int(time.time())
    first, last = scripted + 1, waiters
    stamp = now_s.to_bytes(4, "big")
    chunk = 1 << 16
    t = first
    while t <= last:
        n = min(chunk, last - t + 1)
        await redis.setrange(keys[1], t * 4, stamp * n)
        t += n
    for t in range(first, min(last + 1, (first + 7) // 8 * 8)):
        await redis.setbit(keys[2], t, 1)
    start_byte = (first + 7) // 8
    end_byte = (last + 1) // 8
    if end_byte > start_byte:
        await redis.setrange(keys[2], start_byte, b"\xff" * (end_byte - start_byte))
    for t in range(end_byte * 8, last + 1):
        await redis.setbit(keys[2], t, 1)
    await redis.hset(keys[0], mapping={"tail": last, "live": last})
    used = int((await redis.info("memory"))["used_memory"]) - base
    per_key = {name: await redis.memory_usage(key) for name, key in zip(
        ("q", "seen", "alive"), keys[:3], strict=True)}  # fmt: skip
    started = time.perf_counter()
    reply = await poll(keys=keys, args=[now_ms + 1000, last, "rbench", "0", 3600, 1, "0.0",
                                        "1.0", "0", "j", now_ms, 0, 64, "rbench", "0"])  # fmt: skip
    last_poll_us = (time.perf_counter() - started) * 1e6
    # The obvious alternative: a sorted set of 8-byte ids scored by arrival.
    await redis.flushall()
    zbase = int((await redis.info("memory"))["used_memory"])
    for batch in range(0, waiters, 10_000):
        await redis.zadd("z", {f"{i:08x}": i for i in range(batch, min(waiters, batch + 10_000))})
    zused = int((await redis.info("memory"))["used_memory"]) - zbase
    await redis.flushall()
    return {
        "waiters": waiters,
        "joined_by_script": scripted,
        "script_joins_per_s": round(scripted / scripted_s),
        "used_memory_bytes": used,
        "bytes_per_waiter": round(used / waiters, 2),
        "memory_usage_per_key": per_key,
        "poll_of_last_waiter_us": round(last_poll_us, 1),
        "last_waiter_position": int(reply[3]),
        "zset_8_byte_ids_bytes_per_waiter": round(zused / waiters, 2),
        "target_bytes_per_waiter": 100,
    }


async def measure(waiters: int, count: int) -> dict[str, Any]:
    print("decision cost, memory backend")
    memory = await decision_costs(MemoryBackend(), count)
    process, port, base = start_redis()
    try:
        redis = Redis.from_url(f"redis://127.0.0.1:{port}/0")
        for _ in range(100):
            try:
                await redis.ping()
                break
            except (OSError, RedisConnectionError):
                await asyncio.sleep(0.05)
        print("decision cost, Redis backend (one round trip per call)")
        on_redis = await decision_costs(RedisBackend(redis, "bench"), count // 5)
        print(f"Redis memory with {waiters:,} waiters")
        memory_use = await redis_memory(redis, waiters)
        print(f"  {memory_use['bytes_per_waiter']} bytes per waiter (target <= 100); "
              f"ZSET of 8-byte ids: {memory_use['zset_8_byte_ids_bytes_per_waiter']}")  # fmt: skip
        await redis.aclose()
    finally:
        process.terminate()
        process.wait(10)
        shutil.rmtree(base, ignore_errors=True)
    return {"decision_us": {"memory": memory, "redis": on_redis}, "redis_memory": memory_use}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--waiters", type=int, default=1_000_000)
    parser.add_argument("--count", type=int, default=5000)
    parser.add_argument(
        "--quick", action="store_true", help=QUICK_HELP + " (20,000 waiters, --count 500)"
    )
    args = parser.parse_args()
    if args.quick:
        args.waiters, args.count = 20_000, 500
    os.chdir(PROJECT_DIR)
    results = asyncio.run(measure(args.waiters, args.count))
    if args.quick:
        print("quick smoke run: nothing written")
        return
    path = write_results("gate", {"machine": machine_info(packages=("redis",)), **results})
    print(f"wrote {path}")


if __name__ == "__main__":
    run_main(main)
