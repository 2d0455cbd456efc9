"""While Redis is down each gate instance admits its share of the limits: one over the
instances alive at the last contact, derived from their heartbeats in Redis, with nothing
to edit on each host when a node is added or removed."""

from __future__ import annotations

import secrets
import time
from pathlib import Path

import httpx
import pytest

from northgate.edge.gate import build_backend, build_core
from northgate.edge.gate.core import GateCore
from northgate.settings import Settings
from northgate.storage import shared
from tests.edge.gate.nodes import ADMIN, node
from tests.support.servers import RedisServer

pytestmark = pytest.mark.redis
AUTH = {"authorization": f"Bearer {ADMIN}"}


def test_two_nodes_each_admit_half_the_rate_while_redis_is_down(tmp_path: Path) -> None:
    server = RedisServer()
    server.start()
    env = {
        "NORTHGATE_REDIS_URL": server.url,
        "NORTHGATE_GATE_EVENT": "f" + secrets.token_hex(4),
        "NORTHGATE_GATE_MODE": "fixed",
        "NORTHGATE_GATE_ADMISSIONS_PER_MINUTE": "600",
    }
    try:
        with (
            node(tmp_path / "a", env) as a,
            node(tmp_path / "b", env) as b,
            httpx.Client(timeout=5) as client,
        ):

            def gate(url: str) -> dict[str, object]:
                report: dict[str, object] = client.get(url + "/ops/gate", headers=AUTH).json()
                return report

            for url in (a, b):  # the gate's tick starts with its first request
                client.get(url + "/en/eta/apply", follow_redirects=False)
            time.sleep(2.5)  # each node's tick has seen the other's
            for url in (a, b):
                assert gate(url)["gauges"]["admission_rate_per_second"] == 10.0  # type: ignore[index]
            server.stop()  # Redis goes away
            deadline = time.monotonic() + 15
            while any(gate(url)["backend"] != "memory-fallback" for url in (a, b)):
                assert time.monotonic() < deadline, "the nodes did not notice Redis was gone"
                time.sleep(0.5)
            time.sleep(1.5)  # a tick since: the gauges are the degraded ones
            for url in (a, b):
                gauges = gate(url)["gauges"]
                assert gauges["admission_rate_per_second"] == 5.0  # type: ignore[index]
                assert gauges["fallback_share"] == 0.5  # type: ignore[index]
    finally:
        server.stop()


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


def instance(settings: Settings, clock: Clock) -> GateCore:
    built = build_core(settings, build_backend(settings, shared.connect(settings.redis_url)))
    core = GateCore(
        built.limits,
        built.backend,
        key=b"k" * 32,
        event=settings.gate_event,
        pass_ttl=settings.gate_pass_ttl_seconds,
        pass_cap=settings.gate_pass_cap_seconds,
        clock=clock,
    )
    return core


async def test_the_share_follows_instances_added_and_gone(redis_server: RedisServer) -> None:
    settings = Settings(redis_url=redis_server.url, gate_event="g" + secrets.token_hex(4))
    clock = Clock()
    cores = [instance(settings, clock) for _ in range(3)]
    try:
        for core in cores:
            await core.tick()
        await cores[0].tick()
        assert cores[0].fallback_share == pytest.approx(1 / 3)
        # One instance stops (its heartbeat ages past 5 s): the others' share grows back.
        clock.now += 6
        for core in cores[:2] * 2:
            await core.tick()
        assert [core.fallback_share for core in cores[:2]] == [0.5, 0.5]
    finally:
        for core in cores:
            await core.stop()


async def test_an_operator_share_overrides_the_derived_one(redis_server: RedisServer) -> None:
    settings = Settings(
        redis_url=redis_server.url, gate_event="o" + secrets.token_hex(4), gate_fallback_share=0.25
    )
    core = build_core(settings, build_backend(settings, shared.connect(settings.redis_url)))
    try:
        await core.tick()
        assert core.fallback_share == 0.25
    finally:
        await core.stop()
