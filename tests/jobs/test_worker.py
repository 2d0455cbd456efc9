"""From payment to the traveller's inbox: decisions, eTAs and e-mails, on both backends,
delivered over SMTP to a real server."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from email.message import EmailMessage

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from northgate.core.lang import Lang
from northgate.jobs.handlers import build_handlers
from northgate.jobs.outbox import ClaimedJob, enqueue
from northgate.jobs.worker import Worker
from northgate.notify.smtp import SmtpMailer
from northgate.payments.sandbox import SandboxGateway
from northgate.payments.service import PaymentService
from northgate.storage.db import Database
from northgate.storage.models import (
    Application,
    OutboxJob,
    SentEmail,
    TravelAuthorization,
)
from tests.jobs.support import drain, eventually, paid_application, pay
from tests.notify.smtp import SmtpServer
from tests.payments.support import Clock, count, create_application
from tests.support.servers import free_port

SENDER = "Northgate eTA <no-reply@northgate.invalid>"
STATUS_URLS: dict[Lang, str] = {
    "en": "https://eta.example/en/eta/status",
    "fr": "https://eta.example/fr/ave/etat",
}


@dataclass
class Rig:
    database: Database
    clock: Clock
    gateway: SandboxGateway
    payments: PaymentService
    worker: Worker
    smtp: SmtpServer


@pytest.fixture
async def rig(database: Database, smtp_server: SmtpServer) -> AsyncIterator[Rig]:
    clock = Clock()
    gateway = SandboxGateway(database, clock=clock)
    payments = PaymentService(database, gateway, clock, reconcile_after_seconds=900)
    handlers = build_handlers(
        mailer=SmtpMailer("127.0.0.1", smtp_server.port, timeout=5),
        mail_from=SENDER,
        status_urls=STATUS_URLS,
        clock=clock,
    )
    worker = Worker(database, handlers, clock, payments=payments, reconcile_every=0)
    yield Rig(database, clock, gateway, payments, worker, smtp_server)


async def _authorizations(database: Database) -> list[TravelAuthorization]:
    async with database.session() as session:
        query = select(TravelAuthorization).order_by(TravelAuthorization.id)
        return list((await session.scalars(query)).all())


def _body(message: object) -> str:
    part = message.get_body(("plain",))  # type: ignore[attr-defined]
    assert part is not None
    return str(part.get_content())


@pytest.mark.parametrize("lang", ["en", "fr"])
async def test_paid_application_is_approved_and_the_eta_e_mailed(rig: Rig, lang: str) -> None:
    application_id = await create_application(rig.database, lang=lang)
    await pay(rig.payments, rig.gateway, application_id)

    assert await drain(rig.worker) == 3  # decide, receipt, then the approval it enqueued
    received = await rig.smtp.wait_for(2)
    [authorization] = await _authorizations(rig.database)
    assert (authorization.passport_number, authorization.passport_country) == ("AB123456", "FR")
    assert authorization.status == "valid"
    by_subject = {r.message["Subject"]: r for r in received}
    if lang == "en":
        approval = by_subject[f"Your eTA is approved – {authorization.eta_number}"]
        receipt = next(r for s, r in by_subject.items() if s.startswith("Payment received"))
        assert "Fee paid: CAD $7.00" in _body(receipt.message)
        assert f"eTA number: {authorization.eta_number}" in _body(approval.message)
        assert "Passport country or territory: France" in _body(approval.message)
    else:
        approval = by_subject[f"Votre AVE est approuvée – {authorization.eta_number}"]
        receipt = next(r for s, r in by_subject.items() if s.startswith("Paiement reçu"))
        assert "Frais payés\u00a0: 7,00\u00a0$" in _body(receipt.message)
        assert f"Numéro d’AVE\u00a0: {authorization.eta_number}" in _body(approval.message)
        assert approval.message["Content-Language"] == "fr-CA"
    assert approval.recipients == ["claire@example.org"]
    assert "AB123456" in _body(approval.message)

    async with rig.database.session() as session:
        application = await session.get(Application, application_id)
        sent = (await session.scalars(select(SentEmail.kind).order_by(SentEmail.kind))).all()
    assert application is not None and application.status == "approved"
    assert application.decision_reasons == []
    assert sent == ["approval", "receipt"]


async def test_rerunning_done_jobs_sends_and_issues_nothing_twice(rig: Rig) -> None:
    application_id = await create_application(rig.database)
    await pay(rig.payments, rig.gateway, application_id)
    await drain(rig.worker)
    await rig.smtp.wait_for(2)
    # As if every worker had died before recording completion: all jobs run again.
    async with rig.database.session() as session, session.begin():
        await session.execute(update(OutboxJob).values(status="pending", done_at=None))
    assert await drain(rig.worker) == 3
    await asyncio.sleep(0.2)
    assert len(rig.smtp.received) == 2
    assert len(await _authorizations(rig.database)) == 1


async def test_a_second_approval_for_the_same_passport_supersedes_the_first(rig: Rig) -> None:
    first = await create_application(rig.database)
    await pay(rig.payments, rig.gateway, first)
    await drain(rig.worker)
    rig.clock.advance(days=3)
    second = await create_application(rig.database)
    other_passport = await create_application(rig.database, passport_number="ZZ999999")
    await pay(rig.payments, rig.gateway, second)
    await pay(rig.payments, rig.gateway, other_passport)
    await drain(rig.worker)
    # By application: the worker may issue the last two in either order.
    issued = {a.application_id: a for a in await _authorizations(rig.database)}
    assert len(issued) == 3
    old, new, unrelated = issued[first], issued[second], issued[other_passport]
    assert (old.application_id, old.status) == (first, "superseded")
    assert old.superseded_at is not None
    assert (new.application_id, new.status) == (second, "valid")
    assert (unrelated.application_id, unrelated.status) == (other_passport, "valid")
    assert new.eta_number != old.eta_number


async def test_a_referral_is_e_mailed_with_what_happens_next(rig: Rig) -> None:
    application_id = await create_application(rig.database, passport_expiry_date="2016-11-20")
    await pay(rig.payments, rig.gateway, application_id)
    await drain(rig.worker)
    received = await rig.smtp.wait_for(2)
    referral = next(r for r in received if "needs more review" in r.message["Subject"])
    assert "72 hours" in _body(referral.message)
    async with rig.database.session() as session:
        application = await session.get(Application, application_id)
    assert application is not None and application.status == "referred"
    assert application.decision_reasons == ["passport-expires-soon"]
    assert await _authorizations(rig.database) == []


async def test_smtp_down_retries_the_e_mail_later_without_stopping(
    database: Database, smtp_server: SmtpServer
) -> None:
    clock = Clock()
    application_id = await paid_application(database, clock)

    def worker(port: int) -> Worker:
        mailer = SmtpMailer("127.0.0.1", port, timeout=2)
        handlers = build_handlers(
            mailer=mailer, mail_from=SENDER, status_urls=STATUS_URLS, clock=clock
        )
        return Worker(database, handlers, clock)

    await drain(worker(free_port()))  # nothing listens there
    async with database.session() as session:
        jobs = {j.dedupe_key: j for j in (await session.scalars(select(OutboxJob))).all()}
    receipt = jobs[f"email:receipt:{application_id}"]
    assert (receipt.status, receipt.attempts) == ("pending", 1)
    assert receipt.last_error and "Connect" in receipt.last_error
    assert jobs[f"decide:{application_id}"].status == "done"

    clock.advance(minutes=1)
    await drain(worker(smtp_server.port))
    assert len(await smtp_server.wait_for(2)) == 2
    assert await count(database, SentEmail) == 2


async def test_an_e_mail_is_handed_over_with_no_database_connection_held(
    database: Database,
) -> None:
    """On SQLite the process has one connection; a relay taking seconds must not hold it."""
    clock = Clock()
    await paid_application(database, clock)
    held_while_sending: list[int] = []

    class WatchingMailer:
        async def send(self, message: EmailMessage) -> None:
            held_while_sending.append(database.engine.pool.checkedout())  # type: ignore[attr-defined]

    handlers = build_handlers(
        mailer=WatchingMailer(), mail_from=SENDER, status_urls=STATUS_URLS, clock=clock
    )
    await drain(Worker(database, handlers, clock, batch_size=1))  # one job at a time
    assert held_while_sending == [0, 0]  # the receipt and the decision
    assert await count(database, SentEmail) == 2


async def test_a_failing_handler_is_retried_and_never_kills_the_worker(
    database: Database,
) -> None:
    clock = Clock()
    calls: list[int] = []

    async def flaky(session: AsyncSession, job: ClaimedJob) -> None:
        calls.append(job.attempts)
        raise RuntimeError("not yet")

    async def statuses() -> dict[str, OutboxJob]:
        async with database.session() as session:
            return {j.kind: j for j in (await session.scalars(select(OutboxJob))).all()}

    async with database.session() as session, session.begin():
        await enqueue(session, "flaky", "flaky:1", {}, now=clock())
        await enqueue(session, "mystery", "mystery:1", {}, now=clock())
    worker = Worker(database, {"flaky": flaky}, clock, max_attempts=2)
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run_forever(stop, poll_interval=0.01))

    async def failed_once() -> bool:
        jobs = (await statuses()).values()
        return all(j.attempts == 1 and j.status == "pending" for j in jobs)

    async def buried() -> bool:
        return all(j.status == "dead" for j in (await statuses()).values())

    try:
        await eventually(failed_once)
        clock.advance(minutes=5)  # past the backoff: both run (and fail) once more
        await eventually(buried)
    finally:
        stop.set()
        await asyncio.wait_for(task, 5)
    jobs = await statuses()
    assert calls == [1, 2]
    assert (jobs["flaky"].status, jobs["flaky"].last_error) == ("dead", "RuntimeError: not yet")
    assert "no handler" in (jobs["mystery"].last_error or "")


async def test_the_worker_loop_reconciles_an_abandoned_payment_and_decides(rig: Rig) -> None:
    application_id = await create_application(rig.database)
    started = await rig.payments.start(application_id, "/en/eta/apply/payment-return")
    assert started.redirect_url is not None
    await rig.gateway.complete(started.redirect_url.rsplit("/", 1)[1], "approved", "4242")
    rig.clock.advance(minutes=16)  # the traveller never came back
    stop = asyncio.Event()
    task = asyncio.create_task(rig.worker.run_forever(stop, poll_interval=0.01))
    try:
        await rig.smtp.wait_for(2)
    finally:
        stop.set()
        await asyncio.wait_for(task, 5)
    async with rig.database.session() as session:
        application = await session.get(Application, application_id)
    assert application is not None and application.status == "approved"
