"""Every state-changing POST needs its page's token (or, on pre-rendered pages, a same-site
origin), and resume-link e-mails are limited per recipient and per client.

Before: `POST /en/eta/apply` needed no token, so another site could create drafts in a
visitor's browser (replacing their draft cookie) and, drafts costing nothing, send resume
e-mails to any address without limit.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute
from sqlalchemy import func, select

from northgate.app import edge_app
from northgate.composition import Services, build
from northgate.settings import Settings
from northgate.storage.db import Database
from northgate.storage.models import Application, OutboxJob
from northgate.testing.samples import COMPLETE_ANSWERS as ANSWERS
from northgate.web.eta.triage import YES_NO_QUESTIONS
from tests.analytics.support import web_app_of
from tests.support.journey import START, csrf_of, start_application

FOREIGN = {"sec-fetch-site": "cross-site", "origin": "https://evil.example"}


@pytest.fixture
def services(make_settings: Callable[..., Settings], sqlite_url: str) -> Services:
    return build(
        make_settings(
            database_url=sqlite_url,
            embedded_worker=False,
            trusted_proxies="127.0.0.1",
            resume_emails_per_recipient=3,
            resume_emails_per_client=5,
        )
    )


@pytest.fixture
async def setup(
    services: Services, sqlite_url: str
) -> AsyncIterator[tuple[httpx.AsyncClient, Any, Database]]:
    app = edge_app(services)
    database = Database(sqlite_url)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client, app, database
    await database.close()


async def count(database: Database, model: Any) -> int:
    async with database.session() as db:
        return int(await db.scalar(select(func.count()).select_from(model)) or 0)


@pytest.mark.parametrize("lang", ["en", "fr"])
async def test_starting_an_application_needs_the_page_s_token(
    setup: tuple[httpx.AsyncClient, Any, Database], lang: str
) -> None:
    client, _app, database = setup
    started = await start_application(client, lang)
    assert started.status_code == 303
    draft_cookie = client.cookies["ng_draft"]
    # Another site's form: no token (and the browser sends its cookies along).
    forged = await client.post(START[lang], headers=FOREIGN)
    assert forged.status_code == 403
    assert "ng_draft" not in forged.headers.get("set-cookie", "")
    assert client.cookies["ng_draft"] == draft_cookie
    message = {
        "en": "This form had expired or did not come from this site, so nothing was done.",
        "fr": "Ce formulaire avait expiré ou ne venait pas de ce site\u00a0: rien n’a été fait.",
    }[lang]
    assert message in forged.text
    assert await count(database, Application) == 1


async def test_a_token_from_another_browser_does_not_start_anything(
    setup: tuple[httpx.AsyncClient, Any, Database],
) -> None:
    client, app, database = setup
    page = await client.get("/en/eta/apply")
    token = csrf_of(page.text)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as other:
        refused = await other.post("/en/eta/apply", data={"csrf_token": token})
        other.cookies.set("ng_form", "x" * 43)
        also_refused = await other.post("/en/eta/apply", data={"csrf_token": token})
    assert refused.status_code == also_refused.status_code == 403
    assert await count(database, Application) == 0


TRIAGE_ANSWERED = {
    "passport_country": "GB",
    "travel_mode": "air",
    "canadian_status": "none",
    **dict.fromkeys(YES_NO_QUESTIONS, "no"),
}


async def test_the_triage_result_s_apply_button_carries_the_token(
    setup: tuple[httpx.AsyncClient, Any, Database],
) -> None:
    client, _app, database = setup
    result = await client.post("/en/eta/check", data=TRIAGE_ANSWERED)
    assert result.status_code == 200
    started = await client.post("/en/eta/apply", data={"csrf_token": csrf_of(result.text)})
    assert started.status_code == 303
    assert await count(database, Application) == 1


async def test_status_look_up_and_resend_need_the_token(
    setup: tuple[httpx.AsyncClient, Any, Database],
) -> None:
    client, _app, database = setup
    submitted = await client.post("/api/v1/applications", json={"answers": ANSWERS})
    born = ANSWERS["date_of_birth"].split("-")
    form = {
        "reference": submitted.json()["reference"],
        "passport_number": ANSWERS["passport_number"],
        "date_of_birth-day": born[2],
        "date_of_birth-month": born[1],
        "date_of_birth-year": born[0],
    }
    jobs = await count(database, OutboxJob)
    for path in ("/en/eta/status", "/en/eta/status/resend", "/fr/ave/etat/renvoyer"):
        refused = await client.post(path, data=form, headers=FOREIGN)
        assert refused.status_code == 403, path
        assert submitted.json()["reference"] not in refused.text.split("value=")[0]
    assert await count(database, OutboxJob) == jobs


async def resume_email(client: httpx.AsyncClient, address: str, to: str) -> httpx.Response:
    """A new draft (costs nothing) and its "e-mail me a link", from client ``address``."""
    headers = {"x-forwarded-for": address}
    client.cookies.clear()
    page = await client.get("/en/eta/apply", headers=headers)
    await client.post("/en/eta/apply", data={"csrf_token": csrf_of(page.text)}, headers=headers)
    save = await client.get("/en/eta/apply/save", headers=headers)
    return await client.post(
        "/en/eta/apply/save",
        data={"csrf_token": csrf_of(save.text), "email": to},
        headers=headers,
    )


async def test_resume_emails_are_limited_per_recipient(
    setup: tuple[httpx.AsyncClient, Any, Database],
) -> None:
    client, _app, database = setup
    for n in range(3):
        sent = await resume_email(client, f"192.0.2.{n}", "victim@example.org")
        assert sent.status_code == 200
    refused = await resume_email(client, "192.0.2.9", "Victim@Example.org")
    assert refused.status_code == 429
    assert 0 < int(refused.headers["retry-after"]) <= 3600
    assert "Too many links have been sent. Try again in 60 minutes." in refused.text
    assert await count(database, OutboxJob) == 3
    # Someone else's address is not affected.
    assert (await resume_email(client, "192.0.2.9", "zoe@example.org")).status_code == 200


async def test_resume_emails_are_limited_per_client(
    setup: tuple[httpx.AsyncClient, Any, Database],
) -> None:
    client, _app, database = setup
    for n in range(5):
        sent = await resume_email(client, "198.51.100.1", f"person{n}@example.org")
        assert sent.status_code == 200
    refused = await resume_email(client, "198.51.100.1", "person9@example.org")
    assert refused.status_code == 429
    assert await count(database, OutboxJob) == 5


async def test_feedback_from_another_site_is_not_recorded(
    setup: tuple[httpx.AsyncClient, Any, Database],
) -> None:
    client, _app, _database = setup
    form = {"page": "eta", "problem": "wrong"}
    refused = await client.post("/fr/retroaction", data=form, headers=FOREIGN)
    assert refused.status_code == 403
    assert "ne venait pas d’une page de ce site" in refused.text
    same_site = {"sec-fetch-site": "same-origin", "origin": "http://testserver"}
    assert (await client.post("/en/feedback", data=form, headers=same_site)).status_code == 200


async def test_the_sandbox_card_form_refuses_other_sites(
    setup: tuple[httpx.AsyncClient, Any, Database], services: Services
) -> None:
    client, _app, _database = setup
    gateway = services.gateway
    payment = await gateway.create_payment(
        idempotency_key="k1",
        amount_cents=700,
        currency="CAD",
        description="eTA",
        return_url="/en/eta/apply/payment-return",
    )
    card = {"number": "4242 4242 4242 4242", "expiry": "12/39", "cvc": "123", "name": "Z"}
    path = f"{gateway.base_path}/{payment.id}"
    refused = await client.post(path, data=card, headers=FOREIGN)
    assert refused.status_code == 403
    charge = await gateway.charge(payment.id)
    assert charge is not None and charge.status == "pending"
    assert (await client.post(path, data=card)).status_code == 303


async def test_the_api_cannot_be_posted_to_by_a_form(
    setup: tuple[httpx.AsyncClient, Any, Database],
) -> None:
    """A form can only send urlencoded, multipart or text/plain bodies; the API reads JSON
    only, and a JSON request from another site needs a CORS preflight that is never granted."""
    import json

    client, _app, database = setup
    body = json.dumps({"answers": ANSWERS})
    for content_type in ("text/plain", "application/x-www-form-urlencoded"):
        refused = await client.post(
            "/api/v1/applications", content=body, headers={"content-type": content_type}
        )
        assert refused.status_code == 422, content_type
    preflight = await client.options(
        "/api/v1/applications",
        headers={"origin": "https://evil.example", "access-control-request-method": "POST"},
    )
    assert "access-control-allow-origin" not in preflight.headers
    assert await count(database, Application) == 0


# Every POST route of the web pages, and what protects it. A new one must be added here,
# with a test above.
PROTECTED = {
    "/en/eta/apply": "form token",
    "/fr/ave/demande": "form token",
    "/en/eta/check": "changes nothing",
    "/fr/ave/verifier": "changes nothing",
    "/en/eta/status": "form token",
    "/fr/ave/etat": "form token",
    "/en/eta/status/resend": "form token",
    "/fr/ave/etat/renvoyer": "form token",
    "/en/eta/apply/check-your-answers": "draft token",
    "/fr/ave/demande/verifier-vos-reponses": "draft token",
    "/en/eta/apply/pay": "draft token",
    "/fr/ave/demande/paiement": "draft token",
    "/en/eta/apply/save": "draft token",
    "/fr/ave/demande/enregistrer": "draft token",
    "/en/eta/apply/{slug}": "draft token",
    "/fr/ave/demande/{slug}": "draft token",
    "/en/feedback": "same-site origin",
    "/fr/retroaction": "same-site origin",
    # The operators' event calendar: the operator token and the ops form token
    # (tests/capacity/test_ops_page.py, test_the_form_needs_its_csrf_token).
    "/ops/calendar": "operator and ops form token",
    "/ops/calendar/fr": "operator and ops form token",
    "/ops/calendar/{event_id}/delete": "operator and ops form token",
    "/ops/calendar/{event_id}/supprimer": "operator and ops form token",
}


async def test_every_post_route_is_accounted_for(
    setup: tuple[httpx.AsyncClient, Any, Database], services: Services
) -> None:
    _client, app, _database = setup
    web = web_app_of(app)
    gateway_base = services.gateway.base_path
    posts = {
        route.path
        for route in api_routes(web.routes)
        if "POST" in (route.methods or ()) and not route.path.startswith(("/api/", gateway_base))
    }
    assert posts == set(PROTECTED)


def api_routes(routes: Sequence[Any]) -> Iterator[APIRoute]:
    """Every route, through included routers (none of ours adds a prefix when included)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif hasattr(route, "original_router"):
            yield from api_routes(route.original_router.routes)
