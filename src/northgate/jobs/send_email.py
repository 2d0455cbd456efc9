"""The ``email`` job: render one message for an application and send it, once.

Delivery is at least once, with a narrow window: the message is rendered in the job's
transaction, handed to the mailer with no database connection held (the worker's
``Outside``), then ``sent_emails`` is written with the job's "done". If the process dies between
the two, the job runs again after its lease and the message is sent a second time, with
the same Message-ID (derived from the job's dedupe key), so mail clients and relays
that de-duplicate by Message-ID show it once. Outside that window a re-run is a no-op.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from datetime import datetime
from email.message import EmailMessage
from email.utils import parseaddr
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from northgate.applications import activity, authorizations, repository
from northgate.applications.record import Answers, ApplicationRecord
from northgate.core.clock import Clock, service_date, utc_now
from northgate.core.lang import Lang
from northgate.eta.countries import country
from northgate.eta.fee import ETA_FEE, Money
from northgate.jobs.outbox import ClaimedJob
from northgate.notify import messages
from northgate.notify.mailer import Mailer
from northgate.storage.models import SentEmail

log = logging.getLogger(__name__)


class CannotRender(Exception):
    """The data a message needs is missing (retried: it may be a not-yet-visible row)."""


def message_id_for(dedupe_key: str, application: ApplicationRecord, sender: str) -> str:
    """The same job always gets the same Message-ID. Hashed with the application's
    secret handle so it says nothing about the application to anyone reading headers."""
    digest = hashlib.sha256(f"{application.public_id}\n{dedupe_key}".encode()).hexdigest()
    domain = parseaddr(sender)[1].rpartition("@")[2] or "northgate.invalid"
    return f"<{digest[:40]}@{domain}>"


def format_fee(amount_cents: int, currency: str, lang: Lang) -> str:
    """As every page states it (``CAD $7.00`` / ``7,00 $ CA``)."""
    return Money(amount_cents=amount_cents, currency=currency).format(lang)


def full_name(answers: Answers, prefix: str = "") -> str:
    return " ".join(
        str(answers.get(prefix + key) or "").strip() for key in ("given_names", "surname")
    ).strip()


def addressees(answers: Answers) -> tuple[str, str | None]:
    """(whom the e-mail greets, the traveller when that is someone else). A parent or
    representative gave the address and paid: they are greeted, and the traveller named."""
    if answers.get("applying_for") == "other":
        return full_name(answers, "representative_"), full_name(answers) or None
    return full_name(answers), None


class Delivery:
    """One rendered message: handed to the mailer, then recorded as sent."""

    def __init__(self, mailer: Mailer, message: EmailMessage, sent: SentEmail) -> None:
        self.mailer = mailer
        self.message = message
        self.sent = sent

    async def run(self) -> None:
        await self.mailer.send(self.message)

    async def record(self, session: AsyncSession) -> None:
        session.add(self.sent)


class SendEmail:
    def __init__(
        self,
        mailer: Mailer,
        sender: str,
        status_urls: Mapping[Lang, str],
        clock: Clock = utc_now,
    ) -> None:
        self.mailer = mailer
        self.sender = sender
        self.status_urls = status_urls
        self.clock = clock

    async def __call__(self, session: AsyncSession, job: ClaimedJob) -> Delivery | None:
        if await activity.email_sent(session, job.dedupe_key):
            return None
        application = await repository.record_by_id(session, int(job.payload["application_id"]))
        if application is None:
            log.warning("job %s: application gone, nothing to send", job.dedupe_key)
            return None
        to = str(job.payload.get("to") or application.email or "")
        if not to:
            log.warning("job %s: no e-mail address, nothing to send", job.dedupe_key)
            return None
        lang: Lang = "fr" if (application.correspondence_lang or application.lang) == "fr" else "en"
        kind: messages.Kind = job.payload["kind"]
        rendered = await self._render(session, kind, lang, application, job.payload)
        now = self.clock()
        message_id = message_id_for(job.dedupe_key, application, self.sender)
        message = messages.compose(
            rendered, to=to, sender=self.sender, message_id=message_id, date=now
        )
        sent_email = SentEmail(
            application_id=application.id,
            kind=kind,
            dedupe_key=job.dedupe_key,
            message_id=message_id,
            to_address=to,
            lang=lang,
            sent_at=now,
        )
        return Delivery(self.mailer, message, sent_email)

    async def _render(
        self,
        session: AsyncSession,
        kind: messages.Kind,
        lang: Lang,
        application: ApplicationRecord,
        payload: Mapping[str, Any],
    ) -> messages.Rendered:
        name, applicant = addressees(application.answers)
        reference = application.reference or ""
        if kind == "receipt":
            payment = await activity.approved_payment_of(session, application.id)
            if payment is None or application.paid_at is None:
                raise CannotRender(f"no approved payment for application {application.id}")
            return messages.receipt(
                lang,
                name=name,
                reference=reference,
                amount=format_fee(payment.amount_cents, payment.currency, lang),
                paid_on=service_date(application.paid_at),
                status_url=self.status_urls[lang],
                applicant=applicant,
            )
        if kind == "approval":
            authorization = await authorizations.authorization_of(session, application.id)
            if authorization is None:
                raise CannotRender(f"no eTA issued for application {application.id}")
            issuer = country(authorization.passport_country)
            return messages.approval(
                lang,
                name=name,
                reference=reference,
                eta_number=authorization.eta_number,
                passport_number=authorization.passport_number,
                passport_country=issuer.name(lang) if issuer else authorization.passport_country,
                valid_until=authorization.valid_until,
                applicant=applicant,
            )
        if kind == "referral":
            return messages.referral(
                lang,
                name=name,
                reference=reference,
                status_url=self.status_urls[lang],
                applicant=applicant,
            )
        if kind == "unpaid":
            return messages.unpaid(
                lang,
                name=name,
                reference=reference,
                fee=ETA_FEE.format(lang),
                status_url=self.status_urls[lang],
                applicant=applicant,
            )
        if kind == "resume":
            expires = payload.get("expires_at")
            return messages.resume(
                lang,
                resume_url=str(payload["resume_url"]),
                expires_at=datetime.fromisoformat(expires) if expires else None,
            )
        raise CannotRender(f"unknown e-mail kind {kind!r}")
