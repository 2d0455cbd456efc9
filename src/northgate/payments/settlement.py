"""Apply the gateway's verdict on one payment, inside the caller's locked transaction.

Shared by the return from the payment page and by reconciliation, so both follow the same
rules: the gateway's word is the truth; an approval moves the application to ``paid`` and
enqueues its decision and receipt in the same commit; nothing happens twice.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from northgate.applications.scheduling import EMAIL
from northgate.applications.status import ApplicationStatus, can_move, move
from northgate.jobs.outbox import enqueue
from northgate.payments.gateway import GatewayPayment
from northgate.storage.models import Application, Payment

log = logging.getLogger(__name__)

# A payment the gateway may still complete; anything else is final.
IN_FLIGHT = ("created", "pending", "unknown")

_FAILURE_CODES = {"declined": "card-declined", "failed": "gateway-failed", "expired": "expired"}


async def apply_outcome(
    session: AsyncSession,
    application: Application,
    payment: Payment,
    charge: GatewayPayment,
    now: datetime,
) -> bool:
    """Record ``charge`` on ``payment``; True if the payment reached a final state now."""
    if payment.gateway_payment_id is None:
        payment.gateway_payment_id = charge.id
        payment.updated_at = now
    if charge.status == "pending":
        if payment.status in ("created", "unknown"):
            payment.status = "pending"
            payment.updated_at = now
        return False
    if charge.status == "approved":
        return await _approve(session, application, payment, now)
    # Declined, failed or expired never overrides a final state: only an approval can
    # (money taken at the gateway is a fact, whatever we had concluded before).
    if payment.status not in IN_FLIGHT:
        return False
    payment.status = "declined" if charge.status == "declined" else "failed"
    payment.failure_code = _FAILURE_CODES[charge.status]
    payment.settled_at = payment.updated_at = now
    return True


async def _approve(
    session: AsyncSession, application: Application, payment: Payment, now: datetime
) -> bool:
    if payment.status in ("approved", "refund_due"):
        # Already counted (as the fee, or as a refund to make): a repeated verdict, from a
        # second return or reconciliation, must not report or time-stamp it again.
        return False
    other = await session.scalar(
        select(Payment.id).where(
            Payment.application_id == application.id,
            Payment.status == "approved",
            Payment.id != payment.id,
        )
    )
    payment.settled_at = payment.updated_at = now
    if other is not None:
        # Should be impossible (one attempt in flight at a time, stale charges are expired
        # before a new one starts); if a gateway ever lets it happen, the fee was taken
        # twice and an operator must refund it. Never fail the settlement over it.
        payment.status = "refund_due"
        payment.failure_code = "duplicate-charge"
        log.error("payment %s approved after payment %s: refund due", payment.id, other)
        return True
    payment.status = "approved"
    payment.failure_code = None
    if not can_move(application.status, ApplicationStatus.PAID):
        log.warning("payment %s approved for application in %r", payment.id, application.status)
        return True
    application.status = move(application.status, ApplicationStatus.PAID).value
    application.paid_at = application.updated_at = now
    await enqueue(
        session, "decide", f"decide:{application.id}", {"application_id": application.id}, now=now
    )
    await enqueue(
        session,
        EMAIL,
        f"email:receipt:{application.id}",
        {"application_id": application.id, "kind": "receipt", "payment_id": payment.id},
        now=now,
    )
    return True
