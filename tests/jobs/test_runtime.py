"""The embedded default end to end, as ``northgate.composition`` assembles it: card form over
HTTP, settle on return, and the in-server worker writing the e-mails to var/mail/."""

from __future__ import annotations

import email
import email.policy
from collections.abc import Callable

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from northgate.composition import build
from northgate.jobs.worker import running_worker
from northgate.payments.sandbox_page import sandbox_router
from northgate.settings import Settings
from northgate.storage.models import TravelAuthorization
from tests.jobs.support import eventually
from tests.payments.support import create_application


async def test_pay_on_the_card_page_and_get_the_eta_by_e_mail(
    database_url: str, make_settings: Callable[..., Settings]
) -> None:
    settings = make_settings(database_url=database_url)
    services = build(settings)
    database = services.database
    app = FastAPI()
    app.include_router(
        sandbox_router(services.gateway, services.site.assets, settings.public_origin)
    )
    application_id = await create_application(database, lang="fr")
    try:
        async with (
            running_worker(services.worker),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://northgate"
            ) as client,
        ):
            started = await services.payments.start(
                application_id, "/fr/ave/demande/retour-paiement"
            )
            assert started.redirect_url is not None
            page = await client.get(started.redirect_url)
            assert "Payer par carte" in page.text  # French, from the return URL
            paid = await client.post(
                started.redirect_url,
                data={
                    "number": "4242424242424242",
                    "expiry": "12/39",
                    "cvc": "123",
                    "name": "Claire Martin",
                },
            )
            assert paid.status_code == 303
            location = paid.headers["location"]
            assert location.startswith("/fr/ave/demande/retour-paiement?payment=sbx_")
            settled = await services.payments.settle(location.rsplit("=", 1)[1])
            assert settled.status == "approved"

            async def two_files() -> bool:
                return len(list(settings.mail_dir.glob("*.eml"))) == 2

            await eventually(two_files)
        async with database.session() as session:
            authorization = await session.scalar(select(TravelAuthorization))
        assert authorization is not None
        subjects = {
            str(email.message_from_bytes(path.read_bytes(), policy=email.policy.default)["Subject"])
            for path in settings.mail_dir.glob("*.eml")
        }
        assert f"Votre AVE est approuvée – {authorization.eta_number}" in subjects
    finally:
        await services.aclose()
