"""The sandbox gateway: an idempotent ledger and a hosted card page that behaves like one."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import date

import httpx
import pytest
from fastapi import FastAPI

from northgate.payments.cards import Card, CardErrors, luhn_valid, validate_card
from northgate.payments.sandbox import IdempotencyConflict, SandboxGateway
from northgate.payments.sandbox_page import sandbox_router, with_payment
from northgate.storage.db import Database
from northgate.storage.models import SandboxCharge
from northgate.ui.assets import load_assets
from tests.payments.support import Clock, count
from tests.support.asgi import NODE_MODULES
from tests.support.html import parse_html

ASSETS = load_assets(NODE_MODULES)


async def _create(gateway: SandboxGateway, key: str, amount: int = 700) -> str:
    charge = await gateway.create_payment(
        idempotency_key=key,
        amount_cents=amount,
        currency="CAD",
        description="eTA fee",
        return_url="/en/eta/payment/return?x=1",
    )
    return charge.id


@pytest.fixture
async def page(database: Database) -> AsyncIterator[tuple[SandboxGateway, httpx.AsyncClient]]:
    gateway = SandboxGateway(database, clock=Clock())
    app = FastAPI()
    app.include_router(sandbox_router(gateway, ASSETS, "http://bank"))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bank") as client:
        yield gateway, client


async def test_create_is_idempotent_under_concurrency(database: Database) -> None:
    gateway = SandboxGateway(database)
    ids = await asyncio.gather(*(_create(gateway, "key-1") for _ in range(10)))
    assert len(set(ids)) == 1
    assert await count(database, SandboxCharge) == 1
    found = await gateway.find_by_idempotency_key("key-1")
    assert found is not None and found.id == ids[0] and found.status == "pending"
    assert found.redirect_url == f"/sandbox-pay/{ids[0]}"
    with pytest.raises(IdempotencyConflict):
        await _create(gateway, "key-1", amount=900)


async def test_card_page_in_both_languages_lists_the_test_cards(
    page: tuple[SandboxGateway, httpx.AsyncClient],
) -> None:
    gateway, client = page
    charge_id = await _create(gateway, "k")
    english = await client.get(f"/sandbox-pay/{charge_id}")
    assert english.status_code == 200
    assert "Card number" in english.text and "CAD $7.00" in english.text
    assert "4242 4242 4242 4242" in english.text and "4000 0000 0000 0119" in english.text
    french = await client.get(f"/sandbox-pay/{charge_id}?lang=fr")
    assert 'lang="fr-CA"' in french.text
    assert "Numéro de carte" in french.text and "7,00\u00a0$" in french.text
    assert (await client.get("/sandbox-pay/nope")).status_code == 404


@pytest.mark.parametrize(("lang", "test_mode"), [("en", "Test mode"), ("fr", "Mode test")])
async def test_card_page_wears_the_site_stylesheet_and_name(
    page: tuple[SandboxGateway, httpx.AsyncClient], lang: str, test_mode: str
) -> None:
    gateway, client = page
    charge_id = await _create(gateway, "k")
    shown = await client.get(f"/sandbox-pay/{charge_id}?lang={lang}")
    document = parse_html(shown.text)
    stylesheets = [link.attrs["href"] for link in document.find_all("link", rel="stylesheet")]
    assert stylesheets == [ASSETS.url("northgate.css")]
    (header,) = document.find_all("header")
    assert "Northgate" in header.text and test_mode in header.text
    (title,) = document.find_all("title")
    assert title.text.endswith("– Northgate")


async def test_invalid_card_details_redisplay_the_form_with_specific_errors(
    page: tuple[SandboxGateway, httpx.AsyncClient],
) -> None:
    gateway, client = page
    charge_id = await _create(gateway, "k")
    response = await client.post(
        f"/sandbox-pay/{charge_id}",
        data={"lang": "fr", "number": "4242 4242 4242 4241", "expiry": "13/30", "cvc": "1"},
    )
    assert response.status_code == 422
    assert "Entrez un numéro de carte valide" in response.text
    assert "format MM/AA" in response.text
    assert "code de sécurité" in response.text
    assert "Entrez le nom" in response.text
    assert "4242 4242 4242 4241" not in response.text  # card numbers are never echoed
    charge = await gateway.get_payment(charge_id)
    assert charge is not None and charge.status == "pending"


@pytest.mark.parametrize(
    ("number", "outcome"),
    [
        ("4242 4242 4242 4242", "approved"),
        ("4000 0000 0000 0002", "declined"),
        ("4000 0000 0000 0119", "failed"),
        ("5555 5555 5555 4444", "declined"),
    ],
)
async def test_test_cards_complete_the_charge_and_return_to_the_merchant(
    page: tuple[SandboxGateway, httpx.AsyncClient], number: str, outcome: str
) -> None:
    gateway, client = page
    charge_id = await _create(gateway, "k")
    form = {"number": number, "expiry": "12/30", "cvc": "123", "name": "Claire Martin"}
    response = await client.post(f"/sandbox-pay/{charge_id}", data=form)
    assert response.status_code == 303
    assert response.headers["location"] == f"/en/eta/payment/return?x=1&payment={charge_id}"
    charge = await gateway.charge(charge_id)
    assert charge is not None and (charge.status, charge.card_last4) == (outcome, number[-4:])
    # A second submit (double click, back button) changes nothing.
    other = {**form, "number": "4000 0000 0000 0002" if outcome == "approved" else number}
    again = await client.post(f"/sandbox-pay/{charge_id}", data=other)
    assert again.status_code == 303
    unchanged = await gateway.charge(charge_id)
    assert unchanged is not None and unchanged.status == outcome
    # And the page itself now sends the traveller back rather than asking again.
    assert (await client.get(f"/sandbox-pay/{charge_id}")).status_code == 303


async def test_an_abandoned_charge_stays_pending_until_it_expires(database: Database) -> None:
    clock = Clock()
    gateway = SandboxGateway(database, clock=clock)
    old = await _create(gateway, "old")
    await gateway.abandon(old)
    assert (await gateway.get_payment(old)).status == "pending"  # type: ignore[union-attr]
    clock.advance(minutes=30)
    new = await _create(gateway, "new")
    assert await gateway.expire_stale(clock.now.replace(minute=15)) == 1
    assert (await gateway.get_payment(old)).status == "expired"  # type: ignore[union-attr]
    assert (await gateway.get_payment(new)).status == "pending"  # type: ignore[union-attr]
    assert not await gateway.complete(old, "approved", "4242")


def test_card_validation() -> None:
    today = date(2016, 11, 8)
    assert luhn_valid("4242424242424242") and not luhn_valid("4242424242424241")
    ok = validate_card("4242-4242-4242-4242", " 11/16 ", "1234", "A", today)
    assert isinstance(ok, Card) and (ok.last4, ok.outcome) == ("4242", "approved")
    past = validate_card("4242424242424242", "10/16", "123", "A", today)
    assert isinstance(past, CardErrors) and past.fields == {"expiry": "expiry_past"}
    empty = validate_card("", "", "", "", today)
    assert isinstance(empty, CardErrors)
    assert empty.fields == {
        "number": "number_missing",
        "expiry": "expiry_missing",
        "cvc": "cvc_invalid",
        "name": "name_missing",
    }
    assert with_payment("/r", "p1") == "/r?payment=p1"
