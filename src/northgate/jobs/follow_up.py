"""An hour after submission, remind an applicant whose fee never arrived.

On a crowded night people lose the payment page; the deadline does not move. The job is
scheduled in the submission's own transaction and does nothing if the fee was paid by then
(the worker's reconciliation settles payments the gateway took well before this runs)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from northgate.core.clock import Clock, utc_now
from northgate.jobs.outbox import ClaimedJob, enqueue
from northgate.storage.models import Application

KIND = "payment-follow-up"


async def schedule_follow_up(
    session: AsyncSession, application_id: int, *, now: datetime, after: timedelta
) -> None:
    await enqueue(
        session,
        KIND,
        f"{KIND}:{application_id}",
        {"application_id": application_id},
        available_at=now + after,
        now=now,
    )


class PaymentFollowUp:
    def __init__(self, clock: Clock = utc_now) -> None:
        self.clock = clock

    async def __call__(self, session: AsyncSession, job: ClaimedJob) -> None:
        application_id = int(job.payload["application_id"])
        status = await session.scalar(
            select(Application.status).where(Application.id == application_id)
        )
        if status != "submitted":
            return
        await enqueue(
            session,
            "email",
            f"email:unpaid:{application_id}",
            {"application_id": application_id, "kind": "unpaid"},
            now=self.clock(),
        )
