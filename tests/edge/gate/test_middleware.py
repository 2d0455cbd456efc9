"""The gate in front of an application, over ASGI: waiting room, passes, shedding, admin."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from northgate.core.asgi import Receive, Scope, Send
from northgate.edge.errors import ErrorPages
from northgate.edge.gate import Gate, build_core, build_gate, end_pass
from northgate.edge.gate.memory import MemoryBackend
from northgate.settings import Settings
from northgate.site.render import Site, build_site
from tests.conftest import NODE_MODULES

TOKEN = "admin-token"


@pytest.fixture(scope="module")
def site() -> Site:
    return build_site(node_modules=NODE_MODULES, public_origin="http://testserver")


class App:
    """Answers 200 after ``delay`` seconds; ends the pass on POST .../check-your-answers."""

    def __init__(self) -> None:
        self.delay = 0.0
        self.seen: list[str] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.seen.append(scope["path"])
        if self.delay:
            await asyncio.sleep(self.delay)
        if scope["path"].endswith("check-your-answers") and scope["method"] == "POST":
            await end_pass(scope)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"the page"})


@pytest.fixture
def make_gate(
    site: Site, make_settings: Callable[..., Settings]
) -> Callable[..., tuple[Gate, App]]:
    def make(**overrides: object) -> tuple[Gate, App]:
        values: dict[str, object] = {"gate_admin_token": TOKEN, "gate_mode": "fixed"}
        values.update(overrides)
        app = App()
        settings = make_settings(**values)
        core = build_core(settings, MemoryBackend())
        return build_gate(settings, core, app, ErrorPages(site.errors), site.assets), app

    return make


@pytest.fixture
async def clients() -> AsyncIterator[Callable[[Gate], httpx.AsyncClient]]:
    opened: list[httpx.AsyncClient] = []

    def client(gate: Gate) -> httpx.AsyncClient:
        made = httpx.AsyncClient(transport=httpx.ASGITransport(app=gate), base_url="http://t")
        opened.append(made)
        return made

    yield client
    for made in opened:
        await made.aclose()


async def test_admitted_then_waiting_room_in_both_languages(
    make_gate: Callable[..., tuple[Gate, App]], clients: Callable[[Gate], httpx.AsyncClient]
) -> None:
    gate, app = make_gate(gate_admissions_per_minute=1)
    first = clients(gate)
    response = await first.get("/en/eta/apply")
    assert response.status_code == 200 and response.text == "the page"
    assert "ng_pass" in first.cookies and response.headers["x-northgate-pass"]
    cookie = response.headers.get_list("set-cookie")[0]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie

    second = clients(gate)
    english = await second.get("/en/eta/apply/passport")
    assert english.status_code == 200
    assert english.headers["x-northgate-gate"] == "queued"
    assert english.headers["refresh"].endswith("; url=/en/eta/apply/passport")
    assert english.headers["cache-control"] == "no-store"
    assert "You are in line" in english.text and '<html lang="en"' in english.text
    assert "<dd>1</dd>" in english.text  # place in line
    french = await second.get("/fr/ave/demande")
    assert "Vous êtes dans la file d’attente" in french.text and '<html lang="fr"' in french.text
    as_json = await second.get("/en/eta/apply", headers={"accept": "application/json"})
    assert as_json.status_code == 503 and int(as_json.headers["retry-after"]) >= 1
    body = as_json.json()
    assert body["status"] == "waiting" and body["place"] == 1 and body["waiting"] == 1
    assert app.seen == ["/en/eta/apply"]  # the waiting room never reached the application
    # Pages that need no pass and bypassed paths are not queued.
    assert (await second.get("/en/eta/check")).text == "the page"
    assert (await second.get("/healthz")).text == "the page"


async def test_api_clients_use_headers(
    make_gate: Callable[..., tuple[Gate, App]], clients: Callable[[Gate], httpx.AsyncClient]
) -> None:
    gate, _app = make_gate(gate_admissions_per_minute=1)
    client = clients(gate)
    admitted = await client.get("/api/v1/applications/X")
    assert admitted.status_code == 200
    token = admitted.headers["x-northgate-pass"]
    bare = clients(gate)
    waiting = await bare.get("/api/v1/applications/X")
    assert waiting.status_code == 503 and waiting.json()["visitor"]
    with_pass = await bare.get("/api/v1/applications/X", headers={"x-northgate-pass": token})
    assert with_pass.status_code == 200
    visitor = waiting.json()["visitor"]
    bare.cookies.clear()
    again = await bare.get("/api/v1/applications/X", headers={"x-northgate-visitor": visitor})
    assert again.json()["place"] == 1 and again.json()["waiting"] == 1  # same place


async def test_forged_and_revoked_passes_go_to_the_line(
    make_gate: Callable[..., tuple[Gate, App]], clients: Callable[[Gate], httpx.AsyncClient]
) -> None:
    gate, app = make_gate(gate_admissions_per_minute=1, gate_max_active=1)
    client = clients(gate)
    token = (await client.get("/en/eta/apply")).headers["x-northgate-pass"]
    forged = clients(gate)
    forged.cookies.set("ng_pass", token[:-3] + "AAA")
    assert (await forged.get("/en/eta/apply")).headers["x-northgate-gate"] == "queued"
    submitted = await client.post("/en/eta/apply/check-your-answers")
    assert submitted.status_code == 200  # CRITICAL, with the pass: the application ends it
    replay = clients(gate)
    replayed = await replay.get("/en/eta/apply", headers={"x-northgate-pass": token})
    assert replayed.headers.get("x-northgate-gate") == "queued"
    assert app.seen.count("/en/eta/apply") == 1


async def test_priority_shedding_under_overload(
    make_gate: Callable[..., tuple[Gate, App]], clients: Callable[[Gate], httpx.AsyncClient]
) -> None:
    gate, app = make_gate(gate_admissions_per_minute=6000, gate_limit_floor=2,
                          gate_limit_ceiling=2)  # fmt: skip
    app.delay = 0.2
    client = clients(gate)
    await client.get("/en/eta/apply")  # a pass
    gate.core.limiter._probe = None  # skip the start-up latency measurement
    gate.core.limiter.baseline = 0.01
    busy = [asyncio.create_task(client.get("/en/eta/apply/a")) for _ in range(2)]
    await asyncio.sleep(0.05)
    status = await client.get("/en/eta/status")  # SHEDDABLE: refused at once
    assert status.status_code == 503 and status.headers["x-northgate-gate"] == "shed"
    assert 5 <= int(status.headers["retry-after"]) <= 20
    default = await client.get("/en/eta/apply/b")  # DEFAULT: brief wait, then refused
    assert default.status_code == 503
    critical = await client.post("/en/eta/apply/pay")  # CRITICAL: waits, never refused
    assert critical.status_code == 200
    assert all(r.status_code == 200 for r in await asyncio.gather(*busy))
    counters = gate.core.metrics.counters
    assert counters["shed.sheddable"] == 1 and counters["shed.default"] == 1


async def test_a_visitor_whose_turn_has_come_waits_briefly_for_a_slot(
    make_gate: Callable[..., tuple[Gate, App]], clients: Callable[[Gate], httpx.AsyncClient]
) -> None:
    gate, app = make_gate(gate_mode="adaptive", gate_admissions_per_minute=6000,
                          gate_limit_floor=1, gate_limit_ceiling=1)  # fmt: skip
    core = gate.core
    core.limiter._probe = None  # skip the start-up latency measurement
    core.limiter.baseline = 0.2  # a visitor whose turn has come waits up to 0.2 s for a slot
    app.delay = 0.05
    first, second = clients(gate), clients(gate)
    busy = asyncio.create_task(first.get("/en/eta/apply"))
    await asyncio.sleep(0.01)
    # The only slot is taken and nobody is in line: rather than being sent away for
    # seconds, the newcomer waits for the slot and runs in it as soon as it frees.
    waited = await second.get("/en/eta/apply")
    assert (await busy).status_code == 200
    assert waited.status_code == 200 and waited.headers["x-northgate-gate"] == "admitted"
    assert waited.text == "the page"
    assert core.guard.in_flight == 0

    app.delay = 0.5
    long = asyncio.create_task(first.get("/en/eta/apply/a"))  # holds the slot 0.5 s
    await asyncio.sleep(0.01)
    third = clients(gate)
    queued = await third.get("/en/eta/apply")  # no slot within 0.2 s: keeps a place
    assert queued.headers["x-northgate-gate"] == "queued" and "<dd>1</dd>" in queued.text
    assert core.guard.in_flight == 1  # the slot it waited for was not kept
    await long
    app.delay = 0.0
    assert (await third.get("/en/eta/apply")).text == "the page"  # its place, then the slot
    assert core.guard.in_flight == 0


async def test_outcome_hints_for_the_tap(
    make_gate: Callable[..., tuple[Gate, App]],
) -> None:
    gate, _app = make_gate(gate_admissions_per_minute=1)
    outcomes: list[Any] = []

    async def call(path: str) -> None:
        scope: dict[str, Any] = {
            "type": "http", "method": "GET", "path": path, "raw_path": path.encode(),
            "query_string": b"", "headers": [],
        }  # fmt: skip

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b""}

        async def send(_message: Any) -> None:
            return None

        await gate(scope, receive, send)
        outcomes.append(scope.get("state", {}).get("northgate.outcome"))

    await call("/en/eta/apply")
    await call("/en/eta/apply")
    assert outcomes == [None, "queued"]


async def test_admin_reads_and_changes_limits(
    make_gate: Callable[..., tuple[Gate, App]], clients: Callable[[Gate], httpx.AsyncClient]
) -> None:
    gate, _app = make_gate(gate_admissions_per_minute=1)
    client = clients(gate)
    assert (await client.get("/ops/gate")).status_code == 401
    auth = {"authorization": f"Bearer {TOKEN}"}
    report = (await client.get("/ops/gate", headers=auth)).json()
    assert report["limits"]["admissions_per_minute"] == 1 and report["backend"] == "memory"
    bad = await client.post("/ops/gate/limits", headers=auth, content=b'{"max_active": 0}')
    assert bad.status_code == 400
    changed = await client.post(
        "/ops/gate/limits", headers=auth, content=json.dumps({"admissions_per_minute": 600})
    )
    assert changed.status_code == 200 and gate.core.limits.admissions_per_minute == 600
    off = await client.post("/ops/gate/limits", headers=auth, content=b'{"enabled": false}')
    assert off.json()["enabled"] is False
    for _ in range(5):  # disabled: everything passes
        assert (await clients(gate).get("/en/eta/apply")).text == "the page"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("ng_pass=P.s; ng_visitor=V.1.2", ("P.s", "V.1.2")),
        ('theme=dark;ng_visitor="V.1.2" ; other=x=y', (None, "V.1.2")),
        ("xng_pass=no; ng_passport=no; ng_pass", (None, None)),
        ("ng_visitor=; ng_pass=P", ("P", None)),
        ("=;;; ng_pass=P=q; \x7f", ("P=q", None)),
    ],
)
def test_cookie_header_parsing(header: str, expected: tuple[str | None, str | None]) -> None:
    from northgate.edge.gate.middleware import _our_cookies

    assert _our_cookies(header) == expected


async def test_a_poll_that_changes_nothing_gets_its_own_token_back(
    make_gate: Callable[..., tuple[Gate, App]], clients: Callable[[Gate], httpx.AsyncClient]
) -> None:
    gate, _app = make_gate(gate_admissions_per_minute=1)
    await clients(gate).get("/api/v1/applications/X")  # takes the only token
    client = clients(gate)
    first = await client.post("/api/v1/applications")
    visitor = first.json()["visitor"]
    assert f"ng_visitor={visitor};" in first.headers["set-cookie"]
    again = await client.post("/api/v1/applications")  # the cookie jar sends it back
    assert again.json()["visitor"] == visitor and again.json()["place"] == 1
    assert f"ng_visitor={visitor};" in again.headers["set-cookie"]


async def test_waiting_room_json_is_valid_and_complete(
    make_gate: Callable[..., tuple[Gate, App]], clients: Callable[[Gate], httpx.AsyncClient]
) -> None:
    """Built by formatting rather than json.dumps: same fields, same types, valid JSON."""
    gate, _app = make_gate(gate_admissions_per_minute=1)
    await clients(gate).get("/api/v1/x")
    waiting = await clients(gate).get("/api/v1/x")
    body = json.loads(waiting.content)
    assert set(body) == {
        "status", "place", "ahead", "waiting", "estimated_wait_seconds",
        "estimated_admission_at", "retry_after", "next_check_at", "opens_at", "visitor",
    }  # fmt: skip
    assert body["status"] == "waiting" and body["opens_at"] is None
    # The line has not moved yet: its speed is not known, and no time is promised.
    assert body["estimated_wait_seconds"] is None and body["estimated_admission_at"] is None
    outflow = gate.core.outflow
    outflow.observe(0, gate.clock() - 20)
    outflow.observe(10, gate.clock() - 1)  # 10 admitted in 19 s while people waited
    waiting = await clients(gate).get("/api/v1/x")
    body = json.loads(waiting.content)
    assert isinstance(body["estimated_wait_seconds"], int)
    assert body["estimated_admission_at"].endswith("+00:00")
    assert body["retry_after"] == int(waiting.headers["retry-after"])
    assert int(waiting.headers["content-length"]) == len(waiting.content)


def test_waiting_json_matches_json_dumps() -> None:
    from northgate.edge.gate.core import Admission
    from northgate.edge.gate.room import waiting_json
    from northgate.edge.gate.visitor import Visitor

    cases = [
        Admission(False, Visitor("a"), position=4, waiting=9, wait=12.2, due=1_800_000_013,
                  retry=7),
        Admission(False, Visitor("b"), position=0, waiting=1, wait=None, retry=20,
                  prequeue=True, opens_at=1_800_000_600.5),
    ]  # fmt: skip
    for admission in cases:
        token = 'tok"en\\é'  # escaped by the JSON encoder, whatever a backend puts there
        built = json.loads(waiting_json(admission, 1_800_000_000.7, admission.retry, token))
        assert built["visitor"] == token
        assert built["next_check_at"] == f"2027-01-15T08:00:{admission.retry:02d}+00:00"
        assert built["place"] == admission.position + 1
        assert built["status"] == ("prequeue" if admission.prequeue else "waiting")
        if admission.opens_at:
            assert built["opens_at"] == "2027-01-15T08:10:00+00:00"
            assert built["estimated_admission_at"] is None
