"""The application service: everything the web journey, the API and the jobs do to an
application, each in its own transaction. Callers get records, never database rows, and
open no session of their own.

Submitting is the same from the web journey (a draft, answered page by page) and the API
(a complete application in one request): the application gets a reference and becomes
durable, and its payment follow-up is scheduled, in one commit, before any payment.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from types import MappingProxyType

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from northgate.applications import activity, authorizations, repository
from northgate.applications.record import (
    Answers,
    ApplicationRecord,
    StatusRecord,
    contact_fields,
)
from northgate.applications.repository import StaleApplication
from northgate.applications.resending import RESENDS_PER_HOUR, ResendResult, resendable
from northgate.applications.scheduling import EMAIL, PAYMENT_FOLLOW_UP, Enqueue
from northgate.applications.status import ApplicationStatus
from northgate.eta.questions import QUESTION_SET
from northgate.eta.references import new_reference
from northgate.storage.db import Database
from northgate.storage.models import Application

__all__ = ["ApplicationService", "NoSuchApplication", "StaleApplication", "Submitted"]

# One resume e-mail per application per minute is plenty; more is someone hammering.
RESUME_EMAIL_INTERVAL = timedelta(minutes=1)


class NoSuchApplication(LookupError):
    """The browser's draft token names no application (another browser resumed it)."""


@dataclass(frozen=True)
class Submitted:
    """An API submission: the application, and whether this request created it (False
    when the idempotency key had been used already)."""

    status: StatusRecord
    created: bool


class ApplicationService:
    def __init__(
        self,
        database: Database,
        enqueue: Enqueue,
        *,
        follow_up_after: timedelta,
        new_reference: Callable[[], str] = new_reference,
        question_set_version: str = QUESTION_SET.version,
    ) -> None:
        self.database = database
        self.enqueue = enqueue
        # How long after submission an applicant whose fee never arrived is reminded.
        self.follow_up_after = follow_up_after
        self.new_reference = new_reference
        self.question_set_version = question_set_version

    # --- The web journey: a draft, answered page by page --------------------------------

    async def start(self, *, lang: str, draft_token_hash: str) -> ApplicationRecord:
        """A new, empty draft for the browser holding the token."""
        async with self.database.session() as session:
            application = await repository.create_draft(
                session,
                lang=lang,
                question_set_version=self.question_set_version,
                draft_token_hash=draft_token_hash,
            )
            await session.commit()
            return repository.record_of(application)

    async def open(self, draft_token_hash: str) -> ApplicationRecord | None:
        """The application this browser session works on (every journey page asks)."""
        async with self.database.reader() as session:
            application = await repository.by_draft_token(session, draft_token_hash)
            return None if application is None else repository.record_of(application)

    async def save_answers(
        self,
        draft_token_hash: str,
        values: Answers,
        *,
        now: datetime,
        expected_version: int | None = None,
        read: ApplicationRecord | None = None,
    ) -> ApplicationRecord:
        """Merge one page's answers into the draft. Raises StaleApplication when it is no
        longer a draft (or, with ``expected_version``, changed since the page was shown).

        ``read``: the draft as the caller read it earlier in this request (the journey's
        pages all do). Its answers are merged without reading the row again, and its
        version guards the write, so an answer saved from another tab meanwhile is never
        overwritten (StaleApplication instead): one UPDATE, one round trip."""
        async with self.database.session() as session:
            if read is not None and read.draft_token_hash == draft_token_hash:
                guard = read.version if expected_version is None else expected_version
                answers, version = await repository.save_answers(
                    session, read, values, expected_version=guard, now=now
                )
                await session.commit()
                return replace(read, answers=MappingProxyType(answers), version=version)
            application = await self._drafted(session, draft_token_hash)
            await repository.save_answers(
                session, application, values, expected_version=expected_version, now=now
            )
            await session.commit()
            return repository.record_of(application)

    async def submit(
        self,
        draft_token_hash: str,
        *,
        lang: str,
        now: datetime,
        read: ApplicationRecord | None = None,
    ) -> ApplicationRecord:
        """Submit the draft: a reference, durable, follow-up scheduled, before payment, in
        one transaction. Raises StaleApplication when it was submitted already (a double
        click) or, with ``read`` (the draft as the caller read and checked it earlier in
        this request), when it changed since: what is submitted is what was checked.

        With ``read``, the transaction is two statements (UPDATE ... RETURNING, the
        follow-up job's INSERT) and no SAVEPOINT: a reference already taken fails the
        UPDATE, and the whole transaction is tried again with another."""
        for _attempt in range(5):
            try:
                return await self._submit_once(draft_token_hash, lang=lang, now=now, read=read)
            except IntegrityError:
                continue  # a reference collision: rare, not impossible
        raise RuntimeError("could not allocate a unique reference")

    async def _submit_once(
        self, draft_token_hash: str, *, lang: str, now: datetime, read: ApplicationRecord | None
    ) -> ApplicationRecord:
        async with self.database.session() as session:
            if read is not None and read.draft_token_hash == draft_token_hash:
                record, expected = read, read.version
            else:
                record = repository.record_of(await self._drafted(session, draft_token_hash))
                expected = None
            reference = self.new_reference()
            contact = contact_fields(record.answers, lang)
            version = await repository.submit(
                session,
                record.id,
                reference=reference,
                contact=contact,
                now=now,
                expected_version=expected,
            )
            await self._schedule_follow_up(session, record.id, now)
            await session.commit()
        return replace(
            record,
            status=ApplicationStatus.SUBMITTED,
            reference=reference,
            version=version,
            submitted_at=now,
            **contact,
        )

    async def email_resume_link(
        self,
        draft_token_hash: str,
        *,
        resume_token_hash: str,
        to: str,
        resume_url: str,
        now: datetime,
    ) -> None:
        """Save for later: the resume token is stored (hashed) and its link e-mailed."""
        async with self.database.session() as session:
            application = await self._drafted(session, draft_token_hash)
            await repository.set_resume_token(session, application, resume_token_hash, now)
            minute = int(now.timestamp() // RESUME_EMAIL_INTERVAL.total_seconds())
            await self.enqueue(
                session,
                EMAIL,
                f"email:resume:{application.id}:{minute}",
                {
                    "application_id": application.id,
                    "kind": "resume",
                    "to": to,
                    "resume_url": resume_url,
                },
                now=now,
            )
            await session.commit()

    async def resume(
        self, resume_token_hash: str, *, new_draft_token_hash: str, now: datetime
    ) -> ApplicationRecord | None:
        """Open a saved application from its e-mailed link, handing it to a new browser
        session; None for an unknown or expired link."""
        async with self.database.session() as session:
            application = await repository.by_resume_token(session, resume_token_hash, now)
            if application is None:
                return None
            await repository.set_draft_token(session, application, new_draft_token_hash)
            await session.commit()
            return repository.record_of(application)

    # --- The API: a complete application in one request ---------------------------------

    async def submit_complete(
        self, answers: Answers, *, lang: str, idempotency_key: str | None, now: datetime
    ) -> Submitted:
        """Create an application submitted at once, from answers already validated. The
        same idempotency key returns the application it created the first time."""
        # The draft-token column doubles as the idempotency record for API submissions.
        token = f"api:{idempotency_key}" if idempotency_key else f"api:{secrets.token_urlsafe(24)}"
        token_hash = hashlib.sha256(token.encode()).hexdigest()
        async with self.database.session() as session:
            if idempotency_key:
                existing = await repository.by_draft_token(session, token_hash)
                if existing is not None:
                    return Submitted(await self._status(session, existing), created=False)
            application = await repository.create_submitted(
                session,
                lang=lang,
                question_set_version=self.question_set_version,
                draft_token_hash=token_hash,
                answers=answers,
                new_reference=self.new_reference,
                contact=contact_fields(answers, lang),
                now=now,
            )
            await self._schedule_follow_up(session, application.id, now)
            await session.commit()
            # Just submitted: no decision, so no travel authorization to look up.
            return Submitted(StatusRecord(repository.record_of(application), None), created=True)

    async def by_public_id(self, public_id: str) -> ApplicationRecord | None:
        async with self.database.reader() as session:
            application = await repository.by_public_id(session, public_id)
            return None if application is None else repository.record_of(application)

    async def status(self, public_id: str) -> StatusRecord | None:
        """The application with this public id, and its eTA if one was issued."""
        async with self.database.reader() as session:
            application = await repository.by_public_id(session, public_id)
            return None if application is None else await self._status(session, application)

    # --- Status look-up and re-sending ---------------------------------------------------

    async def look_up(
        self, *, reference: str, passport_number: str, date_of_birth: date
    ) -> StatusRecord | None:
        """All three must match, so a reference alone reveals nothing."""
        async with self.database.reader() as session:
            application = await repository.find_for_status(
                session,
                reference=reference,
                passport_number=passport_number,
                date_of_birth=date_of_birth,
            )
            return None if application is None else await self._status(session, application)

    async def resend(
        self, application_id: int, kind: str | None, *, now: datetime, limit: int = RESENDS_PER_HOUR
    ) -> ResendResult:
        """Send a lost e-mail again, a few times an hour at most.

        Enqueues ``email:<kind>:<id>:resend:<n>``. Two clicks at once compute the same
        ``n``; the second enqueue is then ignored by the dedupe key, which is what a
        double click deserves.
        """
        async with self.database.session() as session:
            status = await repository.status_of(session, application_id)
            if status is None or kind is None or not resendable(status, kind):
                return ResendResult.NOT_AVAILABLE
            prefix = f"email:{kind}:{application_id}:resend:"
            total, recent = await activity.jobs_since(session, prefix, now - timedelta(hours=1))
            if recent >= limit:
                return ResendResult.LIMIT_REACHED
            await self.enqueue(
                session,
                EMAIL,
                f"{prefix}{total + 1}",
                {"application_id": application_id, "kind": kind},
                now=now,
            )
            await session.commit()
            return ResendResult.QUEUED

    # --- Shared steps --------------------------------------------------------------------

    async def _drafted(self, session: AsyncSession, draft_token_hash: str) -> Application:
        application = await repository.by_draft_token(session, draft_token_hash)
        if application is None:
            raise NoSuchApplication(draft_token_hash)
        return application

    async def _status(self, session: AsyncSession, application: Application) -> StatusRecord:
        authorization = await authorizations.authorization_of(session, application.id)
        return StatusRecord(
            repository.record_of(application),
            None if authorization is None else authorizations.record_of(authorization),
        )

    async def _schedule_follow_up(
        self, session: AsyncSession, application_id: int, now: datetime
    ) -> None:
        await self.enqueue(
            session,
            PAYMENT_FOLLOW_UP,
            f"{PAYMENT_FOLLOW_UP}:{application_id}",
            {"application_id": application_id},
            available_at=now + self.follow_up_after,
            now=now,
        )
