"""The whole production topology on loopback: nginx with the edge's Lua, two real
`northgate serve` nodes and Redis. Python decides who goes in and publishes how far the
line has advanced; nginx answers the line; a visitor reaches a node when its turn has
come and leaves with a pass."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from tests.deploy.test_nginx import edge_keys, running_nginx
from tests.edge.lua.harness import SECRET, export_static, place_of, settings_env, wait_for
from tests.support.live import LiveServer, start_server
from tests.support.servers import RedisServer

pytestmark = pytest.mark.nginx

APPLY = "/en/eta/apply"
# Fixed mode, one admission a second for all nodes together: a line forms at once.
GATE = {
    "NORTHGATE_GATE_MODE": "fixed",
    "NORTHGATE_GATE_ADMISSIONS_PER_MINUTE": "60",
    "NORTHGATE_GATE_POLL_SECONDS": "1",
    "NORTHGATE_GATE_ABANDON_AFTER_SECONDS": "3",
}


@pytest.fixture
def nodes(tmp_path: Path, redis_server: RedisServer) -> Iterator[list[LiveServer]]:
    env = {"NORTHGATE_SECRET_KEY": SECRET, "NORTHGATE_REDIS_URL": redis_server.url, **GATE}
    started: list[LiveServer] = []
    try:
        for name in ("a", "b"):
            started.append(start_server(tmp_path / f"node-{name}", env))
        yield started
    finally:
        for node in started:
            node.stop()


def upstream_of(log: Path) -> list[str]:
    """The upstream address of each request for the journey page, from nginx's request log
    (northgate_requests: `upstream=-` when nginx answered it alone)."""
    found = []
    for line in log.read_text().splitlines():
        if f'"{APPLY}"' in line:
            match = re.search(r"upstream=(\S+)", line)
            found.append(match.group(1) if match else "?")
    return found


def test_waiters_are_answered_by_nginx_and_admitted_by_python(
    tmp_path: Path, redis_server: RedisServer, nodes: list[LiveServer]
) -> None:
    env = settings_env(tmp_path, redis_server.url, **GATE)
    site = export_static(tmp_path / "static", env)
    keys = edge_keys(tmp_path / "edge-keys.json", env)
    base = tmp_path / "nginx"
    with running_nginx(base, site, [node.port for node in nodes], keys=keys, workers=2) as nginx:
        visitors = [nginx.client() for _ in range(12)]
        try:
            # A crowd arrives at once: Python lets the first in and queues the rest; within
            # a second it publishes that it is no longer admitting freely.
            first = [visitor.get(APPLY) for visitor in visitors]
            assert all(response.status_code == 200 for response in first)
            wait_for(lambda: place_of(nginx.client().get(APPLY)) is not None, timeout=20)
            # Everyone keeps polling, as the room's Refresh says, until all are in.
            admitted: set[int] = {
                i for i, r in enumerate(first) if r.headers.get("x-northgate-gate") == "admitted"
            }
            deadline = time.monotonic() + 60
            while len(admitted) < len(visitors) and time.monotonic() < deadline:
                for i, visitor in enumerate(visitors):
                    if i in admitted:
                        continue
                    response = visitor.get(APPLY)
                    assert response.status_code == 200
                    if "ng_pass" in visitor.cookies:
                        admitted.add(i)
                time.sleep(0.5)
            assert len(admitted) == len(visitors)
            # An admitted visitor's pass is checked at the edge and the page comes from a node.
            page = visitors[-1].get(APPLY)
            assert page.status_code == 200
            assert (
                "x-northgate-gate" not in page.headers
                or page.headers["x-northgate-gate"] != "queued"
            )
        finally:
            for visitor in visitors:
                visitor.close()
    upstreams = upstream_of(base / "northgate-requests.log")
    alone = sum(1 for u in upstreams if u == "-")
    # Most of the line's polls were answered by nginx alone, not by a node; once nginx
    # kept the line, a node saw little more than one request per visitor let in.
    assert alone > len(upstreams) / 2, (alone, len(upstreams))
    after = upstreams[upstreams.index("-") :]
    assert sum(1 for u in after if u != "-") <= 2 * len(visitors), upstreams
    # Python's publication: the edge's state and the line's progress are in Redis.
    client = redis.Redis.from_url(redis_server.url, decode_responses=True)
    state = client.hgetall("ng:gate:{eta}:edge:state")
    admitted_from_edge = int(client.hget("ng:gate:{eta}:edge:ctl", "admitted") or 0)
    client.close()
    assert int(state["below"]) > 1
    assert state["gen"]
    # Some visitors went in with a place nginx gave them, checked by a node.
    assert admitted_from_edge >= 1
