"""Failed status look-ups are limited per client and per reference, on every node at once.

Without a limit, a reference and a passport number are enough to try every date of birth in
a couple of minutes. After the allowed failures the answer is 429 with Retry-After, even
for the right answers (otherwise the answer would still tell the right guess apart), in the
visitor's language, and counted in analytics as "limited".
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from datetime import date
from typing import Any

import httpx
import pytest

from northgate.app import create_app, edge_app
from northgate.composition import build
from northgate.settings import Settings
from northgate.testing.samples import COMPLETE_ANSWERS as ANSWERS
from tests.analytics.support import cells, window
from tests.support.servers import RedisServer

BORN = date.fromisoformat(ANSWERS["date_of_birth"])
PATHS = {"en": "/en/eta/status", "fr": "/fr/ave/etat"}
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def limited_settings(make: Callable[..., Settings], url: str, **values: Any) -> Settings:
    return make(
        database_url=url,
        embedded_worker=False,
        status_failures_per_client=3,
        status_failures_per_reference=5,
        **values,
    )


@pytest.fixture
async def client(
    make_settings: Callable[..., Settings], sqlite_url: str
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(limited_settings(make_settings, sqlite_url, trusted_proxies="127.0.0.1"))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        client.app = app  # type: ignore[attr-defined]
        yield client


async def submitted_reference(client: httpx.AsyncClient) -> str:
    response = await client.post("/api/v1/applications", json={"answers": ANSWERS})
    assert response.status_code == 201, response.text
    return str(response.json()["reference"])


async def look_up(
    client: httpx.AsyncClient,
    reference: str,
    born: date,
    *,
    lang: str = "en",
    client_address: str = "192.0.2.1",
) -> httpx.Response:
    """The status form as a browser sends it (with the page's form token, if it has one)."""
    headers = {"x-forwarded-for": client_address}
    page = await client.get(PATHS[lang], headers=headers)
    token = TOKEN.search(page.text)
    form = {
        "reference": reference,
        "passport_number": ANSWERS["passport_number"],
        "date_of_birth-day": str(born.day),
        "date_of_birth-month": str(born.month),
        "date_of_birth-year": str(born.year),
        **({"csrf_token": token.group(1)} if token else {}),
    }
    return await client.post(PATHS[lang], data=form, headers=headers)


def wrong_birthday(n: int) -> date:
    return BORN.replace(day=1 + n % 28, month=1 + n // 28)


async def test_after_the_allowed_failures_a_client_gets_429_even_with_the_right_answers(
    client: httpx.AsyncClient,
) -> None:
    reference = await submitted_reference(client)
    assert (await look_up(client, reference, BORN)).status_code == 200
    for n in range(3):
        assert (await look_up(client, reference, wrong_birthday(n))).status_code == 422
    refused = await look_up(client, reference, BORN)
    assert refused.status_code == 429
    assert 0 < int(refused.headers["retry-after"]) <= 15 * 60
    assert "Too many attempts to find an application. Try again in 15 minutes." in refused.text
    assert "Application status" not in refused.text
    french = await look_up(client, reference, BORN, lang="fr")
    assert french.status_code == 429
    assert "Trop de tentatives de recherche d’une demande. Réessayez dans 15" in french.text
    # Another client is not affected.
    other = await look_up(client, reference, BORN, client_address="198.51.100.7")
    assert other.status_code == 200


async def test_successful_look_ups_are_not_counted(client: httpx.AsyncClient) -> None:
    reference = await submitted_reference(client)
    for _ in range(8):
        assert (await look_up(client, reference, BORN)).status_code == 200


async def test_one_reference_cannot_be_guessed_from_many_addresses(
    client: httpx.AsyncClient,
) -> None:
    reference = await submitted_reference(client)
    for n in range(5):
        wrong = await look_up(client, reference, wrong_birthday(n), client_address=f"192.0.2.{n}")
        assert wrong.status_code == 422
    refused = await look_up(client, reference, BORN, client_address="203.0.113.9")
    assert refused.status_code == 429


async def test_an_ipv6_client_is_one_client_across_its_64(client: httpx.AsyncClient) -> None:
    reference = await submitted_reference(client)
    for n in range(3):
        address = f"2001:db8:1:2::{n + 1:x}"
        wrong = await look_up(client, reference, wrong_birthday(n), client_address=address)
        assert wrong.status_code == 422
    refused = await look_up(client, reference, BORN, client_address="2001:db8:1:2:ffff::9")
    assert refused.status_code == 429


async def test_the_api_answers_429_json_with_retry_after(client: httpx.AsyncClient) -> None:
    reference = await submitted_reference(client)
    headers = {"x-forwarded-for": "192.0.2.50"}

    async def api_look_up(born: date) -> httpx.Response:
        body = {
            "reference": reference,
            "passport_number": ANSWERS["passport_number"],
            "date_of_birth": born.isoformat(),
        }
        return await client.post("/api/v1/status", json=body, headers=headers)

    for n in range(3):
        assert (await api_look_up(wrong_birthday(n))).status_code == 404
    refused = await api_look_up(BORN)
    assert refused.status_code == 429
    assert refused.headers["content-type"] == "application/json"
    assert int(refused.headers["retry-after"]) > 0
    assert "too many failed look-ups" in refused.json()["detail"]


async def test_the_resend_button_is_a_look_up_too(client: httpx.AsyncClient) -> None:
    reference = await submitted_reference(client)
    headers = {"x-forwarded-for": "192.0.2.60"}
    page = await client.get("/en/eta/status", headers=headers)
    token = TOKEN.search(page.text)
    for n in range(4):
        born = wrong_birthday(n)
        form = {
            "reference": reference,
            "passport_number": ANSWERS["passport_number"],
            "date_of_birth-day": str(born.day),
            "date_of_birth-month": str(born.month),
            "date_of_birth-year": str(born.year),
            **({"csrf_token": token.group(1)} if token else {}),
        }
        response = await client.post("/en/eta/status/resend", data=form, headers=headers)
        assert response.status_code == (422 if n < 3 else 429)


async def test_limited_answers_are_counted_as_limited(
    make_settings: Callable[..., Settings], sqlite_url: str
) -> None:
    services = build(limited_settings(make_settings, sqlite_url))
    transport = httpx.ASGITransport(app=edge_app(services))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        reference = await submitted_reference(client)
        for n in range(5):
            await look_up(client, reference, wrong_birthday(n))
    analytics = services.analytics
    await analytics.flusher.flush()
    counts = cells(await analytics.sql.counts("minute", *window()))
    # httpx's user agent is counted as a bot.
    assert counts[("status", "en", "ZZ", "limited", True)] == 2
    assert counts[("status", "en", "ZZ", "client_error", True)] == 3
    await analytics.sql.database.close()


@pytest.mark.redis
async def test_two_nodes_share_one_limit_through_redis(
    make_settings: Callable[..., Settings], sqlite_url: str, redis_server: RedisServer
) -> None:
    """Two application instances (two nodes) on one database and one Redis: failures on
    either count towards the same limit."""
    settings = limited_settings(make_settings, sqlite_url, redis_url=redis_server.url)
    nodes = [create_app(settings), create_app(settings)]
    clients = [
        httpx.AsyncClient(transport=httpx.ASGITransport(app=node), base_url="http://testserver")
        for node in nodes
    ]
    try:
        reference = await submitted_reference(clients[0])
        for n in range(3):
            wrong = await look_up(clients[n % 2], reference, wrong_birthday(n))
            assert wrong.status_code == 422
        for client in clients:
            assert (await look_up(client, reference, BORN)).status_code == 429
    finally:
        for client in clients:
            await client.aclose()
