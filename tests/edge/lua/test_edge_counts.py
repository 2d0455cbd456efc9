"""Counting at the edge (deploy/nginx/lua/northgate/counts.lua): every arrival nginx answers
alone, counted in a shared dict and handed to a real `northgate edge-log` once a second,
exactly, by section and outcome; addresses only ever as their block."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
import redis

from tests.deploy.test_nginx import (
    HAND_OVER_S,
    EdgeLogCollector,
    an_asset,
    edge_keys,
    running_nginx,
)
from tests.edge.lua.harness import Line, export_static, place_of, settings_env, wait_for
from tests.support.servers import RedisServer, free_port

pytestmark = pytest.mark.nginx

APPLY = "/en/eta/apply"


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    """Redis of this test's own: the line it publishes must not outlive it (the other
    tests' nodes publish their own)."""
    server = RedisServer()
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def blocks(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A test server of nginx's that answers the block of the address it is given."""
    base = tmp_path_factory.mktemp("blocks")
    port = free_port()
    server = f"""
    server {{
        listen 127.0.0.1:{port};
        location / {{
            content_by_lua_block {{
                local counts = require("northgate.counts")
                ngx.print(counts.block_of(ngx.unescape_uri(ngx.var.arg_a)))
            }}
        }}
    }}"""
    site = base / "static"
    site.mkdir()
    with running_nginx(base / "nginx", site, [free_port()], extra_http=server):
        yield f"http://127.0.0.1:{port}/"


@pytest.mark.parametrize(
    ("address", "block"),
    [
        ("203.0.113.9", "203.0.113.0"),
        ("10.1.2.255", "10.1.2.0"),
        ("::ffff:198.51.100.7", "198.51.100.0"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1::"),
        ("2001:db8::1", "2001:db8:0::"),
        ("2001::1:2:3:4:5:6", "2001:0:1::"),
        ("::1", "0:0:0::"),
        ("fe80::", "fe80:0:0::"),
        ("unix:", ""),
    ],
)
def test_an_address_is_only_ever_its_block(blocks: str, address: str, block: str) -> None:
    assert httpx.get(blocks, params={"a": address}, timeout=5).text == block


def test_every_arrival_nginx_answers_alone_is_counted_exactly(
    tmp_path: Path, redis_server: RedisServer
) -> None:
    """Pages, assets, the waiting room (new visitors, polls, API clients) and the busy page
    while no node answers, from several threads at once through two nginx workers: exactly
    as many arrivals reach the analytics, in the right section and outcome."""
    env = settings_env(tmp_path, redis_server.url)
    site = export_static(tmp_path / "static", env)
    keys = edge_keys(tmp_path / "edge-keys.json", env)
    line = Line(redis.Redis.from_url(redis_server.url))
    line.publish(free=False, below=1, outflow=1.0, waiting=10)
    collector = EdgeLogCollector(tmp_path / "collector")
    dead = [free_port(), free_port()]
    threads, rounds = 4, 25
    with collector.running():
        with running_nginx(
            tmp_path / "nginx", site, dead, edge_log=collector.socket, keys=keys, workers=2
        ) as nginx:
            warm_up: list[httpx.Response] = []  # until nginx has read the line: rooms too
            with nginx.client() as client:

                def placed() -> bool:
                    warm_up.append(client.get(APPLY))
                    return place_of(warm_up[-1]) is not None

                wait_for(placed)
            asset = an_asset(site)

            def visit(client: httpx.Client) -> None:
                assert client.get("/en/eta").status_code == 200
                assert client.get(asset).status_code == 200
                new = client.get(APPLY)  # a place and the room
                assert new.headers.get("x-northgate-gate") == "queued", (
                    new.status_code,
                    new.text[:300],
                )
                assert client.get(APPLY).status_code == 200  # a poll, with its place cookie
                api = client.get(APPLY, headers={"accept": "application/json"})
                assert api.status_code == 503
                assert client.get("/en/not-a-page").status_code == 503  # no node answers

            run_in_threads(threads, rounds, nginx.client, visit)
            time.sleep(HAND_OVER_S)
        output = collector.stop()
    n = threads * rounds
    counts = collector.counts()
    assert "(0 rejected)" in output
    assert sum(counts.values()) == 6 * n + len(warm_up)
    assert counts.pop(("eta", "queued")) == 3 * n + len(warm_up)
    assert counts == {
        ("information", "served"): n,
        ("assets", "served"): n,
        ("information", "shed"): n,
    }


def run_in_threads(
    threads: int,
    rounds: int,
    client: Callable[[], httpx.Client],
    visit: Callable[[httpx.Client], None],
) -> None:
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(rounds):
                with client() as each:  # a new connection: both workers take some
                    visit(each)
        except BaseException as error:  # reported below, in the test's thread
            errors.append(error)

    started = [threading.Thread(target=work) for _ in range(threads)]
    for thread in started:
        thread.start()
    for thread in started:
        thread.join(120)
    assert not errors, errors
