"""One server and one phase at a time: start, measure the capacity here, offer N x it."""

from __future__ import annotations

import asyncio
import contextlib
import time
from pathlib import Path
from typing import Any

from bench.harness.errors import BenchError
from bench.harness.net import free_port
from bench.harness.northgate import northgate, northgate_env
from bench.harness.paths import VENV_BIN
from bench.harness.processes import Server, start_server, wait_ready
from bench.overload.client import admin
from bench.overload.figures import gate_figures, ms_at, summary, usage_now
from bench.overload.load import closed_loop, open_loop
from bench.overload.settings import ADMIN, SECRET


def serve(name: str, log_dir: Path, *, gate: bool) -> tuple[Server, int]:
    """A migrated ``northgate serve --workers 1`` on a free port, pinned to core 1."""
    port = free_port()
    var = log_dir / name
    settings = {
        "NORTHGATE_SECRET_KEY": SECRET,
        "NORTHGATE_GATE_ADMIN_TOKEN": ADMIN,
        "NORTHGATE_GATE_ENABLED": "true" if gate else "false",
        "NORTHGATE_GATE_MODE": "adaptive",
        # Operator limits for this event: the admission rate is only a ceiling far above
        # what one core can do, so the learned concurrency limit alone sets the outflow;
        # each API submission keeps its pass (it pays next), so max_active must not bind.
        "NORTHGATE_GATE_ADMISSIONS_PER_MINUTE": "60000",
        "NORTHGATE_GATE_MAX_ACTIVE": "1000000",
        "NORTHGATE_GATE_LIMIT_FLOOR": "1",
    }
    env = northgate_env(var, settings)
    northgate(env, "--log-level", "warning", "migrate", timeout=60)
    command = [
        str(VENV_BIN / "northgate"),
        "--log-level",
        "warning",
        "serve",
        "--workers",
        "1",
        "--port",
        str(port),
    ]
    server = start_server(name, command, log_dir=log_dir, env=env)
    wait_ready(server, f"http://127.0.0.1:{port}/readyz")
    server.check_pinned()
    return server, port


async def sample_gate(port: int, samples: list[dict[str, Any]], stop: asyncio.Event) -> None:
    """The gate's gauges once a second (they are refreshed by its one-second tick)."""
    while not stop.is_set():
        try:
            report = await admin(port, "GET", "/ops/gate")
            samples.append(report["gauges"])
        except (OSError, TimeoutError, BenchError):
            pass
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 1.0)


async def phase(
    server: Server, port: int, multiple: float, capacity: float, target_us: float,
    seconds: float, *, gated: bool,
) -> dict[str, Any]:  # fmt: skip
    samples: list[dict[str, Any]] = []
    stop = asyncio.Event()
    sampler = asyncio.create_task(sample_gate(port, samples, stop)) if gated else None
    before = usage_now(server)
    tally = await open_loop(port, capacity * multiple, seconds)
    after = usage_now(server)
    row = summary(tally, seconds, capacity, target_us, before, after)
    if sampler is not None:
        stop.set()
        await sampler
        row["gate"] = gate_figures(samples, await admin(port, "GET", "/ops/gate"))
    return row


async def capacity_here(port: int, scale: float = 1.0) -> dict[str, Any]:
    """Capacity and unloaded latency of this very server, just before a gated phase: the
    gate is switched off at run time (``/ops/gate/limits``), 1 then 2 closed-loop clients
    submit, and it is switched back on. The machine's speed drifts by 15-30 % over minutes
    (CALIBRATION.md), so a phase is compared with what the same process did moments before.
    """
    await admin(port, "POST", "/ops/gate/limits", {"enabled": False})
    try:
        started = time.perf_counter()
        one = await closed_loop(port, 1, 4 * scale)
        middle = time.perf_counter()
        two = await closed_loop(port, 2, 3 * scale)
        ended = time.perf_counter()
    finally:
        await admin(port, "POST", "/ops/gate/limits", {"enabled": True})
    at_one = one.counts.get("created", 0) / (middle - started)
    at_two = two.counts.get("created", 0) / (ended - middle)
    p99 = one.created.get_value_at_percentile(99) / 1000
    return {
        "capacity_per_s": round(max(at_one, at_two), 1),
        "at_one_in_flight_per_s": round(at_one, 1),
        "at_two_in_flight_per_s": round(at_two, 1),
        "unloaded_p50_ms": ms_at(one.created, 50),
        "unloaded_p99_ms": round(p99, 2),
        "latency_target_ms": round(2 * p99, 2),
    }


async def refusal_cost(server: Server, port: int, seconds: float) -> dict[str, Any]:
    """Server CPU of one "wait in line" answer, alone: nobody can be admitted (max_active
    1) and 32 fresh clients ask as fast as they can."""
    await admin(port, "POST", "/ops/gate/limits", {"max_active": 1})
    await asyncio.sleep(1.2)
    before = usage_now(server)
    tally = await closed_loop(port, 32, seconds)
    after = usage_now(server)
    await admin(port, "POST", "/ops/gate/limits", {"max_active": 1_000_000})
    await admin(port, "POST", "/ops/gate/reset")
    answers = sum(tally.counts.values())
    queued = tally.counts.get("queued", 0)
    if queued < answers * 0.99:
        raise BenchError(f"refusal cost: expected only queued answers, got {tally.counts}")
    server_s = after.server_s - before.server_s
    return {
        "answers": answers,
        "answers_per_s": round(answers / (after.wall_s - before.wall_s), 1),
        "server_core_busy": round(server_s / (after.wall_s - before.wall_s), 3),
        "server_cpu_us_per_queued_answer": round(server_s / answers * 1e6, 1),
        "p50_ms": ms_at(tally.refused, 50),
    }
