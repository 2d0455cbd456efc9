"""The ``decide`` job: run the eTA rules on a paid application and record the outcome.

All of it commits in one transaction with the job's completion: the status and reasons,
the issued eTA (and the one it supersedes), and the e-mail job that announces it. A
re-run finds the application decided and does nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from northgate.core.clock import Clock, service_date, utc_now
from northgate.eta.decision import Decision, decide, eta_number
from northgate.jobs.locks import dialect_name, lock_application
from northgate.jobs.outbox import ClaimedJob, enqueue
from northgate.storage.models import Application, TravelAuthorization

log = logging.getLogger(__name__)

DECIDED = ("approved", "referred")


class Decide:
    def __init__(self, clock: Clock = utc_now, new_eta_number: Callable[[], str] = eta_number):
        self.clock = clock
        self.new_eta_number = new_eta_number

    async def __call__(self, session: AsyncSession, job: ClaimedJob) -> None:
        application_id = int(job.payload["application_id"])
        application = await lock_application(session, application_id)
        if application is None:
            log.warning("decide: application %s is gone", application_id)
            return
        if application.status in DECIDED:
            return
        if application.status != "paid":
            # Enqueued only with the payment's approval, so this is not expected; leave
            # the application alone rather than decide on something unpaid.
            log.warning("decide: application %s is %r", application_id, application.status)
            return
        now = self.clock()
        decision = decide(application.answers, service_date(now))
        application.status = decision.outcome
        application.decision_reasons = list(decision.reasons)
        application.decided_at = application.updated_at = now
        if decision.outcome == "approved":
            await self._issue(session, application, decision, now)
        kind = "approval" if decision.outcome == "approved" else "referral"
        await enqueue(
            session,
            "email",
            f"email:{kind}:{application_id}",
            {"application_id": application_id, "kind": kind},
            now=now,
        )

    async def _issue(
        self, session: AsyncSession, application: Application, decision: Decision, now: datetime
    ) -> None:
        if decision.valid_until is None:
            raise ValueError("an approval must say until when it is valid")
        answers = application.answers
        passport = str(application.passport_number or answers["passport_number"]).upper()
        issuer = str(answers["passport_country"]).upper()
        if dialect_name(session) == "postgresql":
            # Two approvals for one passport decided at once by two workers would each
            # miss the other's new eTA; take turns per passport (SQLite already has one
            # writer). Released at commit.
            await session.execute(
                select(func.pg_advisory_xact_lock(func.hashtext(f"eta:{issuer}:{passport}")))
            )
        # One valid eTA per passport: the new one replaces any earlier one.
        await session.execute(
            update(TravelAuthorization)
            .where(
                TravelAuthorization.passport_number == passport,
                TravelAuthorization.passport_country == issuer,
                TravelAuthorization.status == "valid",
            )
            .values(status="superseded", superseded_at=now)
            .execution_options(synchronize_session=False)
        )
        session.add(
            TravelAuthorization(
                eta_number=self.new_eta_number(),
                application_id=application.id,
                passport_number=passport,
                passport_country=issuer,
                issued_at=now,
                valid_until=decision.valid_until,
                status="valid",
            )
        )
