"""What has been done about an application, read back so that nothing is done twice or too
often: the fee approved, the e-mails sent, the jobs enqueued."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from northgate.storage.models import OutboxJob, Payment, SentEmail


async def approved_payment_of(session: AsyncSession, application_id: int) -> Payment | None:
    return await session.scalar(
        select(Payment).where(
            Payment.application_id == application_id, Payment.status == "approved"
        )
    )


async def email_sent(session: AsyncSession, dedupe_key: str) -> bool:
    """Whether the e-mail job with this key has sent its message already."""
    sent = await session.scalar(select(SentEmail.id).where(SentEmail.dedupe_key == dedupe_key))
    return sent is not None


async def jobs_since(session: AsyncSession, dedupe_prefix: str, since: datetime) -> tuple[int, int]:
    """(all jobs ever enqueued under this key prefix, those due after ``since``)."""
    previous = select(OutboxJob).where(
        OutboxJob.dedupe_key.startswith(dedupe_prefix, autoescape=True)
    )
    total = await session.scalar(select(func.count()).select_from(previous.subquery()))
    recent = await session.scalar(
        select(func.count()).select_from(previous.where(OutboxJob.available_at > since).subquery())
    )
    return total or 0, recent or 0
