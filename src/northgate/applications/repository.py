"""Reading and writing eTA applications. Every function works inside the caller's session
so that a state change and the jobs it needs commit together. The row lock is in
``locks``, the eTAs issued in ``authorizations``, what was done about an application in
``activity``."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, timedelta
from types import MappingProxyType
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from northgate.applications.record import Answers, ApplicationRecord
from northgate.applications.status import ApplicationStatus
from northgate.core.tokens import B64URL, TokenShape, b64url_length
from northgate.storage.db import upsert_insert
from northgate.storage.models import Application

PUBLIC_ID_BYTES = 16
# Public ids come back in API paths: one not of our shape names no application and is not
# looked up (a NUL byte in it made PostgreSQL raise: a 500).
PUBLIC_ID_SHAPE = TokenShape(f"{B64URL}{{{b64url_length(PUBLIC_ID_BYTES)}}}", 64)

RESUME_LINK_LIFETIME = timedelta(days=30)

# Saving answers and submitting apply to drafts only. The check is the UPDATE's own WHERE,
# not a read before it, so two requests (a double click) cannot both submit: the second
# changes no row and gets StaleApplication.
_DRAFT = ApplicationStatus.DRAFT.value


class StaleApplication(Exception):
    """The application changed since the page was shown (another tab, a replayed post)."""


def _new_row(
    *, lang: str, question_set_version: str, draft_token_hash: str, answers: Answers
) -> dict[str, Any]:
    """The columns every new application starts with, draft or submitted at once."""
    return {
        "public_id": secrets.token_urlsafe(PUBLIC_ID_BYTES),
        "question_set_version": question_set_version,
        "lang": lang,
        "answers": dict(answers),
        "version": 1,
        "draft_token_hash": draft_token_hash,
    }


def _submitted(reference: str, now: datetime, contact: Mapping[str, Any]) -> dict[str, Any]:
    """What submitting sets: durable, with a reference, before any payment."""
    return {
        "status": ApplicationStatus.SUBMITTED.value,
        "reference": reference,
        "submitted_at": now,
        "updated_at": now,
        **contact,
    }


async def create_draft(
    session: AsyncSession, *, lang: str, question_set_version: str, draft_token_hash: str
) -> Application:
    application = Application(
        status=ApplicationStatus.DRAFT.value,
        **_new_row(
            lang=lang,
            question_set_version=question_set_version,
            draft_token_hash=draft_token_hash,
            answers={},
        ),
    )
    session.add(application)
    await session.flush()
    return application


async def create_submitted(
    session: AsyncSession,
    *,
    lang: str,
    question_set_version: str,
    draft_token_hash: str,
    answers: Answers,
    new_reference: Callable[[], str],
    contact: Mapping[str, Any],
    now: datetime,
) -> Application:
    """A complete application submitted at once (the JSON API): one INSERT, reference
    included. A reference already taken inserts nothing (ON CONFLICT DO NOTHING on that
    column only) and another is drawn, so no savepoint is needed to retry; every round trip
    saved here is one the surge's admitted applicants do not wait for."""
    insert = upsert_insert(session.get_bind().dialect.name)
    new = _new_row(
        lang=lang,
        question_set_version=question_set_version,
        draft_token_hash=draft_token_hash,
        answers=answers,
    )
    for _attempt in range(5):
        statement = (
            insert(Application)
            .values(**new, **_submitted(new_reference(), now, contact))
            .on_conflict_do_nothing(index_elements=[Application.reference])
            .returning(Application)
        )
        application: Application | None = await session.scalar(statement)
        if application is not None:
            return application
    raise RuntimeError("could not allocate a unique reference")


async def by_draft_token(session: AsyncSession, draft_token_hash: str) -> Application | None:
    return await session.scalar(
        select(Application).where(Application.draft_token_hash == draft_token_hash)
    )


async def by_public_id(session: AsyncSession, public_id: str) -> Application | None:
    if PUBLIC_ID_SHAPE.text_of(public_id) is None:
        return None
    return await session.scalar(select(Application).where(Application.public_id == public_id))


async def by_resume_token(
    session: AsyncSession, resume_token_hash: str, now: datetime
) -> Application | None:
    application = await session.scalar(
        select(Application).where(Application.resume_token_hash == resume_token_hash)
    )
    if application is None or application.resume_expires_at is None:
        return None
    if _aware(application.resume_expires_at) < now:
        return None
    return application


async def save_answers(
    session: AsyncSession,
    application: Application | ApplicationRecord,
    values: Answers,
    *,
    expected_version: int | None,
    now: datetime,
) -> tuple[dict[str, Any], int]:
    """Merge one page's answers into ``application`` as read (in this transaction, or
    earlier in the request with ``expected_version`` its version). With
    ``expected_version``, refuse a stale write instead of silently overwriting answers
    saved from another tab. One UPDATE ... RETURNING: the new answers and version, so the
    row is not read back. A loaded row is updated in place as if read again."""
    answers = {**application.answers, **values}
    statement = (
        update(Application)
        .where(Application.id == application.id, Application.status == _DRAFT)
        .values(answers=answers, version=Application.version + 1, updated_at=now)
        .returning(Application.version)
        .execution_options(synchronize_session=False)
    )
    if expected_version is not None:
        statement = statement.where(Application.version == expected_version)
    version = (await session.execute(statement)).scalar_one_or_none()
    if version is None:
        raise StaleApplication
    if isinstance(application, Application):
        changed = {"answers": answers, "version": version, "updated_at": now}
        for name, value in changed.items():
            set_committed_value(application, name, value)
    return answers, version


async def submit(
    session: AsyncSession,
    application_id: int,
    *,
    reference: str,
    contact: Mapping[str, Any],
    now: datetime,
    expected_version: int | None = None,
) -> int:
    """Make the draft durable with ``reference``, before any payment: one UPDATE ...
    RETURNING, its new version. Raises StaleApplication when it is no longer a draft (or,
    with ``expected_version``, changed since it was read), and IntegrityError when the
    reference is taken: 55 random bits make that rare, so the caller retries the whole
    transaction rather than paying for a SAVEPOINT on every submission."""
    statement = (
        update(Application)
        .where(Application.id == application_id, Application.status == _DRAFT)
        .values(version=Application.version + 1, **_submitted(reference, now, contact))
        .returning(Application.version)
        .execution_options(synchronize_session=False)
    )
    if expected_version is not None:
        statement = statement.where(Application.version == expected_version)
    version = (await session.execute(statement)).scalar_one_or_none()
    if version is None:
        raise StaleApplication
    return version


async def find_for_status(
    session: AsyncSession, *, reference: str, passport_number: str, date_of_birth: date
) -> Application | None:
    """All three must match, so a reference alone reveals nothing."""
    return await session.scalar(
        select(Application).where(
            Application.reference == reference,
            Application.passport_number == passport_number,
            Application.date_of_birth == date_of_birth,
        )
    )


async def set_resume_token(
    session: AsyncSession, application: Application, resume_token_hash: str, now: datetime
) -> None:
    application.resume_token_hash = resume_token_hash
    application.resume_expires_at = now + RESUME_LINK_LIFETIME
    await session.flush()


async def set_draft_token(
    session: AsyncSession, application: Application, draft_token_hash: str
) -> None:
    """Hand the application to a new browser session: the old cookie stops working."""
    application.draft_token_hash = draft_token_hash
    await session.flush()


async def record_by_id(session: AsyncSession, application_id: int) -> ApplicationRecord | None:
    application = await session.get(Application, application_id)
    return None if application is None else record_of(application)


async def status_of(session: AsyncSession, application_id: int) -> ApplicationStatus | None:
    status = await session.scalar(
        select(Application.status).where(Application.id == application_id)
    )
    return None if status is None else ApplicationStatus(status)


def record_of(application: Application) -> ApplicationRecord:
    """The row as a value that outlives its session."""
    return ApplicationRecord(
        id=application.id,
        public_id=application.public_id,
        reference=application.reference,
        status=ApplicationStatus(application.status),
        lang=application.lang,
        answers=MappingProxyType(dict(application.answers)),
        version=application.version,
        draft_token_hash=application.draft_token_hash,
        email=application.email,
        correspondence_lang=application.correspondence_lang,
        passport_number=application.passport_number,
        date_of_birth=application.date_of_birth,
        decision_reasons=(
            None if application.decision_reasons is None else tuple(application.decision_reasons)
        ),
        submitted_at=_aware_or_none(application.submitted_at),
        paid_at=_aware_or_none(application.paid_at),
        decided_at=_aware_or_none(application.decided_at),
    )


def _aware(moment: datetime) -> datetime:
    # SQLite returns naive datetimes for timezone-aware columns; they are stored in UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _aware_or_none(moment: datetime | None) -> datetime | None:
    return None if moment is None else _aware(moment)
