"""Places among the active (``max_active``): held only by clients that come back with their
pass, or by a request while it runs; the gauges say how many are held and by what. On both
backends (Redis: a real server)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx

from northgate.edge.gate import Gate
from northgate.edge.gate.passes import Pass
from tests.edge.gate.test_middleware import App


async def _gauges(gate: Gate) -> dict[str, float]:
    await gate.core.tick()
    return gate.core.metrics.gauges


async def test_clients_without_cookies_do_not_keep_places(
    make_gate: Callable[..., tuple[Gate, App]],
    clients: Callable[[Gate], httpx.AsyncClient],
    shared_state: dict[str, object],
) -> None:
    gate, app = make_gate(gate_max_active=3, gate_admissions_per_minute=6000, **shared_state)
    # An API script that never sends a cookie back: every request is a new client.
    for _ in range(10):
        bare = await clients(gate).get("/api/v1/applications/X")
        assert bare.status_code == 200 and bare.headers["x-northgate-gate"] == "admitted"
    gauges = await _gauges(gate)
    assert gauges["places_held"] == 0 and gauges["places_held_by_requests"] == 0

    # While such a request runs, it holds its place (and the gauges say so).
    app.delay = 0.3
    running = asyncio.create_task(clients(gate).get("/api/v1/applications/X"))
    await asyncio.sleep(0.1)
    gauges = await _gauges(gate)
    assert gauges["places_held_by_requests"] == 1 and gauges["places_held_by_passes"] == 0
    assert (await running).status_code == 200
    app.delay = 0.0

    # A browser keeps its cookies: from its second request on, its pass holds a place.
    browsers = [clients(gate) for _ in range(3)]
    for browser in browsers:
        assert (await browser.get("/en/eta/apply")).headers["x-northgate-gate"] == "admitted"
        again = await browser.get("/en/eta/apply/passport")
        assert again.status_code == 200 and again.headers["x-northgate-pass"]
        third = await browser.get("/en/eta/apply/passport")
        assert third.status_code == 200 and "x-northgate-pass" not in third.headers
    gauges = await _gauges(gate)
    assert gauges["places_held_by_passes"] == 3 and gauges["places_held"] == 3
    # max_active still counts the people who hold places.
    latecomer = await clients(gate).get("/en/eta/apply")
    assert latecomer.headers["x-northgate-gate"] == "queued"


async def test_a_pass_ended_before_it_came_back_holds_nothing(
    make_gate: Callable[..., tuple[Gate, App]],
    clients: Callable[[Gate], httpx.AsyncClient],
    shared_state: dict[str, object],
) -> None:
    gate, _app = make_gate(gate_admissions_per_minute=6000, **shared_state)
    token = (await clients(gate).get("/api/v1/applications/X")).headers["x-northgate-pass"]
    admitted = gate.core.check_pass(token, gate.clock())
    assert isinstance(admitted, Pass) and not admitted.held
    await gate.core.backend.revoke(admitted.jti, gate.clock(), 60)  # ended on another node
    assert await gate.core.claim(admitted) is None
    assert (await _gauges(gate))["places_held"] == 0


async def test_an_unheld_pass_ended_elsewhere_is_sent_to_the_line(
    make_gate: Callable[..., tuple[Gate, App]],
    clients: Callable[[Gate], httpx.AsyncClient],
    shared_state: dict[str, object],
) -> None:
    gate, app = make_gate(gate_admissions_per_minute=1, **shared_state)
    token = (await clients(gate).get("/api/v1/applications/X")).headers["x-northgate-pass"]
    admitted = gate.core.check_pass(token, gate.clock())
    assert isinstance(admitted, Pass)
    await gate.core.backend.revoke(admitted.jti, gate.clock(), 60)  # not yet known here
    replayed = await clients(gate).get(
        "/api/v1/applications/X", headers={"x-northgate-pass": token}
    )
    assert replayed.headers["x-northgate-gate"] == "queued" and len(app.seen) == 1
