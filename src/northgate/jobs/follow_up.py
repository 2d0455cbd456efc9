"""An hour after submission, remind an applicant whose fee never arrived.

On a crowded night people lose the payment page; the deadline does not move. The job is
scheduled in the submission's own transaction (northgate.applications.service) and does
nothing if the fee was paid by then (the worker's reconciliation settles payments the
gateway took well before this runs)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from northgate.applications import repository
from northgate.applications.scheduling import EMAIL, PAYMENT_FOLLOW_UP
from northgate.applications.status import ApplicationStatus
from northgate.core.clock import Clock, utc_now
from northgate.jobs.outbox import ClaimedJob, enqueue

KIND = PAYMENT_FOLLOW_UP


class PaymentFollowUp:
    def __init__(self, clock: Clock = utc_now) -> None:
        self.clock = clock

    async def __call__(self, session: AsyncSession, job: ClaimedJob) -> None:
        application_id = int(job.payload["application_id"])
        status = await repository.status_of(session, application_id)
        if status != ApplicationStatus.SUBMITTED:
            return
        await enqueue(
            session,
            EMAIL,
            f"email:unpaid:{application_id}",
            {"application_id": application_id, "kind": "unpaid"},
            now=self.clock(),
        )
