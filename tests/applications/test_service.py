"""The application service on both backends: what the web journey, the API and the
status page ask of it, each answered with records and committed in one transaction."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from northgate.applications import authorizations
from northgate.applications.locks import lock_application
from northgate.applications.record import ApplicationRecord
from northgate.applications.resending import ResendResult
from northgate.applications.service import (
    ApplicationService,
    NoSuchApplication,
    StaleApplication,
)
from northgate.applications.status import ApplicationStatus
from northgate.jobs.outbox import enqueue
from northgate.storage.db import Database
from northgate.storage.models import OutboxJob
from tests.payments.support import answers

NOW = datetime(2016, 11, 8, 23, 0, tzinfo=UTC)
FOLLOW_UP_AFTER = timedelta(hours=1)


def references() -> Iterator[str]:
    for n in range(1000):
        yield f"4KX7-92QD-{n:04d}"


@pytest.fixture
def service(database: Database) -> ApplicationService:
    draw = references()
    return ApplicationService(
        database, enqueue, follow_up_after=FOLLOW_UP_AFTER, new_reference=lambda: next(draw)
    )


async def jobs(database: Database) -> dict[str, tuple[str, dict[str, Any]]]:
    """The outbox: (kind, payload) by dedupe key."""
    async with database.session() as session:
        rows = (await session.scalars(select(OutboxJob).order_by(OutboxJob.id))).all()
    return {row.dedupe_key: (row.kind, row.payload) for row in rows}


async def answered_draft(service: ApplicationService, token: str) -> ApplicationRecord:
    await service.start(lang="fr", draft_token_hash=token)
    return await service.save_answers(token, answers(correspondence_language="fr"), now=NOW)


async def test_a_draft_is_answered_page_by_page(service: ApplicationService) -> None:
    started = await service.start(lang="en", draft_token_hash="t1")
    assert started.status is ApplicationStatus.DRAFT
    assert (started.reference, dict(started.answers), started.version) == (None, {}, 1)

    await service.save_answers("t1", {"surname": "Martin"}, now=NOW)
    saved = await service.save_answers("t1", {"given_names": "Claire"}, now=NOW)
    assert dict(saved.answers) == {"surname": "Martin", "given_names": "Claire"}
    assert saved.version == 3
    assert await service.open("t1") == saved
    assert await service.open("nobody") is None


async def test_a_save_from_a_stale_page_is_refused(service: ApplicationService) -> None:
    await service.start(lang="en", draft_token_hash="t1")
    await service.save_answers("t1", {"surname": "Martin"}, now=NOW, expected_version=1)
    with pytest.raises(StaleApplication):
        await service.save_answers("t1", {"surname": "Other"}, now=NOW, expected_version=1)
    opened = await service.open("t1")
    assert opened is not None and opened.answers["surname"] == "Martin"


async def test_records_cannot_be_changed_by_their_holder(service: ApplicationService) -> None:
    record = await service.start(lang="en", draft_token_hash="t1")
    with pytest.raises(AttributeError):
        record.status = ApplicationStatus.PAID  # type: ignore[misc]
    with pytest.raises(TypeError):
        record.answers["surname"] = "X"  # type: ignore[index]


async def test_submitting_makes_it_durable_and_schedules_the_follow_up(
    database: Database, service: ApplicationService
) -> None:
    draft = await answered_draft(service, "t1")
    submitted = await service.submit("t1", lang="fr", now=NOW)
    assert submitted.status is ApplicationStatus.SUBMITTED
    assert submitted.reference == "4KX7-92QD-0000"
    assert submitted.submitted_at == NOW
    assert (submitted.email, submitted.correspondence_lang) == ("claire@example.org", "fr")
    assert (submitted.passport_number, submitted.date_of_birth) == ("AB123456", date(1985, 4, 12))
    follow_up = f"payment-follow-up:{draft.id}"
    assert await jobs(database) == {follow_up: ("payment-follow-up", {"application_id": draft.id})}
    async with database.session() as session:
        job = await session.scalar(select(OutboxJob).where(OutboxJob.dedupe_key == follow_up))
        assert job is not None
        assert job.available_at.replace(tzinfo=UTC) == NOW + FOLLOW_UP_AFTER

    # A double click: the second submit changes nothing.
    with pytest.raises(StaleApplication):
        await service.submit("t1", lang="fr", now=NOW + timedelta(seconds=1))
    with pytest.raises(StaleApplication):
        await service.save_answers("t1", {"surname": "Late"}, now=NOW)
    assert await service.open("t1") == submitted


async def test_a_page_saved_from_the_draft_read_in_the_request(
    service: ApplicationService,
) -> None:
    """The journey's pages hand in the draft they read: merged without reading it again,
    and refused if another tab saved in between rather than overwriting that answer."""
    read = await service.start(lang="en", draft_token_hash="t1")
    saved = await service.save_answers("t1", {"surname": "Martin"}, now=NOW, read=read)
    assert (dict(saved.answers), saved.version) == ({"surname": "Martin"}, 2)
    assert await service.open("t1") == saved
    # ``read`` is now stale: the tab that read it must not overwrite "Martin".
    with pytest.raises(StaleApplication):
        await service.save_answers("t1", {"surname": "Other"}, now=NOW, read=read)
    again = await service.save_answers("t1", {"given_names": "Claire"}, now=NOW, read=saved)
    assert dict(again.answers) == {"surname": "Martin", "given_names": "Claire"}
    assert await service.open("t1") == again


async def test_a_submission_checked_in_the_request_is_what_is_submitted(
    database: Database, service: ApplicationService
) -> None:
    draft = await answered_draft(service, "t1")
    changed = await service.save_answers("t1", {"surname": "Late"}, now=NOW)
    with pytest.raises(StaleApplication):  # changed since ``draft`` was checked
        await service.submit("t1", lang="fr", now=NOW, read=draft)
    submitted = await service.submit("t1", lang="fr", now=NOW, read=changed)
    assert submitted.status is ApplicationStatus.SUBMITTED
    assert submitted.email == "claire@example.org" and submitted.version == changed.version + 1
    assert await service.open("t1") == submitted
    assert list(await jobs(database)) == [f"payment-follow-up:{draft.id}"]
    with pytest.raises(StaleApplication):  # a double click
        await service.submit("t1", lang="fr", now=NOW, read=changed)


async def test_a_taken_reference_retries_the_submission_without_a_savepoint(
    database: Database,
) -> None:
    draws = iter(["4KX7-92QD-0001", "4KX7-92QD-0001", "4KX7-92QD-0002"])
    service = ApplicationService(
        database, enqueue, follow_up_after=FOLLOW_UP_AFTER, new_reference=lambda: next(draws)
    )
    first = await answered_draft(service, "t1")
    second = await answered_draft(service, "t2")
    assert (await service.submit("t1", lang="fr", now=NOW, read=first)).reference == (
        "4KX7-92QD-0001"
    )
    # The reference drawn first is taken: the transaction is tried again with the next one,
    # and its follow-up job is written once.
    again = await service.submit("t2", lang="fr", now=NOW, read=second)
    assert again.reference == "4KX7-92QD-0002"
    assert await service.open("t2") == again
    assert set(await jobs(database)) == {
        f"payment-follow-up:{first.id}",
        f"payment-follow-up:{second.id}",
    }


async def test_a_browser_whose_application_was_taken_elsewhere_finds_none(
    service: ApplicationService,
) -> None:
    with pytest.raises(NoSuchApplication):
        await service.save_answers("gone", {"surname": "Martin"}, now=NOW)
    with pytest.raises(NoSuchApplication):
        await service.submit("gone", lang="en", now=NOW)


async def test_an_api_submission_is_idempotent_by_its_key(
    database: Database, service: ApplicationService
) -> None:
    first = await service.submit_complete(answers(), lang="en", idempotency_key="k1", now=NOW)
    again = await service.submit_complete(answers(), lang="en", idempotency_key="k1", now=NOW)
    other = await service.submit_complete(answers(), lang="en", idempotency_key=None, now=NOW)
    unkeyed = await service.submit_complete(answers(), lang="en", idempotency_key=None, now=NOW)
    assert (first.created, again.created, other.created, unkeyed.created) == (
        True,
        False,
        True,
        True,
    )
    assert again.status == first.status
    assert first.status.application.status is ApplicationStatus.SUBMITTED
    assert first.status.authorization is None
    ids = {s.status.application.id for s in (first, other, unkeyed)}
    assert len(ids) == 3
    assert sorted(await jobs(database)) == sorted(f"payment-follow-up:{id}" for id in ids)


async def test_status_by_public_id_and_by_look_up(
    database: Database, service: ApplicationService
) -> None:
    submitted = (
        await service.submit_complete(answers(), lang="en", idempotency_key="k1", now=NOW)
    ).status.application
    status = await service.status(submitted.public_id)
    assert status is not None and status.application == submitted
    assert await service.by_public_id(submitted.public_id) == submitted
    assert await service.status("no-such-id") is None
    assert submitted.reference is not None

    found = await service.look_up(
        reference=submitted.reference, passport_number="AB123456", date_of_birth=date(1985, 4, 12)
    )
    assert found is not None and found.application == submitted and found.authorization is None
    # All three must match: a reference alone reveals nothing.
    assert (
        await service.look_up(
            reference=submitted.reference,
            passport_number="AB123456",
            date_of_birth=date(1985, 4, 13),
        )
        is None
    )

    async with database.session() as session, session.begin():
        row = await lock_application(session, submitted.id)
        assert row is not None
        row.status = "approved"
        await authorizations.issue_authorization(
            session,
            row,
            eta_number="E123456789",
            passport_number="AB123456",
            passport_country="FR",
            valid_until=date(2021, 11, 8),
            now=NOW,
        )
    found = await service.look_up(
        reference=submitted.reference, passport_number="AB123456", date_of_birth=date(1985, 4, 12)
    )
    assert found is not None and found.authorization is not None
    assert found.application.status is ApplicationStatus.APPROVED
    assert (found.authorization.eta_number, found.authorization.status) == ("E123456789", "valid")
    assert found.authorization.valid_until == date(2021, 11, 8)


async def test_resending_a_lost_e_mail(database: Database, service: ApplicationService) -> None:
    submitted = (
        await service.submit_complete(answers(), lang="en", idempotency_key="k1", now=NOW)
    ).status.application
    assert await service.resend(submitted.id, "receipt", now=NOW) is ResendResult.NOT_AVAILABLE
    assert await service.resend(404_404, "receipt", now=NOW) is ResendResult.NOT_AVAILABLE
    async with database.session() as session, session.begin():
        row = await lock_application(session, submitted.id)
        assert row is not None
        row.status = "paid"
    assert await service.resend(submitted.id, None, now=NOW) is ResendResult.NOT_AVAILABLE
    assert await service.resend(submitted.id, "approval", now=NOW) is ResendResult.NOT_AVAILABLE
    for _ in range(3):
        assert await service.resend(submitted.id, "receipt", now=NOW) is ResendResult.QUEUED
    assert await service.resend(submitted.id, "receipt", now=NOW) is ResendResult.LIMIT_REACHED
    later = NOW + timedelta(hours=1, seconds=1)
    assert await service.resend(submitted.id, "receipt", now=later) is ResendResult.QUEUED
    resends = [key for key in await jobs(database) if ":resend:" in key]
    assert resends == [f"email:receipt:{submitted.id}:resend:{n}" for n in (1, 2, 3, 4)]


async def test_save_for_later_and_resume_in_another_browser(
    database: Database, service: ApplicationService
) -> None:
    draft = await answered_draft(service, "first-browser")
    await service.email_resume_link(
        "first-browser",
        resume_token_hash="resume-hash",
        to="later@example.org",
        resume_url="https://eta.example/fr/ave/reprendre/tok",
        now=NOW,
    )
    minute = int(NOW.timestamp() // 60)
    assert await jobs(database) == {
        f"email:resume:{draft.id}:{minute}": (
            "email",
            {
                "application_id": draft.id,
                "kind": "resume",
                "to": "later@example.org",
                "resume_url": "https://eta.example/fr/ave/reprendre/tok",
            },
        )
    }

    assert await service.resume("wrong", new_draft_token_hash="second-browser", now=NOW) is None
    resumed = await service.resume(
        "resume-hash", new_draft_token_hash="second-browser", now=NOW + timedelta(days=29)
    )
    assert resumed is not None and resumed.id == draft.id
    assert resumed.answers == draft.answers
    # The old browser's cookie no longer opens it; the new one does.
    assert await service.open("first-browser") is None
    assert await service.open("second-browser") == resumed
    # The link lasts 30 days.
    assert (
        await service.resume(
            "resume-hash", new_draft_token_hash="third", now=NOW + timedelta(days=31)
        )
        is None
    )
