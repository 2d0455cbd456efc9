"""The ``decide`` job: run the eTA rules on a paid application and record the outcome.

All of it commits in one transaction with the job's completion: the status and reasons,
the issued eTA (and the one it supersedes), and the e-mail job that announces it. A
re-run finds the application decided and does nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from northgate.applications import authorizations
from northgate.applications.locks import lock_application
from northgate.applications.scheduling import EMAIL
from northgate.applications.status import DECIDED, ApplicationStatus, move
from northgate.core.clock import Clock, service_date, utc_now
from northgate.eta.decision import Decision, decide, eta_number
from northgate.jobs.outbox import ClaimedJob, enqueue
from northgate.storage.models import Application

log = logging.getLogger(__name__)


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
        if application.status != ApplicationStatus.PAID:
            # Enqueued only with the payment's approval, so this is not expected; leave
            # the application alone rather than decide on something unpaid.
            log.warning("decide: application %s is %r", application_id, application.status)
            return
        now = self.clock()
        decision = decide(application.answers, service_date(now))
        outcome = move(application.status, ApplicationStatus(decision.outcome))
        application.status = outcome.value
        application.decision_reasons = list(decision.reasons)
        application.decided_at = application.updated_at = now
        if outcome == ApplicationStatus.APPROVED:
            await self._issue(session, application, decision, now)
        kind = "approval" if outcome == ApplicationStatus.APPROVED else "referral"
        await enqueue(
            session,
            EMAIL,
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
        await authorizations.issue_authorization(
            session,
            application,
            eta_number=self.new_eta_number(),
            passport_number=str(application.passport_number or answers["passport_number"]).upper(),
            passport_country=str(answers["passport_country"]).upper(),
            valid_until=decision.valid_until,
            now=now,
        )
