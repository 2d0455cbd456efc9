"""A lost e-mail can be sent again from the status page, a few times an hour."""

from __future__ import annotations

import email
import email.policy
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from northgate.applications.resending import ResendResult
from northgate.applications.service import ApplicationService
from northgate.composition import Services, build
from northgate.jobs.outbox import enqueue
from northgate.settings import Settings
from northgate.storage.db import Database
from northgate.storage.models import SentEmail
from tests.jobs.support import drain, pay
from tests.payments.support import Clock, create_application


async def _resend(database: Database, application_id: int, kind: str, clock: Clock) -> str:
    service = ApplicationService(database, enqueue, follow_up_after=timedelta(hours=1))
    return await service.resend(application_id, kind, now=clock())


@pytest.fixture
async def clocked(
    database_url: str, make_settings: Callable[..., Settings]
) -> AsyncIterator[tuple[Services, Clock]]:
    """The services on a clock the test moves, e-mailing links to the public origin."""
    clock = Clock()
    services = build(
        make_settings(database_url=database_url, public_origin="https://eta.example"), clock=clock
    )
    try:
        yield services, clock
    finally:
        await services.aclose()


async def test_resend_sends_again_up_to_three_times_an_hour(
    clocked: tuple[Services, Clock],
) -> None:
    services, clock = clocked
    settings, database = services.settings, services.database
    gateway, payments, worker = services.gateway, services.payments, services.worker
    application_id = await create_application(database, lang="fr")
    submitted_only = await create_application(database)

    assert await _resend(database, application_id, "receipt", clock) == "not-available"
    await pay(payments, gateway, application_id)
    await drain(worker)

    assert await _resend(database, application_id, "referral", clock) == "not-available"
    assert await _resend(database, submitted_only, "receipt", clock) == "not-available"
    for _ in range(3):
        assert await _resend(database, application_id, "approval", clock) == "queued"
        clock.advance(minutes=1)
    assert await _resend(database, application_id, "approval", clock) == ResendResult.LIMIT_REACHED
    await drain(worker)
    clock.advance(hours=1)
    assert await _resend(database, application_id, "approval", clock) == "queued"
    await drain(worker)

    async with database.session() as session:
        sent = (await session.scalars(select(SentEmail).order_by(SentEmail.id))).all()
    # Jobs of one batch run concurrently, so their order is not fixed.
    assert sorted(s.dedupe_key for s in sent) == sorted(
        [
            f"email:receipt:{application_id}",
            f"email:approval:{application_id}",
            *(f"email:approval:{application_id}:resend:{n}" for n in (1, 2, 3, 4)),
        ]
    )
    # Each resend is a message of its own (its own Message-ID), as a resend should be.
    assert len({s.message_id for s in sent}) == len(sent)
    files = sorted(settings.mail_dir.glob("*.eml"))
    assert len(files) == 6
    last = email.message_from_bytes(files[-1].read_bytes(), policy=email.policy.default)
    assert str(last["Subject"]).startswith("Votre AVE est approuvée")


async def test_a_resume_link_is_mailed_to_the_address_given(
    clocked: tuple[Services, Clock],
) -> None:
    services, clock = clocked
    settings, database = services.settings, services.database
    draft = await create_application(database, status="draft")
    async with database.session() as session, session.begin():
        await enqueue(
            session,
            "email",
            f"email:resume:{draft}:1",
            {
                "application_id": draft,
                "kind": "resume",
                "to": "later@example.org",
                "resume_url": "https://eta.example/en/eta/resume/tok",
                "expires_at": datetime(2016, 12, 8, 5, 0, tzinfo=UTC).isoformat(),
            },
            now=clock(),
        )
    await drain(services.worker)
    [path] = settings.mail_dir.glob("*.eml")
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert message["To"] == "later@example.org"
    body = message.get_body(("plain",))
    assert body is not None
    text = body.get_content()
    assert "https://eta.example/en/eta/resume/tok" in text
    assert "December 8, 2016 at 12:00 a.m. EST" in text
