"""The gate over real HTTP: two nodes sharing one Redis admit no more than the global rate;
a node keeps answering when Redis goes away and goes back to it when it returns; overload
far above capacity gets no 5xx and no timeouts."""

from __future__ import annotations

import asyncio
import secrets
import time
from pathlib import Path

import httpx
import pytest
import redis as redis_sync

from tests.edge.gate.nodes import ADMIN, node
from tests.support.servers import RedisServer

pytestmark = pytest.mark.redis
AUTH = {"authorization": f"Bearer {ADMIN}"}


async def _poll_loop(
    urls: list[str],
    stop: asyncio.Event,
    admitted: dict[str, int],
    statuses: dict[int, int],
    interval: float,
) -> None:
    """One visitor after another: poll until admitted, then start again as someone new."""
    visitor: str | None = None
    turn = 0
    async with httpx.AsyncClient(timeout=5) as client:
        while not stop.is_set():
            client.cookies.clear()  # the place travels in the header only
            await _poll_once(client, urls[turn % len(urls)], visitor, admitted, statuses)
            visitor = _last_visitor.pop(id(client), None)
            turn += 1  # alternate nodes: the place is shared state
            await asyncio.sleep(interval)


_last_visitor: dict[int, str | None] = {}


async def _poll_once(
    client: httpx.AsyncClient,
    url: str,
    visitor: str | None,
    admitted: dict[str, int],
    statuses: dict[int, int],
) -> None:
    if True:
        headers = {"accept": "application/json"}
        if visitor:
            headers["x-northgate-visitor"] = visitor
        response = await client.get(url + "/api/v1/applications/standin", headers=headers)
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
        gate = response.headers.get("x-northgate-gate")
        if gate == "admitted":
            admitted[url] += 1
        elif gate == "queued":
            _last_visitor[id(client)] = response.json()["visitor"]


async def test_two_nodes_share_the_global_admission_rate(
    redis_server: RedisServer, tmp_path: Path
) -> None:
    event = "g" + secrets.token_hex(4)
    env = {
        "NORTHGATE_REDIS_URL": redis_server.url,
        "NORTHGATE_GATE_EVENT": event,
        "NORTHGATE_GATE_MODE": "fixed",
        "NORTHGATE_GATE_ADMISSIONS_PER_MINUTE": "1200",  # 20 per second, for both nodes
        "NORTHGATE_GATE_POLL_SECONDS": "0.5",
        "NORTHGATE_GATE_ABANDON_AFTER_SECONDS": "5",
        "NORTHGATE_GATE_MAX_ACTIVE": "100000",
    }
    with node(tmp_path / "a", env) as a, node(tmp_path / "b", env) as b:
        store = redis_sync.Redis.from_url(redis_server.url)
        key = f"ng:gate:{{{event}}}:q"
        admitted = {a: 0, b: 0}
        statuses: dict[int, int] = {}
        async with httpx.AsyncClient(timeout=5) as client:
            stop = asyncio.Event()
            loops = [
                asyncio.create_task(_poll_loop([a, b], stop, admitted, statuses, 0.2))
                for _ in range(80)
            ]
            try:
                # The bucket starts full (a burst the limit allows): measure once it is
                # drained. How long draining takes depends on how fast this machine polls
                # (it once took over 5 s in CI); the measured window is 6 s either way.
                drained_by = time.monotonic() + 30
                while float(store.hget(key, "tokens") or 99) >= 1:
                    assert time.monotonic() < drained_by, "the bucket never drained"
                    await asyncio.sleep(0.05)
                start, first = time.monotonic(), int(store.hget(key, "admitted") or 0)
                await asyncio.sleep(6)
                end, last = time.monotonic(), int(store.hget(key, "admitted") or 0)
            finally:
                stop.set()
                await asyncio.gather(*loops)
            rate = (last - first) / (end - start)
            # Not above the limit: two nodes that did not share it would admit ~40/s. Below
            # it only when 80 pollers fall behind on a busy 2-core machine (18.7 once, with
            # the two nodes, Redis and the pollers on two cores).
            assert 20.0 * 0.75 <= rate <= 20.0 * 1.05, (rate, statuses)
            assert admitted[a] > 10 and admitted[b] > 10
            assert set(statuses) <= {200, 404, 503}, statuses
            # A pass from one node is good on the other: verified locally with the shared key.
            fresh = await client.post(
                a + "/ops/gate/limits", headers=AUTH, json={"admissions_per_minute": 60000}
            )
            assert fresh.status_code == 200
            await asyncio.sleep(1.5)  # the other node reads the new limit within a second
            limits = (await client.get(b + "/ops/gate", headers=AUTH)).json()["limits"]
            assert limits["admissions_per_minute"] == 60000


async def test_redis_down_the_node_keeps_answering_and_recovers(tmp_path: Path) -> None:
    server = RedisServer()
    server.start()
    event = "d" + secrets.token_hex(4)
    env = {
        "NORTHGATE_REDIS_URL": server.url,
        "NORTHGATE_GATE_EVENT": event,
        "NORTHGATE_GATE_MODE": "fixed",
        "NORTHGATE_GATE_ADMISSIONS_PER_MINUTE": "600",
        "NORTHGATE_GATE_POLL_SECONDS": "1",
        "NORTHGATE_GATE_ABANDON_AFTER_SECONDS": "5",
    }
    try:
        with node(tmp_path / "n", env) as url:
            async with httpx.AsyncClient(timeout=5) as client:

                async def burst(count: int) -> list[httpx.Response]:
                    return await asyncio.gather(
                        *(
                            client.get(
                                url + "/en/eta/apply",
                                headers={"cookie": ""},
                                follow_redirects=False,
                            )
                            for _ in range(count)
                        )
                    )

                async def backend() -> str:
                    report = (await client.get(url + "/ops/gate", headers=AUTH)).json()
                    return str(report["backend"])

                for response in await burst(20):
                    assert response.headers["x-northgate-gate"] in ("admitted", "queued")
                assert await backend() == "redis"

                port = server.port
                server.stop()  # Redis goes away mid-test
                started = time.monotonic()
                for _ in range(3):
                    for response in await burst(20):
                        assert response.status_code == 200
                        assert response.headers["x-northgate-gate"] in ("admitted", "queued")
                    await asyncio.sleep(0.5)
                assert time.monotonic() - started < 10
                assert await backend() == "memory-fallback"

                server = RedisServer()
                server.port = port
                server.start()  # and comes back
                deadline = time.monotonic() + 10
                while await backend() != "redis":
                    assert time.monotonic() < deadline, "the node did not go back to Redis"
                    await burst(2)
                    await asyncio.sleep(0.5)
                store = redis_sync.Redis.from_url(server.url)
                before = int(store.hget(f"ng:gate:{{{event}}}:q", "admitted") or 0)
                await burst(5)
                after = int(store.hget(f"ng:gate:{{{event}}}:q", "admitted") or 0)
                assert after > before or store.hget(f"ng:gate:{{{event}}}:q", "live")
    finally:
        server.stop()


async def test_overload_gets_no_5xx_and_no_timeouts(tmp_path: Path) -> None:
    """~30x the admission rate of new visitors, plus admitted visitors working, for 8 s."""
    env = {
        "NORTHGATE_GATE_MODE": "adaptive",
        "NORTHGATE_GATE_ADMISSIONS_PER_MINUTE": "600",
        "NORTHGATE_GATE_POLL_SECONDS": "2",
        "NORTHGATE_GATE_ABANDON_AFTER_SECONDS": "5",
    }
    started = time.monotonic()
    with node(tmp_path / "o", env) as url:
        statuses: dict[str, int] = {}
        slowest = 0.0
        deadline = time.monotonic() + 8

        async def visitor(index: int) -> None:
            """Odd ones are a flood of new visitors; even ones, once admitted, keep working."""
            nonlocal slowest
            async with httpx.AsyncClient(timeout=5) as client:
                while time.monotonic() < deadline:
                    sent = time.monotonic()
                    response = await client.get(url + "/en/eta/apply")
                    slowest = max(slowest, time.monotonic() - sent)
                    kind = response.headers.get("x-northgate-gate", "served")
                    key = f"{response.status_code} {kind}"
                    statuses[key] = statuses.get(key, 0) + 1
                    if index % 2 or kind == "queued":
                        client.cookies.clear()

        await asyncio.gather(*(visitor(i) for i in range(48)))
        assert statuses, "no request completed"
        assert not [key for key in statuses if key.startswith("5")], statuses
        assert slowest < 5
        assert sum(v for k, v in statuses.items() if "queued" in k) > 0, statuses
        assert sum(v for k, v in statuses.items() if "admitted" in k or "served" in k) > 0
    assert time.monotonic() - started < 30
