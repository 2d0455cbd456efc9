"""Those who waited in line and were then admitted keep their pass: under concurrency (the
adaptive limit full, admissions made while a slot frees), everyone whose application was
created can start paying without being queued again. On both backends."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable

import httpx

from northgate.edge.gate import Gate
from tests.edge.gate.test_middleware import App


async def test_waited_then_admitted_applicants_can_pay(
    make_gate: Callable[..., tuple[Gate, App]],
    clients: Callable[[Gate], httpx.AsyncClient],
    shared_state: dict[str, object],
) -> None:
    gate, app = make_gate(
        gate_mode="adaptive", gate_admissions_per_minute=600, gate_limit_floor=2,
        gate_limit_ceiling=2, gate_poll_seconds=1, gate_abandon_after_seconds=30,
        **shared_state,
    )  # fmt: skip
    core = gate.core
    core.limiter._probe = None  # skip the start-up latency measurement
    core.limiter.baseline = 0.02
    app.delay = 0.02
    rng = random.Random(7)
    waited: list[bool] = []
    sent_back: list[dict[str, str]] = []

    async def applicant() -> None:
        client = clients(gate)
        await asyncio.sleep(rng.uniform(0, 0.5))
        queued = False
        while (created := await client.post("/api/v1/applications")).status_code != 200:
            assert created.json()["status"] == "waiting"
            queued = True
            await asyncio.sleep(rng.uniform(0.05, 0.2))
        waited.append(queued)
        paying = await client.post("/api/v1/applications/X/payments")
        if paying.headers.get("x-northgate-gate") == "queued":
            sent_back.append(dict(client.cookies))

    await asyncio.gather(*(applicant() for _ in range(60)))
    assert sum(waited) >= 20  # the path under test: waited, then admitted
    assert sent_back == []
