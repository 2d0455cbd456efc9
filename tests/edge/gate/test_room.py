"""The waiting room as a page to be on: a form posted while waiting is answered with a
redirect to a page (Back works, nothing is posted twice, the place is kept), and its
language toggle leads to the same waiting room in the other language."""

from __future__ import annotations

import re
from collections.abc import Callable

import httpx

from northgate.edge.gate import Gate
from tests.edge.gate.test_middleware import App


def _toggle(html: str) -> str:
    found = re.search(r'<a class="ng-lang__link" href="([^"]+)"', html)
    assert found is not None
    return found.group(1)


async def test_a_form_posted_while_waiting_is_redirected_to_a_page_that_keeps_the_place(
    make_gate: Callable[..., tuple[Gate, App]], clients: Callable[[Gate], httpx.AsyncClient]
) -> None:
    gate, app = make_gate(gate_admissions_per_minute=1)
    await clients(gate).get("/en/eta/apply")  # the only admission this minute
    browser = clients(gate)
    posted = await browser.post("/en/eta/apply/passport-number", data={"number": "X1"})
    assert posted.status_code == 303
    assert posted.headers["location"] == "/en/eta/apply/passport-number"
    assert posted.headers["x-northgate-gate"] == "queued" and "ng_visitor" in browser.cookies
    room = await browser.get(posted.headers["location"])
    assert room.status_code == 200 and "You are in line" in room.text
    assert "<dd>1</dd>" in room.text  # the place taken by the POST
    again = await browser.post("/fr/ave/demande/numero-de-passeport")
    assert again.headers["location"] == "/fr/ave/demande/numero-de-passeport"
    assert "<dd>1</dd>" in (await browser.get(again.headers["location"])).text
    # A form posted to an address without a page of its own: back to the page it was on.
    resend = await browser.post("/en/eta/status/resend")
    assert resend.status_code == 303 and resend.headers["location"] == "/en/eta/status"
    # API clients still get the JSON answer, with its Retry-After.
    api = await clients(gate).post("/api/v1/applications")
    assert api.status_code == 503 and api.json()["status"] == "waiting"
    assert app.seen == ["/en/eta/apply"]


async def test_the_language_toggle_leads_to_the_same_waiting_room(
    make_gate: Callable[..., tuple[Gate, App]], clients: Callable[[Gate], httpx.AsyncClient]
) -> None:
    gate, _app = make_gate(gate_admissions_per_minute=1)
    await clients(gate).get("/en/eta/apply")
    browser = clients(gate)
    english = await browser.get("/en/eta/apply/passport-number")
    assert "You are in line" in english.text
    assert _toggle(english.text) == "/fr/ave/demande/numero-de-passeport"
    french = await browser.get(_toggle(english.text))
    assert "Vous êtes dans la file d’attente" in french.text and "<dd>1</dd>" in french.text
    assert _toggle(french.text) == "/en/eta/apply/passport-number"
    assert _toggle((await browser.get("/en/eta/apply")).text) == "/fr/ave/demande"
