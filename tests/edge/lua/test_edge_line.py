"""The line kept at the edge, through a real nginx with the example configuration, real
Redis and a node that records every request it receives: what nginx answers by itself
never reaches the node, and what reaches it carries only tokens nginx verified."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import redis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from northgate.edge.gate.passes import Pass, PassRefused, PassSigner
from northgate.edge.gate.places import Place
from northgate.edge.gate.routes import classify
from tests.deploy.test_nginx import Nginx, edge_keys, running_nginx
from tests.edge.lua.harness import (
    EVENT,
    Line,
    RecordingNode,
    export_static,
    passes,
    place_of,
    places,
    settings_env,
    wait_for,
)
from tests.support.fuzz import latin1, mangled
from tests.support.servers import RedisServer

pytestmark = pytest.mark.nginx

APPLY = "/en/eta/apply"  # a page that needs a pass (asserted below, from the table)
API = "/api/v1/applications"


@dataclass
class Edge:
    nginx: Nginx
    node: RecordingNode
    line: Line
    base: Path

    def client(self) -> httpx.Client:
        return self.nginx.client()

    def synced(self, *, free: bool, below: int, **fields: object) -> None:
        """Publish a new state and wait until this nginx answers by it."""
        self.line.new_generation()
        self.line.publish(free=free, below=below, **fields)  # type: ignore[arg-type]
        gen = self.line.gen

        def caught_up() -> bool:
            before = len(self.node.requests)
            with self.client() as client:
                response = client.get(APPLY)
            if free:
                return len(self.node.requests) > before
            place = place_of(response)
            return place is not None and place.gen == gen

        wait_for(caught_up)
        self.node.requests.clear()


@pytest.fixture(scope="module")
def redis_server() -> Iterator[RedisServer]:
    """Redis of this module's own (the fault tests stop it)."""
    server = RedisServer()
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def edge(tmp_path_factory: pytest.TempPathFactory, redis_server: RedisServer) -> Iterator[Edge]:
    base = tmp_path_factory.mktemp("edge")
    env = settings_env(base, redis_server.url)
    site = export_static(base / "static", env)
    keys = edge_keys(base / "edge-keys.json", env)
    node = RecordingNode()
    client = redis.Redis.from_url(redis_server.url)
    line = Line(client)
    line.publish(free=False, below=1)
    with (
        node.running(),
        running_nginx(base / "nginx", site, [node.port], keys=keys, workers=2) as nginx,
    ):
        yield Edge(nginx, node, line, base / "nginx")
    client.close()


def test_the_page_used_here_needs_a_pass() -> None:
    route = classify("GET", APPLY)
    assert route.needs_pass and route.klass != 0
    assert classify("POST", API).needs_pass


# ---- Passes: only a verified one reaches a node ----


def bad_passes() -> dict[str, str]:
    signer = passes()
    now = int(time.time())
    good = signer.sign(Pass(EVENT, "visitor1", now, now + 600, "jti1"))
    payload, _, mac = good.partition(".")
    other_key = PassSigner(b"another secret entirely, 0123456789abcdef", EVENT, ttl=1800, cap=14400)
    return {
        "expired": signer.sign(Pass(EVENT, "v", now - 700, now - 1, "j")),
        "beyond-the-cap": signer.sign(Pass(EVENT, "v", now - 10, now + 20_000, "j")),
        "other-event": signer.sign(Pass("other", "v", now, now + 600, "j")),
        "tampered": payload[:-3] + ("A" if payload[-3] != "A" else "B") + payload[-2:] + "." + mac,
        "forged": other_key.sign(Pass(EVENT, "v", now, now + 600, "j")),
        "a-place": places().sign(Place(EVENT, "g", 1, now)),
        "garbage": "not.a-pass",
    }


@pytest.mark.parametrize("name", sorted(bad_passes()))
def test_a_bad_pass_never_reaches_a_node(edge: Edge, name: str) -> None:
    edge.synced(free=False, below=1)
    token = bad_passes()[name]
    with edge.client() as client:
        page = client.get(APPLY, headers={"cookie": f"ng_pass={token}"})
        header = client.get(APPLY, headers={"x-northgate-pass": token})
        api = client.post(API, json={}, headers={"x-northgate-pass": token})
    assert page.status_code == header.status_code == 200
    assert page.headers["x-northgate-gate"] == "queued"
    assert "refresh" in page.headers
    assert api.status_code == 503
    assert int(api.headers["retry-after"]) >= 1
    assert api.json()["status"] == "waiting"
    assert edge.node.requests == []


def test_a_valid_pass_reaches_the_node_alone(edge: Edge) -> None:
    edge.synced(free=False, below=1)
    now = int(time.time())
    token = passes().sign(Pass(EVENT, "visitor1", now, now + 600, "jti-valid"))
    forged = bad_passes()["forged"]
    with edge.client() as client:
        response = client.get(
            APPLY, headers={"cookie": f"ng_pass={forged}; lang=fr; ng_pass={token}"}
        )
    assert response.text == "from the node"
    [seen] = edge.node.requests
    assert seen.headers["x-northgate-pass"] == token
    # The other cookies go on; no unchecked copy of a pass does.
    assert seen.headers["cookie"] == "lang=fr"


def test_while_admitting_freely_a_bad_pass_is_stripped(edge: Edge) -> None:
    edge.synced(free=True, below=1)
    with edge.client() as client:
        response = client.get(APPLY, headers={"cookie": f"ng_pass={bad_passes()['forged']}"})
    assert response.text == "from the node"
    [seen] = edge.node.requests
    assert "x-northgate-pass" not in seen.headers
    assert "ng_pass" not in seen.headers.get("cookie", "")


# ---- Places: handed out here, kept, and only a turn that has come reaches a node ----


def test_a_new_visitor_gets_a_signed_place_and_the_same_place_on_every_poll(edge: Edge) -> None:
    edge.synced(free=False, below=1, outflow=2.0, waiting=40)
    with edge.client() as client:
        first = client.get(APPLY)
        place = place_of(first)
        assert place is not None and place.gen == edge.line.gen and place.ticket >= 1
        assert "Max-Age=86400" in first.headers["set-cookie"]
        assert "HttpOnly" in first.headers["set-cookie"]
        again = client.get(APPLY)  # the client sends the cookie back
        french = client.get("/fr/ave/demande")
        head = client.head(APPLY)
    assert first.status_code == again.status_code == french.status_code == head.status_code == 200
    assert "set-cookie" not in again.headers  # the same place: nothing new to sign
    assert "You are in line" in first.text
    assert "Vous êtes dans la file" in french.text or "file d’attente" in french.text
    assert head.content == b""
    assert first.headers["cache-control"] == "no-store"
    assert first.headers["refresh"].endswith(f"url={APPLY}")
    assert edge.node.requests == []


def test_the_api_gets_its_place_as_json_with_retry_after(edge: Edge) -> None:
    edge.synced(free=False, below=1, outflow=1.0, waiting=5)
    with edge.client() as client:
        response = client.post(API, json={})
    body = response.json()
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/json"
    assert body["status"] == "waiting" and body["place"] >= 1
    assert int(response.headers["retry-after"]) == body["retry_after"]
    token = body["place_token"]
    assert places().verify(token, int(time.time())).gen == edge.line.gen
    with edge.client() as client:
        polled = client.post(API, json={}, headers={"x-northgate-place": token})
    assert polled.status_code == 503
    assert polled.json()["place_token"] == token
    assert edge.node.requests == []


def test_only_a_place_whose_turn_has_come_reaches_a_node(edge: Edge) -> None:
    edge.synced(free=False, below=1)
    with edge.client() as client:
        place = place_of(client.get(APPLY))
        assert place is not None
        token = client.cookies["ng_place"]
        assert client.get(APPLY).status_code == 200
        assert edge.node.requests == []
        # Python moves the line past this ticket: the next poll goes to a node.
        edge.line.publish(free=False, below=place.ticket + 1)
        wait_for(lambda: client.get(APPLY).text == "from the node")
    seen = edge.node.requests[-1]
    assert seen.headers["x-northgate-place"] == token
    assert "ng_place" not in seen.headers.get("cookie", "")


def test_a_tampered_or_stale_place_gets_a_new_one(edge: Edge) -> None:
    edge.synced(free=False, below=10**9)  # every current ticket's turn has come
    now = int(time.time())
    stale_gen = places().sign(Place(EVENT, "oldgen", 1, now))
    other_event = places().sign(Place("other", edge.line.gen, 1, now))
    good = places().sign(Place(EVENT, edge.line.gen, 1, now))
    payload, _, mac = good.partition(".")
    tampered = f"{payload}.{mac[:5]}{'A' if mac[5] != 'A' else 'B'}{mac[6:]}"
    edge.line.publish(free=False, below=1)
    wait_for(lambda: edge.node.requests == [])
    for token in (stale_gen, other_event, tampered):
        with edge.client() as client:
            response = client.get(APPLY, headers={"cookie": f"ng_place={token}"})
        fresh = place_of(response)
        assert fresh is not None and fresh.gen == edge.line.gen
    assert edge.node.requests == []


def test_tickets_are_unique_and_claimed_in_blocks(edge: Edge) -> None:
    edge.synced(free=False, below=1)
    tail_before = int(edge.line.client.get(edge.line.keys["tail"]) or 0)
    time.sleep(1.2)  # what earlier tests handed out is reported
    reports_before = int(edge.line.client.llen(edge.line.keys["blocks"]))
    tickets = []
    with httpx.Client(base_url=edge.nginx.url, timeout=5) as client:
        for _ in range(200):
            response = client.get(APPLY)
            place = place_of(response)
            assert place is not None
            tickets.append(place.ticket)
            client.cookies.clear()
    assert len(set(tickets)) == len(tickets)
    time.sleep(2.5)  # the workers report what they handed out
    reported = edge.line.client.lrange(edge.line.keys["blocks"], reports_before, -1)
    covered = set()
    for item in reported:
        text = item.decode() if isinstance(item, bytes) else str(item)
        first, last = (int(x) for x in text.split(":"))
        covered |= set(range(first, last + 1))
    assert set(tickets) <= covered
    tail = int(edge.line.client.get(edge.line.keys["tail"]) or 0)
    # Ranges, not a report per visitor (once a second per worker, or per block used up).
    assert len(reported) <= 20, len(reported)
    assert tail - tail_before >= len(tickets)
    assert edge.node.requests == []


def test_redis_commands_do_not_grow_with_the_waiters(edge: Edge) -> None:
    """The edge's Redis traffic is per worker per second, whatever the line's length."""
    edge.synced(free=False, below=1)

    def commands_in(seconds: float, waiters: int) -> int:
        client = edge.line.client
        client.config_resetstat()
        with httpx.Client(base_url=edge.nginx.url, timeout=5) as http:
            deadline = time.monotonic() + seconds
            while time.monotonic() < deadline:
                for _ in range(waiters):
                    http.get(APPLY)
                    http.cookies.clear()
                time.sleep(0.05)
        stats = client.info("commandstats")
        return sum(int(v["calls"]) for k, v in stats.items() if k != "cmdstat_info")

    idle = commands_in(3.0, 0)
    busy = commands_in(3.0, 40)
    # Two workers, ~4 commands a second each, plus this test's own few.
    assert idle <= 40 and busy <= 60, (idle, busy)
    assert edge.node.requests == []


# ---- No way around the line ----

VARIANTS = [
    ("GET", APPLY),
    ("HEAD", APPLY),
    ("POST", APPLY),
    ("GET", APPLY + "/"),
    ("GET", APPLY + "//"),
    ("GET", "/en//eta/apply"),
    ("GET", "/en/eta/%61pply"),
    ("GET", "/en/eta/apply%2F"),
    ("GET", "/en/eta/./apply"),
    ("GET", "/en/eta/x/../apply"),
    ("GET", APPLY + "?x=1"),
    ("GET", APPLY + "/email"),
    ("GET", "/EN/ETA/APPLY"),
    ("GET", "/en/eta/Apply"),
    ("POST", API),
    ("PUT", API),
    ("OPTIONS", API),
    ("GET", "/api/v1/applications/ABC"),
]


@pytest.mark.parametrize(("method", "path"), VARIANTS)
def test_no_spelling_of_a_gated_address_gets_past_the_edge(
    edge: Edge, method: str, path: str
) -> None:
    """A request may reach a node only if the gate there would not keep it in line (a
    different address: its 404) — never a gated one without a pass or a turn."""
    edge.synced(free=False, below=1)
    with edge.client() as client:
        response = client.request(method, path)
    assert response.status_code in (200, 303, 400, 404, 503)
    from urllib.parse import unquote, urlsplit

    for seen in edge.node.requests:
        received = unquote(urlsplit(seen.path).path)
        route = classify(seen.method, received)
        assert not route.needs_pass or route.klass == 0, (method, path, seen.path)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_fuzzed_passes_and_places_reach_a_node_only_when_python_accepts_them(
    edge: Edge, data: st.DataObject
) -> None:
    if not getattr(edge, "_fuzz_synced", False):
        edge.synced(free=False, below=1)
        edge._fuzz_synced = True  # type: ignore[attr-defined]
    now = int(time.time())
    valid_pass = passes().sign(Pass(EVENT, "visitor1", now, now + 600, "jti-fuzz")).encode()
    valid_place = places().sign(Place(EVENT, edge.line.gen, 10**9, now)).encode()
    pass_value = latin1(data.draw(mangled(valid_pass)))
    place_value = latin1(data.draw(mangled(valid_place)))
    where = data.draw(st.sampled_from(["cookie", "header"]))
    if where == "cookie":
        headers = {"cookie": f"ng_pass={pass_value}; ng_place={place_value}"}
    else:
        headers = {"x-northgate-pass": pass_value, "x-northgate-place": place_value}
    edge.node.requests.clear()
    with edge.client() as client:
        try:
            response = client.get(
                APPLY, headers={k.encode(): v.encode("latin-1") for k, v in headers.items()}
            )
        except httpx.LocalProtocolError:
            return  # not sendable as HTTP at all
    assert response.status_code in (200, 400), response.status_code
    if edge.node.requests:
        try:
            passes().verify(pass_value.strip().strip('"'), now)
        except PassRefused:
            pytest.fail(f"forwarded without a valid pass: {headers!r}")


def test_a_pass_ended_after_submission_is_refused_at_the_edge(edge: Edge) -> None:
    """The nodes end a pass when its application is submitted (the gate's `revoked` set);
    nginx copies that set each second, so a replayed copy is answered with the room."""
    edge.synced(free=False, below=1)
    now = int(time.time())
    token = passes().sign(Pass(EVENT, "visitor1", now, now + 600, "jti-submitted"))
    with edge.client() as client:
        assert client.get(APPLY, headers={"x-northgate-pass": token}).text == "from the node"
        edge.line.client.zadd(f"ng:gate:{{{EVENT}}}:revoked", {"jti-submitted": now * 1000})
        wait_for(
            lambda: (
                client.get(APPLY, headers={"x-northgate-pass": token}).headers.get(
                    "x-northgate-gate"
                )
                == "queued"
            )
        )
    edge.node.requests.clear()
    with edge.client() as client:
        replayed = client.get(APPLY, headers={"x-northgate-pass": token})
    assert replayed.headers["x-northgate-gate"] == "queued"
    assert edge.node.requests == []
