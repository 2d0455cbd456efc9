"""Start, settle and reconcile payments for the eTA fee without ever charging twice.

Every change to an application's payments happens with the application row locked
(``northgate.applications.locks``), so two tabs, a double click and the reconciliation job take
turns. The gateway is never called inside that lock: the attempt (and its idempotency
key) is committed first, so a crash during the call leaves a row that reconciliation
can resolve, and a retry sends the same key, which the gateway deduplicates.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from northgate.applications.locks import lock_application
from northgate.applications.status import PAID_OR_LATER, ApplicationStatus
from northgate.core.clock import Clock, as_utc, utc_now
from northgate.core.tokens import TokenShape
from northgate.eta.fee import ETA_FEE
from northgate.payments.gateway import GatewayPayment, GatewayUnavailable, PaymentGateway
from northgate.payments.settlement import IN_FLIGHT, apply_outcome
from northgate.storage.db import Database
from northgate.storage.models import Payment

log = logging.getLogger(__name__)

# A start may need to retire a stale or refused attempt before making a new one; more
# rounds than this means something keeps changing under us, so ask the user to retry.
_MAX_ROUNDS = 3
# A gateway's payment id, as it comes back in the return URL: printable ASCII, bounded.
# Anything else names no payment and is not looked up (PostgreSQL refuses a NUL byte).
GATEWAY_ID_SHAPE = TokenShape(r"[!-~]{1,64}", 64)
_RECONCILE_BATCH = 100


class PaymentError(Exception):
    pass


class ApplicationNotFound(PaymentError, LookupError):
    pass


class NotReadyForPayment(PaymentError):
    """Payment starts only once the application is saved for good (``submitted``)."""

    def __init__(self, status: str) -> None:
        super().__init__(f"application is {status!r}, not 'submitted'")
        self.status = status


class PaymentNotFound(PaymentError, LookupError):
    pass


@dataclass(frozen=True)
class StartResult:
    redirect_url: str | None = None  # send the traveller here (the gateway's card page)
    payment_id: int | None = None
    already_paid: bool = False  # show the status page instead
    retry_later: bool = False  # the gateway did not answer: "please try again"


@dataclass(frozen=True)
class SettleResult:
    application_id: int
    payment_id: int
    status: str  # the payment's status now: approved, declined, failed, pending …
    changed: bool  # this call settled it (False when it was already settled)


@dataclass(frozen=True)
class _Attempt:
    payment_id: int
    idempotency_key: str
    reference: str
    stale: bool


class PaymentService:
    def __init__(
        self,
        database: Database,
        gateway: PaymentGateway,
        clock: Clock = utc_now,
        *,
        reconcile_after_seconds: float = 900,
    ) -> None:
        self.database = database
        self.gateway = gateway
        self.clock = clock
        self.reconcile_after = timedelta(seconds=reconcile_after_seconds)

    async def start(self, application_id: int, return_url: str) -> StartResult:
        """Where to send the traveller to pay: a new attempt, or the one in flight.

        Raises ApplicationNotFound (a LookupError) or NotReadyForPayment; a gateway that
        does not answer gives ``retry_later`` instead of an error page.
        """
        try:
            return await self._start(application_id, return_url)
        except GatewayUnavailable:
            # Retiring a stale attempt needs the gateway too; nothing was lost, try later.
            return StartResult(retry_later=True)

    async def _start(self, application_id: int, return_url: str) -> StartResult:
        for _ in range(_MAX_ROUNDS):
            attempt = await self._prepare(application_id)
            if isinstance(attempt, StartResult):
                return attempt
            if attempt.stale:
                # Too old to hand out again: settle or retire it first, then start afresh.
                await self._reconcile_payment(attempt.payment_id)
                continue
            try:
                charge = await self.gateway.create_payment(
                    idempotency_key=attempt.idempotency_key,
                    amount_cents=ETA_FEE.amount_cents,
                    currency=ETA_FEE.currency,
                    description=f"eTA application fee {attempt.reference}",
                    return_url=return_url,
                )
            except GatewayUnavailable:
                # Did the charge happen? Unknown: the next start resends the same key, and
                # reconciliation looks it up if nobody does.
                await self._mark_unknown(attempt.payment_id)
                return StartResult(payment_id=attempt.payment_id, retry_later=True)
            if charge.status != "pending":
                # Paid or refused in another tab already: record that, then decide again.
                await self._apply(attempt.payment_id, charge)
                continue
            if await self._record_pending(attempt.payment_id, charge.id):
                return StartResult(redirect_url=charge.redirect_url, payment_id=attempt.payment_id)
            # Reconciliation retired this attempt while we were calling the gateway: make
            # sure its charge can no longer be paid before starting another.
            expired = await self.gateway.expire_payment(charge.id)
            await self._apply(attempt.payment_id, expired or charge)
        return StartResult(retry_later=True)

    async def settle(self, gateway_payment_id: str) -> SettleResult:
        """Ask the gateway what happened (the ``?payment=`` in the return URL is only a
        hint of which payment to ask about) and record it.

        If the gateway does not answer, the payment is reported as it stands (pending:
        the return page checks again, and reconciliation settles it in the end).
        Raises PaymentNotFound (a LookupError) for a payment neither side knows.
        """
        if GATEWAY_ID_SHAPE.text_of(gateway_payment_id) is None:
            raise PaymentNotFound(gateway_payment_id)
        try:
            charge = await self.gateway.get_payment(gateway_payment_id)
        except GatewayUnavailable:
            return await self._as_recorded(gateway_payment_id)
        if charge is None:
            raise PaymentNotFound(gateway_payment_id)
        async with self.database.session() as session:
            payment_id = await session.scalar(
                select(Payment.id).where(Payment.gateway_payment_id == charge.id)
            )
            if payment_id is None and charge.idempotency_key:
                # The create call's answer was lost (status unknown), the charge was not.
                payment_id = await session.scalar(
                    select(Payment.id).where(Payment.idempotency_key == charge.idempotency_key)
                )
        if payment_id is None:
            raise PaymentNotFound(gateway_payment_id)
        return await self._apply(payment_id, charge)

    async def _as_recorded(self, gateway_payment_id: str) -> SettleResult:
        async with self.database.session() as session:
            payment = await session.scalar(
                select(Payment).where(Payment.gateway_payment_id == gateway_payment_id)
            )
        if payment is None:
            raise PaymentNotFound(gateway_payment_id)
        return SettleResult(payment.application_id, payment.id, payment.status, False)

    async def reconcile(self) -> int:
        """Settle attempts older than the window that nobody came back for; return how
        many reached a final state. Safe to run in several workers at once."""
        cutoff = self.clock() - self.reconcile_after
        async with self.database.session() as session:
            ids = (
                await session.scalars(
                    select(Payment.id)
                    .where(Payment.status.in_(IN_FLIGHT), Payment.created_at <= cutoff)
                    .order_by(Payment.id)
                    .limit(_RECONCILE_BATCH)
                )
            ).all()
        settled = 0
        for payment_id in ids:
            try:
                settled += await self._reconcile_payment(payment_id)
            except GatewayUnavailable:
                log.warning("gateway unavailable reconciling payment %s; later", payment_id)
        return settled

    async def reconcile_backlog(self) -> tuple[int, float]:
        """Attempts past the window that reconciliation has yet to settle, and the age in
        seconds of the oldest (0 when none): a growing number means the gateway or the
        worker is not keeping up, and fees are in limbo."""
        now = self.clock()
        async with self.database.session() as session:
            count, oldest = (
                await session.execute(
                    select(func.count(), func.min(Payment.created_at)).where(
                        Payment.status.in_(IN_FLIGHT),
                        Payment.created_at <= now - self.reconcile_after,
                    )
                )
            ).one()
        age = (now - as_utc(oldest)).total_seconds() if oldest is not None else 0.0
        return int(count), max(0.0, age)

    async def _prepare(self, application_id: int) -> _Attempt | StartResult:
        async with self.database.session() as session, session.begin():
            application = await lock_application(session, application_id)
            if application is None:
                raise ApplicationNotFound(application_id)
            if application.status in PAID_OR_LATER:
                return StartResult(already_paid=True)
            if application.status != ApplicationStatus.SUBMITTED or not application.reference:
                raise NotReadyForPayment(application.status)
            now = self.clock()
            payment = await session.scalar(
                select(Payment)
                .where(Payment.application_id == application_id, Payment.status.in_(IN_FLIGHT))
                .order_by(Payment.id.desc())
                .limit(1)
            )
            if payment is not None:
                stale = as_utc(payment.created_at) <= now - self.reconcile_after
                return _Attempt(payment.id, payment.idempotency_key, application.reference, stale)
            payment = Payment(
                application_id=application_id,
                idempotency_key=f"eta-{application_id}-{secrets.token_urlsafe(24)}",
                amount_cents=ETA_FEE.amount_cents,
                currency=ETA_FEE.currency,
                status="created",
                created_at=now,
                updated_at=now,
            )
            session.add(payment)
            await session.flush()
            # Committed on leaving this block, before the gateway hears of the key.
            return _Attempt(payment.id, payment.idempotency_key, application.reference, False)

    async def _mark_unknown(self, payment_id: int) -> None:
        async with self.database.session() as session, session.begin():
            await session.execute(
                update(Payment)
                .where(Payment.id == payment_id, Payment.status == "created")
                .values(status="unknown", updated_at=self.clock())
                .execution_options(synchronize_session=False)
            )

    async def _record_pending(self, payment_id: int, gateway_payment_id: str) -> bool:
        async with self.database.session() as session, session.begin():
            result = await session.execute(
                update(Payment)
                .where(Payment.id == payment_id, Payment.status.in_(IN_FLIGHT))
                .values(
                    status="pending",
                    gateway_payment_id=gateway_payment_id,
                    updated_at=self.clock(),
                )
                .execution_options(synchronize_session=False)
            )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def _reconcile_payment(self, payment_id: int) -> bool:
        async with self.database.session() as session:
            payment = await session.get(Payment, payment_id)
        if payment is None or payment.status not in IN_FLIGHT:
            return False
        charge: GatewayPayment | None = None
        if payment.gateway_payment_id:
            charge = await self.gateway.get_payment(payment.gateway_payment_id)
        if charge is None:
            charge = await self.gateway.find_by_idempotency_key(payment.idempotency_key)
        if charge is None:
            return await self._fail_unreached(payment_id)
        if charge.status == "pending":
            # Abandoned on the card page: close the page at the gateway, then record the
            # outcome it reports (approved, if the traveller paid in the meantime).
            charge = await self.gateway.expire_payment(charge.id) or charge
        return (await self._apply(payment_id, charge)).changed

    async def _fail_unreached(self, payment_id: int) -> bool:
        # The gateway never saw the key: the process died between committing the attempt
        # and calling out, or the call never arrived. Nothing to charge; retire it.
        now = self.clock()
        async with self.database.session() as session, session.begin():
            result = await session.execute(
                update(Payment)
                .where(
                    Payment.id == payment_id,
                    Payment.status.in_(IN_FLIGHT),
                    Payment.gateway_payment_id.is_(None),
                )
                .values(
                    status="failed",
                    failure_code="never-reached-gateway",
                    settled_at=now,
                    updated_at=now,
                )
                .execution_options(synchronize_session=False)
            )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def _apply(self, payment_id: int, charge: GatewayPayment) -> SettleResult:
        async with self.database.session() as session, session.begin():
            application_id = await _application_of(session, payment_id)
            application = await lock_application(session, application_id)
            payment = await session.scalar(
                select(Payment)
                .where(Payment.id == payment_id)
                .execution_options(populate_existing=True)
            )
            assert application is not None and payment is not None
            changed = await apply_outcome(session, application, payment, charge, self.clock())
            return SettleResult(application_id, payment_id, payment.status, changed)


async def _application_of(session: AsyncSession, payment_id: int) -> int:
    # Read before taking the lock (it never changes), so the lock is the first write.
    application_id = await session.scalar(
        select(Payment.application_id).where(Payment.id == payment_id)
    )
    if application_id is None:
        raise PaymentNotFound(str(payment_id))
    return application_id
