"""Faults at the edge, with real processes: Redis down, every node down, nginx reloaded
or restarted. The waiting room keeps answering and nobody loses a place."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis

from tests.deploy.test_nginx import edge_keys, running_nginx
from tests.edge.lua.harness import (
    Line,
    RecordingNode,
    export_static,
    place_of,
    reload_nginx,
    settings_env,
    wait_for,
)
from tests.support.servers import RedisServer, free_port

pytestmark = pytest.mark.nginx

APPLY = "/en/eta/apply"
API = "/api/v1/applications"


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer()
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("faults-site")
    return export_static(base / "static", settings_env(base, "redis://127.0.0.1:1/0"))


def keys_for(base: Path, redis_server: RedisServer) -> Path:
    return edge_keys(base / "edge-keys.json", settings_env(base, redis_server.url))


def waiting_place(client: httpx.Client, line: Line) -> int:
    """The ticket of a place this edge gives, once it answers by the state just published
    (the place stays in the client's cookies)."""
    found: list[int] = []

    def placed() -> bool:
        client.cookies.clear()
        place = place_of(client.get(APPLY))
        if place is not None and place.gen == line.gen:
            found.append(place.ticket)
            return True
        return False

    wait_for(placed)
    return found[-1]


def test_redis_down_the_edge_keeps_places_and_admits_slowly(
    tmp_path: Path, site: Path, redis_server: RedisServer
) -> None:
    """Redis unreachable: the edge keeps the last state it read, every place is kept, and
    the line moves at half the last measured outflow (the nodes' own fallback limits then
    decide): slowly, but nobody is stuck for good."""
    node = RecordingNode()
    line = Line(redis.Redis.from_url(redis_server.url))
    line.publish(free=False, below=1, outflow=2.0, waiting=10)
    keys = keys_for(tmp_path, redis_server)
    with (
        node.running(),
        running_nginx(tmp_path / "nginx", site, [node.port], keys=keys) as nginx,
        nginx.client() as client,
    ):
        ticket = waiting_place(client, line)
        token = client.cookies["ng_place"]
        # The line is just short of this place when Redis goes away.
        line.publish(free=False, below=ticket, outflow=2.0, waiting=10)
        time.sleep(1.5)
        node.requests.clear()
        redis_server.stop()
        polled = client.get(APPLY)
        assert polled.status_code == 200
        assert "set-cookie" not in polled.headers  # the same place, still answered
        assert node.requests == []
        with nginx.client() as newcomer:
            assert newcomer.get(APPLY).status_code == 200  # a new visitor waits too
        # Stale after 3 s: the edge moves the line by itself, conservatively.
        wait_for(lambda: client.get(APPLY).text == "from the node", timeout=20)
        assert node.requests[-1].headers["x-northgate-place"] == token
    line.client.close()


def test_every_node_down_the_waiting_room_keeps_answering(
    tmp_path: Path, site: Path, redis_server: RedisServer
) -> None:
    line = Line(redis.Redis.from_url(redis_server.url))
    line.publish(free=False, below=1)
    keys = keys_for(tmp_path, redis_server)
    dead = [free_port(), free_port()]
    with (
        running_nginx(tmp_path / "nginx", site, dead, keys=keys) as nginx,
        nginx.client() as client,
    ):
        waiting_place(client, line)
        token = client.cookies["ng_place"]
        # Its turn comes, but no node answers: the room again, the place kept.
        line.publish(free=False, below=10**9)
        time.sleep(1.5)
        for _ in range(3):
            response = client.get(APPLY)
            assert response.status_code == 200, response.status_code
            assert response.headers["x-northgate-gate"] == "queued"
            assert client.cookies["ng_place"] == token
        api = client.post(API, json={}, headers={"x-northgate-place": token})
        assert api.status_code == 503 and api.json()["place_token"] == token
        # Admitting freely, but nobody there: a new visitor gets a place, not a 502.
        line.publish(free=True, below=1)
        time.sleep(1.5)
        with nginx.client() as newcomer:
            first = newcomer.get(APPLY)
            assert first.status_code == 200
            assert place_of(first) is not None
        # What is not kept in line still gets the exported 503 page.
        assert client.get("/healthz").status_code == 503
    line.client.close()


def test_a_reload_or_restart_of_nginx_loses_no_place(
    tmp_path: Path, site: Path, redis_server: RedisServer
) -> None:
    node = RecordingNode()
    line = Line(redis.Redis.from_url(redis_server.url))
    line.publish(free=False, below=1)
    keys = keys_for(tmp_path, redis_server)
    with node.running():
        with running_nginx(tmp_path / "first", site, [node.port], keys=keys) as nginx:
            with nginx.client() as client:
                ticket = waiting_place(client, line)
                token = client.cookies["ng_place"]
            reload_nginx(nginx.base)
            time.sleep(1.0)
            with nginx.client() as client:
                client.cookies.set("ng_place", token)
                wait_for(lambda: client.get(APPLY).status_code == 200)
                again = client.get(APPLY)
                assert "set-cookie" not in again.headers  # the same place
        # Another nginx (a restart, or another host) with the same keys file.
        with (
            running_nginx(tmp_path / "second", site, [node.port], keys=keys) as other,
            other.client() as client,
        ):
            client.cookies.set("ng_place", token)
            wait_for(lambda: "set-cookie" not in client.get(APPLY).headers)
            line.publish(free=False, below=ticket + 1)
            wait_for(lambda: client.get(APPLY).text == "from the node")
    assert node.requests[-1].headers["x-northgate-place"] == token
    line.client.close()
