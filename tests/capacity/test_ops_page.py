"""The operators' capacity page: both languages, the forecast and its warnings, the event
calendar form (CSRF, errors in the operator's language), chart exports, scaling history,
Alertmanager's alerts; operators only."""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import httpx
import pytest

from northgate.app import edge_app
from northgate.capacity.store import Scaling, record_scaling
from northgate.composition import Services, build
from northgate.core.typography import french_prose
from northgate.settings import Settings
from tests.capacity.support import NOW, fill
from tests.support.html import parse_html

TOKEN = "capacity-operator-token"
BEARER = {"authorization": f"Bearer {TOKEN}"}
BASIC = {"authorization": "Basic " + base64.b64encode(f"ops:{TOKEN}".encode()).decode()}


@pytest.fixture
def make_services(
    make_settings: Callable[..., Settings], sqlite_url: str
) -> Callable[..., Services]:
    def make(**overrides: object) -> Services:
        settings = make_settings(
            database_url=sqlite_url,
            operator_token=TOKEN,
            capacity_node_arrivals_per_minute=1000,
            capacity_nodes=3,
            **overrides,
        )
        return build(settings, clock=lambda: NOW)

    return make


async def _client(services: Services) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=edge_app(services))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver", headers=BASIC)


@pytest.fixture
async def surging(make_services: Callable[..., Services]) -> AsyncIterator[httpx.AsyncClient]:
    """Rising to 2,500 a minute (about 2,450 over the last 15 minutes) against 3,000 of
    capacity, 8x last week's 300."""
    services = make_services()
    await fill(services.analytics, now_per_minute=2500, last_week_per_minute=300, rising_from=1300)
    async with await _client(services) as client:
        yield client
    await services.aclose()


@pytest.fixture
async def quiet(make_services: Callable[..., Services]) -> AsyncIterator[httpx.AsyncClient]:
    services = make_services()
    await fill(services.analytics, now_per_minute=300, last_week_per_minute=300)
    async with await _client(services) as client:
        yield client
    await services.aclose()


async def _token(client: httpx.AsyncClient, path: str = "/ops") -> str:
    page = parse_html((await client.get(path)).content)
    return str(page.find_all("input", name="csrf_token")[0].attrs["value"])


@pytest.mark.parametrize(
    ("path", "lang", "other", "heading", "chart_title"),
    [
        ("/ops", "en", "/ops/fr", "Capacity and forecast", "Arrivals and forecast, per minute"),
        ("/ops/fr", "fr", "/ops", "Capacité et prévision", "Arrivées et prévision, par minute"),
    ],
)
async def test_the_page_in_both_languages(
    surging: httpx.AsyncClient, path: str, lang: str, other: str, heading: str, chart_title: str
) -> None:
    response = await surging.get(path)
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    html = parse_html(response.content)
    assert html.find_all("html")[0].attrs["lang"] == lang
    assert [h.text.strip() for h in html.find_all("h1")] == [heading]
    toggle = html.find_all("a", **{"class": "ng-lang__link"})
    assert [a.attrs["href"] for a in toggle] == [other]
    assert chart_title in [t.text.strip() for t in html.find_all("title")]
    assert html.find_all("script") == []


async def test_a_surge_shows_utilisation_saturation_and_advice(surging: httpx.AsyncClient) -> None:
    text = (await surging.get("/ops")).text
    assert re.search(r"Utilisation at (79|8\d)% of capacity \(alert from 80 %\)", text)
    assert re.search(r"Surge: [78]\.\d× the arrivals of the same time last week", text)
    body = (await surging.get("/api/v1/capacity", headers=BEARER)).json()
    assert body["capacity"] == {
        "nodes": 3,
        "nodes_from": "setting",
        "per_node_arrivals_per_minute": 1000,
        "arrivals_per_minute": 3000,
        "provisioning_seconds": 1800,
    }
    assert body["utilisation"] == pytest.approx(0.8, abs=0.03)
    assert {w["code"] for w in body["warnings"]} >= {"utilisation", "surge"}
    assert body["forecast"]["saturation"]["earliest"] is not None
    assert body["advice"]["nodes_for_upper_bound"] >= 3


async def test_french_words_and_numbers(surging: httpx.AsyncClient) -> None:
    text = (await surging.get("/ops/fr")).text
    assert re.search("Utilisation à (79|8\\d)\u00a0% de la capacité", text)
    assert "Calendrier des événements" in text
    assert "Poussée" in text
    assert "3\u00a0000" in text  # capacity, arrivals a minute


async def test_quiet_means_no_warning(quiet: httpx.AsyncClient) -> None:
    text = (await quiet.get("/ops")).text
    assert "No warning from the forecaster" in text
    assert "No saturation expected in the next 12 hours" in text


async def test_operators_only(quiet: httpx.AsyncClient) -> None:
    for path in ("/ops", "/ops/fr", "/api/v1/capacity", "/api/v1/capacity/events"):
        response = await quiet.get(path, headers={"authorization": "Bearer wrong"})
        assert response.status_code == 401, path
    refused = await quiet.post("/ops/calendar", headers={"authorization": ""})
    assert refused.status_code == 401


async def test_an_event_added_by_the_form_gives_advice(surging: httpx.AsyncClient) -> None:
    token = await _token(surging)
    response = await surging.post(
        "/ops/calendar",
        data={
            "csrf_token": token,
            "name": "Election night",
            "starts_at": "2026-11-10T20:00",
            "ends_at": "2026-11-11T02:00",
            "multiplier": "12",
            "pre_queue": "on",
        },
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/ops#calendar"
    page = (await surging.get("/ops")).text
    assert "Election night" in page
    opens_at = int(dt.datetime(2026, 11, 11, 1, 0, tzinfo=dt.UTC).timestamp())
    assert f"northgate gate set opens_at={opens_at}" in page
    body = (await surging.get("/api/v1/capacity", headers=BEARER)).json()
    [event] = body["events"]
    # Last week's 300 a minute, 12 times: 3,600 a minute, four nodes of 1,000.
    assert event["expected_peak_per_minute"] >= 3600
    assert event["nodes_needed"] >= 4
    assert event["scale_by"] == "2026-11-10T19:30:00-05:00"  # 30 min of provisioning before
    assert event["gate_opens_at"] == opens_at


async def test_the_form_needs_its_csrf_token(surging: httpx.AsyncClient) -> None:
    values = {"name": "X", "starts_at": "2026-11-10T20:00", "ends_at": "2026-11-10T22:00",
              "multiplier": "2"}  # fmt: skip
    missing = await surging.post("/ops/calendar/fr", data=values)
    assert missing.status_code == 403
    assert (
        french_prose("Ce formulaire n’a pas été envoyé depuis la page des opérations : rien")
        in missing.text
    )
    await _token(surging)  # sets the cookie
    forged = await surging.post("/ops/calendar", data={**values, "csrf_token": "x" * 43})
    assert forged.status_code == 403
    assert "This form was not sent from the ops page" in forged.text
    other = httpx.AsyncClient(transport=surging._transport, base_url="http://testserver",
                              headers=BASIC)  # fmt: skip
    async with other:
        stolen = await other.post(
            "/ops/calendar", data={**values, "csrf_token": await _token(surging)}
        )
    assert stolen.status_code == 403  # a token is good only with its own cookie
    assert (await surging.get("/api/v1/capacity/events", headers=BEARER)).json()["events"] == []


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/ops/calendar", ["Enter a name for the event", "The end must come after the start",
                           "Enter the multiplier as a number, for example 2.5"]),
        ("/ops/calendar/fr", ["Entrez un nom pour l’événement", "La fin doit suivre le début",
                              "Entrez le multiplicateur en chiffres, par exemple 2,5"]),
    ],
)  # fmt: skip
async def test_bad_input_is_explained_in_the_operators_language(
    surging: httpx.AsyncClient, path: str, expected: list[str]
) -> None:
    token = await _token(surging)
    response = await surging.post(
        path,
        data={"csrf_token": token, "name": " ", "starts_at": "2026-11-10T20:00",
              "ends_at": "2026-11-10T19:00", "multiplier": "beaucoup"},
    )  # fmt: skip
    assert response.status_code == 422
    html = parse_html(response.content)
    assert html.find_all("div", class_="ng-error-summary")
    # Each message beside its field, as in the summary above the page.
    beside = [p.text.strip() for p in html.find_all("p", class_="ng-error-message")]
    assert beside == [french_prose(text) if "/fr" in path else text for text in expected]
    summary = [
        a.text.strip() for a in html.find_all("a") if a.attrs.get("href", "").startswith("#event-")
    ]
    assert summary == beside
    # What was typed stays in the form.
    assert 'value="beaucoup"' in response.text


async def test_a_deleted_event_is_gone(surging: httpx.AsyncClient) -> None:
    created = await surging.post(
        "/api/v1/capacity/events",
        headers=BEARER,
        json={"name": "Deadline", "starts_at": "2026-11-12T00:00", "ends_at": "2026-11-12T23:59",
              "multiplier": 3},
    )  # fmt: skip
    event_id = created.json()["id"]
    token = await _token(surging)
    gone = await surging.post(f"/ops/calendar/{event_id}/supprimer", data={"csrf_token": token})
    assert gone.status_code == 303 and gone.headers["location"] == "/ops/fr#calendar"
    again = await surging.post(f"/ops/calendar/{event_id}/delete", data={"csrf_token": token})
    assert again.status_code == 404
    assert "No such event" in again.text


async def test_the_json_api_keeps_the_calendar(quiet: httpx.AsyncClient) -> None:
    event = {
        "name": "eTA deadline",
        "starts_at": "2026-11-09T00:00-05:00",
        "ends_at": "2026-11-10T00:00-05:00",
        "multiplier": 2.5,
        "pre_queue": False,
    }
    created = await quiet.post("/api/v1/capacity/events", headers=BEARER, json=event)
    assert created.status_code == 201
    event_id = created.json()["id"]
    url = f"/api/v1/capacity/events/{event_id}"
    assert (await quiet.get(url, headers=BEARER)).json()["multiplier"] == 2.5
    changed = await quiet.put(url, headers=BEARER, json={**event, "multiplier": "4,5"})
    assert changed.json()["multiplier"] == 4.5
    listed = (await quiet.get("/api/v1/capacity/events", headers=BEARER)).json()["events"]
    assert [e["name"] for e in listed] == ["eTA deadline"]
    assert (await quiet.delete(url, headers=BEARER)).status_code == 204
    missing = await quiet.get(url, headers={**BEARER, "accept-language": "fr"})
    assert missing.status_code == 404
    assert missing.json()["detail"] == french_prose(
        "Cet événement n’existe pas : il a peut-être déjà été supprimé."
    )


async def test_json_errors_follow_accept_language(quiet: httpx.AsyncClient) -> None:
    bad = {"name": "x", "starts_at": "demain", "ends_at": "2026-11-10T00:00", "multiplier": 500}
    fr = await quiet.post("/api/v1/capacity/events", json=bad,
                          headers={**BEARER, "accept-language": "fr-CA"})  # fmt: skip
    assert fr.status_code == 422
    assert fr.json()["errors"] == {
        "starts_at": "Entrez une date et une heure, par exemple 2026-11-08T18:00",
        "multiplier": "Le multiplicateur doit être entre 0,1 et 100",
    }
    en = await quiet.post("/api/v1/capacity/events", json=bad, headers=BEARER)
    assert en.json()["errors"]["multiplier"] == "The multiplier must be between 0.1 and 100"
    not_json = await quiet.post("/api/v1/capacity/events", content=b"[", headers=BEARER)
    assert not_json.status_code == 422


@pytest.mark.parametrize(("fmt", "media"), [("svg", "image/svg+xml"), ("png", "image/png")])
async def test_the_chart_exports(surging: httpx.AsyncClient, fmt: str, media: str) -> None:
    page = parse_html((await surging.get("/ops/fr")).content)
    links = [a.attrs["href"] for a in page.find_all("a") if a.text.strip() == fmt.upper()]
    [link] = [href for href in links if "/ops/charts/" in href]
    response = await surging.get(link)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(media)
    if fmt == "svg":
        assert "Arrivées et prévision, par minute" in response.text
    else:
        assert response.content.startswith(b"\x89PNG")
    assert (await surging.get("/ops/charts/nothing.svg")).status_code == 404


async def test_scaling_history_sets_the_nodes_running(
    make_services: Callable[..., Services],
) -> None:
    services = make_services()
    await fill(services.analytics, now_per_minute=2400, last_week_per_minute=300)
    await record_scaling(
        services.database,
        Scaling(NOW - dt.timedelta(minutes=30), 3, 6, 41.5, "forecast peak", "northgate scale"),
    )
    async with await _client(services) as client:
        body = (await client.get("/api/v1/capacity", headers=BEARER)).json()
        page = (await client.get("/ops")).text
    await services.aclose()
    assert body["capacity"]["nodes"] == 6 and body["capacity"]["nodes_from"] == "scaling history"
    assert body["utilisation"] == pytest.approx(0.4, abs=0.02)
    assert body["scaling_history"][0]["provisioning_seconds"] == 41.5
    assert "3 → 6" in page and "forecast peak" in page


class _Alertmanager(BaseHTTPRequestHandler):
    """Answers GET /api/v2/alerts as Alertmanager does, with one firing alert."""

    alerts: ClassVar[list[dict[str, Any]]] = [
        {
            "labels": {"alertname": "CapacityUtilisationHigh", "severity": "page"},
            "annotations": {"summary": "utilisation above 80 %"},
            "startsAt": "2026-11-10T21:40:00Z",
            "status": {"state": "active"},
        }
    ]
    seen: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        self.seen.append(self.path)
        body = json.dumps(self.alerts).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def alertmanager() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Alertmanager)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


async def test_active_alerts_come_from_alertmanager(
    make_services: Callable[..., Services], alertmanager: str
) -> None:
    services = make_services(ops_alertmanager_url=alertmanager)
    await fill(services.analytics, now_per_minute=300, last_week_per_minute=300)
    async with await _client(services) as client:
        page = (await client.get("/ops")).text
    await services.aclose()
    assert "CapacityUtilisationHigh" in page and "utilisation above 80 %" in page
    assert re.search(r"active=true&silenced=false&inhibited=false", _Alertmanager.seen[-1])


async def test_an_alertmanager_that_does_not_answer_is_said(
    make_services: Callable[..., Services],
) -> None:
    services = make_services(ops_alertmanager_url="http://127.0.0.1:9")
    await fill(services.analytics, now_per_minute=2400, last_week_per_minute=300)
    async with await _client(services) as client:
        page = (await client.get("/ops")).text
    await services.aclose()
    assert "Alertmanager did not answer" in page
    assert "Utilisation at 80% of capacity" in page


@pytest.mark.parametrize(
    ("path", "link"), [("/ops/analytics", "/ops"), ("/ops/analytics/fr", "/ops/fr")]
)
async def test_the_analytics_page_links_here_and_back(
    quiet: httpx.AsyncClient, path: str, link: str
) -> None:
    analytics = parse_html((await quiet.get(path)).content)
    assert link in [a.attrs.get("href") for a in analytics.find_all("a")]
    capacity = parse_html((await quiet.get(link)).content)
    assert path in [a.attrs.get("href") for a in capacity.find_all("a")]


async def test_deleting_needs_the_csrf_token_too(surging: httpx.AsyncClient) -> None:
    created = await surging.post(
        "/api/v1/capacity/events",
        headers=BEARER,
        json={"name": "Deadline", "starts_at": "2026-11-12T00:00", "ends_at": "2026-11-12T23:59",
              "multiplier": 3},
    )  # fmt: skip
    event_id = created.json()["id"]
    await _token(surging)  # the cookie, but not the token
    refused = await surging.post(f"/ops/calendar/{event_id}/supprimer", data={})
    assert refused.status_code == 403
    assert french_prose("rien n’a été modifié") in refused.text
    still = await surging.get(f"/api/v1/capacity/events/{event_id}", headers=BEARER)
    assert still.status_code == 200
