"""Re-send a lost e-mail from the status page, without letting it become a spam cannon."""

from __future__ import annotations

import enum
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from northgate.core.clock import utc_now
from northgate.jobs.outbox import enqueue
from northgate.storage.models import Application, OutboxJob

RESENDS_PER_HOUR = 3

# Which message an application in each status can ask for again.
_RESENDABLE: dict[str, frozenset[str]] = {
    "paid": frozenset({"receipt"}),
    "approved": frozenset({"receipt", "approval"}),
    "referred": frozenset({"receipt", "referral"}),
}


class ResendResult(enum.StrEnum):
    QUEUED = "queued"
    LIMIT_REACHED = "limit-reached"  # "you can ask again in an hour"
    NOT_AVAILABLE = "not-available"  # nothing of this kind to re-send (yet)


async def request_resend(
    session: AsyncSession,
    application_id: int,
    kind: str,
    *,
    now: datetime | None = None,
    limit: int = RESENDS_PER_HOUR,
) -> ResendResult:
    """Enqueue ``email:<kind>:<id>:resend:<n>`` in the caller's transaction.

    Two clicks at once compute the same ``n``; the second enqueue is then ignored by the
    dedupe key, which is what a double click deserves.
    """
    now = now or utc_now()
    status = await session.scalar(
        select(Application.status).where(Application.id == application_id)
    )
    if status is None or kind not in _RESENDABLE.get(status, frozenset()):
        return ResendResult.NOT_AVAILABLE
    prefix = f"email:{kind}:{application_id}:resend:"
    previous = select(OutboxJob).where(OutboxJob.dedupe_key.startswith(prefix, autoescape=True))
    total = await session.scalar(select(func.count()).select_from(previous.subquery()))
    recent = await session.scalar(
        select(func.count()).select_from(
            previous.where(OutboxJob.available_at > now - timedelta(hours=1)).subquery()
        )
    )
    if (recent or 0) >= limit:
        return ResendResult.LIMIT_REACHED
    await enqueue(
        session,
        "email",
        f"{prefix}{(total or 0) + 1}",
        {"application_id": application_id, "kind": kind},
        now=now,
    )
    return ResendResult.QUEUED
