"""The whole eTA journey over HTTP, in English and French, on SQLite and PostgreSQL:
apply, check answers, pay at the sandbox, decision by the worker, e-mail, status."""

from __future__ import annotations

import email
from collections.abc import AsyncIterator, Callable
from email import policy
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from northgate.app import edge_app
from northgate.composition import Services, build
from northgate.core.dates import long_date
from northgate.settings import Settings
from northgate.storage.models import Application, Payment, SandboxCharge, TravelAuthorization
from tests.support.html import parse_html
from tests.support.journey import (
    ADULT_FORM,
    csrf_of,
    fill_application,
    look_up_status,
    start_application,
)

APPROVED_CARD = {
    "number": "4242 4242 4242 4242",
    "expiry": "12/39",
    "cvc": "123",
    "name": "Zoe O'Brien",
}
DECLINED_CARD = {**APPROVED_CARD, "number": "4000 0000 0000 0002"}


@pytest.fixture
async def journey_client(
    database_url: str, make_settings: Callable[..., Settings]
) -> AsyncIterator[tuple[httpx.AsyncClient, Services, Settings]]:
    settings = make_settings(database_url=database_url, embedded_worker=False)
    services = build(settings)
    transport = httpx.ASGITransport(app=edge_app(services))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client, services, settings


def _mails(directory: Path) -> tuple[list[Path], list[str]]:
    mails = sorted(directory.glob("*.eml"))
    return mails, [str(email.message_from_bytes(p.read_bytes())["Subject"]) for p in mails]


async def _pay(client: httpx.AsyncClient, lang: str, card: dict[str, str]) -> httpx.Response:
    pay_path = "/en/eta/apply/pay" if lang == "en" else "/fr/ave/demande/paiement"
    page = await client.get(pay_path)
    assert page.status_code == 200
    to_gateway = await client.post(pay_path, data={"csrf_token": csrf_of(page.text)})
    assert to_gateway.status_code == 303
    gateway_page = to_gateway.headers["location"]
    assert gateway_page.startswith("/sandbox-pay/")
    card_page = parse_html((await client.get(gateway_page)).text)
    for link in card_page.find_all("link", rel="stylesheet"):  # the site's look, served
        assert (await client.get(link.attrs["href"])).status_code == 200
    back = await client.post(gateway_page, data=card)
    assert back.status_code == 303
    return await client.get(back.headers["location"])


@pytest.mark.parametrize("lang", ["en", "fr"])
async def test_apply_pay_decide_and_look_up(
    journey_client: tuple[httpx.AsyncClient, Services, Settings], lang: str
) -> None:
    client, services, settings = journey_client
    form = {**ADULT_FORM, "correspondence_language": lang}
    review = await fill_application(client, lang, form)
    assert "Zoë Anne" in review.text
    submit_to = (
        "/en/eta/apply/check-your-answers"
        if lang == "en"
        else ("/fr/ave/demande/verifier-vos-reponses")
    )
    submitted = await client.post(submit_to, data={"csrf_token": csrf_of(review.text)})
    assert submitted.status_code == 303

    pay_page = await client.get("/en/eta/apply/pay" if lang == "en" else "/fr/ave/demande/paiement")
    assert 'id="session-timeout"' in pay_page.text  # the session is still needed to pay
    returned = await _pay(client, lang, APPROVED_CARD)
    assert returned.status_code == 303
    confirmation = await client.get(returned.headers["location"])
    assert confirmation.status_code == 200
    # Paid: nothing is left to do, so no warning that the session is about to end.
    assert 'id="session-timeout"' not in confirmation.text
    assert "session-timeout.js" not in confirmation.text
    database = services.database
    async with database.session() as db:
        application = await db.scalar(select(Application))
        assert application is not None
        assert application.status == "paid"
        assert application.reference in confirmation.text
        reference = application.reference

    worker = services.worker
    for _ in range(5):
        await worker.run_once()
    async with database.session() as db:
        application = await db.scalar(select(Application))
        assert application is not None and application.status == "approved"

    mails, subjects = _mails(Path(settings.mail_dir))
    assert len(mails) == 2, subjects  # receipt and approval, once each

    found = await look_up_status(
        client,
        {
            "reference": reference.lower().replace("-", " "),
            "passport_number": "gb1234567",
            "date_of_birth-day": form["date_of_birth-day"],
            "date_of_birth-month": form["date_of_birth-month"],
            "date_of_birth-year": form["date_of_birth-year"],
        },
        lang,
    )
    assert found.status_code == 200
    assert reference in found.text
    assert ("Approved" if lang == "en" else "Approuvée") in found.text

    # The status page and the approval e-mail give the expiry date in the same words.
    async with database.session() as db:
        valid_until = await db.scalar(select(TravelAuthorization.valid_until))
    assert valid_until is not None
    said = long_date(valid_until, lang)  # type: ignore[arg-type]
    messages = [email.message_from_bytes(m.read_bytes(), policy=policy.default) for m in mails]
    (approval,) = [
        m for m in messages if ("approved" if lang == "en" else "approuvée") in m["Subject"]
    ]
    text = approval.get_body(("plain",))
    assert text is not None and said in text.get_content()
    (shown,) = [
        element.text
        for element in parse_html(found.text).find_all("time")
        if element.attrs["datetime"] == valid_until.isoformat()
    ]
    assert shown == said


async def test_declined_card_then_approved_charges_once(
    journey_client: tuple[httpx.AsyncClient, Services, Settings],
) -> None:
    client, services, _settings = journey_client
    review = await fill_application(client)
    await client.post("/en/eta/apply/check-your-answers", data={"csrf_token": csrf_of(review.text)})
    declined = await _pay(client, "en", DECLINED_CARD)
    assert declined.status_code == 303
    assert "problem=declined" in declined.headers["location"]
    page = await client.get(declined.headers["location"])
    assert "You have not been charged" in page.text
    approved = await _pay(client, "en", APPROVED_CARD)
    assert approved.headers["location"].endswith("/confirmation")
    # Reloading the return URL and pressing "pay" again change nothing.
    again = await client.post("/en/eta/apply/pay", data={"csrf_token": csrf_of(page.text)})
    assert again.headers["location"].endswith("/confirmation")
    database = services.database
    async with database.session() as db:
        approved_charges = await db.scalar(
            select(func.count())
            .select_from(SandboxCharge)
            .where(SandboxCharge.status == "approved")
        )
        approved_payments = await db.scalar(
            select(func.count()).select_from(Payment).where(Payment.status == "approved")
        )
    assert approved_charges == 1
    assert approved_payments == 1


async def test_invalid_answers_are_refused_in_the_users_language_and_saved_answers_kept(
    journey_client: tuple[httpx.AsyncClient, Services, Settings],
) -> None:
    client, _services, _settings = journey_client
    await fill_application(client, "fr")
    page = await client.get("/fr/ave/demande/nom")
    assert page.status_code == 200, page.text[:300]
    refused = await client.post(
        "/fr/ave/demande/nom",
        data={"csrf_token": csrf_of(page.text), "surname": "R2-D2", "given_names": "Zoë"},
    )
    assert refused.status_code == 422
    assert 'lang="fr"' in refused.text
    assert "ng-error-summary" in refused.text
    # The earlier, valid answer is still what "check your answers" shows.
    review = await client.get("/fr/ave/demande/verifier-vos-reponses")
    assert "O’Brien-Lefèvre" in review.text


async def test_forged_csrf_token_saves_nothing(
    journey_client: tuple[httpx.AsyncClient, Services, Settings],
) -> None:
    client, _services, _settings = journey_client
    start = await start_application(client)
    first = start.headers["location"]
    forged = await client.post(first, data={"csrf_token": "forged", "applying_for": "other"})
    assert forged.status_code == 303
    assert forged.headers["location"] == first


async def test_oversized_post_is_refused_and_saved_answers_survive(
    journey_client: tuple[httpx.AsyncClient, Services, Settings],
) -> None:
    client, _services, settings = journey_client
    await fill_application(client)
    page = await client.get("/en/eta/apply/name")
    huge = "A" * (settings.max_body_bytes + 1)
    refused = await client.post(
        "/en/eta/apply/name", data={"csrf_token": csrf_of(page.text), "surname": huge}
    )
    assert refused.status_code == 413
    review = await client.get("/en/eta/apply/check-your-answers")
    assert review.status_code == 200
    assert "O’Brien-Lefèvre" in review.text


async def test_replayed_submit_does_not_create_a_second_reference(
    journey_client: tuple[httpx.AsyncClient, Services, Settings],
) -> None:
    client, services, _settings = journey_client
    review = await fill_application(client)
    form = {"csrf_token": csrf_of(review.text)}
    first = await client.post("/en/eta/apply/check-your-answers", data=form)
    replay = await client.post("/en/eta/apply/check-your-answers", data=form)
    assert first.headers["location"] == replay.headers["location"] == "/en/eta/apply/pay"
    database = services.database
    async with database.session() as db:
        references = (await db.scalars(select(Application.reference))).all()
    assert len(references) == 1 and references[0]
