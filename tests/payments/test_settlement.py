"""Every branch of ``apply_outcome``: what one gateway verdict does to one payment, on both
backends. The double-charge safety net (``refund_due``) is here: a second approval for an
application that is already paid must be recorded as money to give back, never as a second
``approved`` payment (the unique index would refuse it) nor as a failure (the money was
taken)."""

from __future__ import annotations

import logging
import secrets
from datetime import datetime

import pytest
from sqlalchemy import select

from northgate.applications.locks import lock_application
from northgate.payments.gateway import GatewayPayment, GatewayStatus
from northgate.payments.settlement import apply_outcome
from northgate.storage.db import Database
from northgate.storage.models import Application, OutboxJob, Payment
from tests.payments.support import Clock, create_application

CLOCK = Clock()
NOW = CLOCK()


async def _payment(
    database: Database, application_id: int, status: str, gateway_id: str | None = None
) -> int:
    async with database.session() as session, session.begin():
        payment = Payment(
            application_id=application_id,
            idempotency_key=f"eta-{application_id}-{secrets.token_urlsafe(12)}",
            amount_cents=700,
            currency="CAD",
            status=status,
            gateway_payment_id=gateway_id,
            created_at=NOW,
            updated_at=NOW,
        )
        session.add(payment)
        await session.flush()
        return payment.id


async def _settle(
    database: Database, payment_id: int, status: GatewayStatus, gateway_id: str = "gw"
) -> bool:
    """One verdict applied as the service applies it: application locked, one commit."""
    charge = GatewayPayment(id=gateway_id, status=status, amount_cents=700, currency="CAD",
                            redirect_url="/sandbox-pay/x")  # fmt: skip
    async with database.session() as session, session.begin():
        payment = await session.get(Payment, payment_id)
        assert payment is not None
        application = await lock_application(session, payment.application_id)
        assert application is not None
        return await apply_outcome(session, application, payment, charge, NOW)


async def _row(database: Database, payment_id: int) -> tuple[str, str | None, bool, str | None]:
    async with database.session() as session:
        payment = await session.get(Payment, payment_id)
    assert payment is not None
    return (
        payment.status,
        payment.failure_code,
        payment.settled_at is not None,
        payment.gateway_payment_id,
    )


async def _application(database: Database, application_id: int) -> tuple[str, datetime | None]:
    async with database.session() as session:
        application = await session.get(Application, application_id)
    assert application is not None
    return application.status, application.paid_at


async def _jobs(database: Database) -> list[str]:
    async with database.session() as session:
        return sorted((await session.scalars(select(OutboxJob.dedupe_key))).all())


async def test_an_approval_pays_the_application_and_enqueues_its_follow_up_once(
    database: Database,
) -> None:
    application_id = await create_application(database)
    payment_id = await _payment(database, application_id, "pending", "gw")
    assert await _settle(database, payment_id, "approved")
    assert await _row(database, payment_id) == ("approved", None, True, "gw")
    status, paid_at = await _application(database, application_id)
    assert status == "paid" and paid_at is not None
    jobs = [f"decide:{application_id}", f"email:receipt:{application_id}"]
    assert await _jobs(database) == jobs
    # The same verdict again (a second return, reconciliation): nothing changes.
    assert not await _settle(database, payment_id, "approved")
    assert await _jobs(database) == jobs


@pytest.mark.parametrize("earlier", ["pending", "declined", "failed"])
async def test_a_second_approval_for_a_paid_application_is_a_refund_due(
    database: Database, earlier: str, caplog: pytest.LogCaptureFixture
) -> None:
    """The fee was taken twice (whatever we had concluded about the second attempt):
    recorded as a refund for an operator to make, the first payment and the application
    left as they were, no second decision or receipt."""
    application_id = await create_application(database)
    first = await _payment(database, application_id, "pending", "gw-1")
    second = await _payment(database, application_id, earlier, "gw-2")
    assert await _settle(database, first, "approved", "gw-1")
    jobs = await _jobs(database)
    with caplog.at_level(logging.ERROR, logger="northgate.payments.settlement"):
        assert await _settle(database, second, "approved", "gw-2")
    assert await _row(database, second) == ("refund_due", "duplicate-charge", True, "gw-2")
    assert await _row(database, first) == ("approved", None, True, "gw-1")
    assert (await _application(database, application_id))[0] == "paid"
    assert await _jobs(database) == jobs
    assert any("refund due" in record.getMessage() for record in caplog.records)
    # Settled for good: a later verdict on it changes nothing, an approval included.
    for verdict in ("approved", "expired", "declined", "pending"):
        assert not await _settle(database, second, verdict, "gw-2")
        assert (await _row(database, second))[:2] == ("refund_due", "duplicate-charge")


async def test_an_approval_elsewhere_is_not_a_double_charge(database: Database) -> None:
    """Only an approved payment of the *same* application makes a refund due."""
    other_application = await create_application(database)
    other = await _payment(database, other_application, "pending", "gw-other")
    assert await _settle(database, other, "approved", "gw-other")
    application_id = await create_application(database)
    mine = await _payment(database, application_id, "pending", "gw-mine")
    assert await _settle(database, mine, "approved", "gw-mine")
    assert (await _row(database, mine))[:2] == ("approved", None)
    assert (await _application(database, application_id))[0] == "paid"


async def test_a_refund_due_does_not_count_as_the_paid_payment(database: Database) -> None:
    """Only an approved payment is the fee kept; a refund-due one is money to give back
    (an operator may already have refunded it), so it does not make the next a duplicate."""
    application_id = await create_application(database)
    await _payment(database, application_id, "refund_due", "gw-1")
    payment_id = await _payment(database, application_id, "pending", "gw-2")
    assert await _settle(database, payment_id, "approved", "gw-2")
    assert (await _row(database, payment_id))[:2] == ("approved", None)
    assert (await _application(database, application_id))[0] == "paid"


async def test_an_approval_for_an_application_not_awaiting_payment_changes_only_the_payment(
    database: Database,
) -> None:
    application_id = await create_application(database, status="referred")
    payment_id = await _payment(database, application_id, "pending", "gw")
    assert await _settle(database, payment_id, "approved")
    assert (await _row(database, payment_id))[:2] == ("approved", None)
    assert await _application(database, application_id) == ("referred", None)
    assert await _jobs(database) == []


async def test_an_approval_overrides_an_earlier_refusal(database: Database) -> None:
    """Money taken at the gateway is a fact, whatever we had concluded before."""
    application_id = await create_application(database)
    payment_id = await _payment(database, application_id, "failed", "gw")
    assert await _settle(database, payment_id, "approved")
    assert (await _row(database, payment_id))[:2] == ("approved", None)
    assert (await _application(database, application_id))[0] == "paid"


@pytest.mark.parametrize(
    ("verdict", "status", "code"),
    [
        ("declined", "declined", "card-declined"),
        ("failed", "failed", "gateway-failed"),
        ("expired", "failed", "expired"),
    ],
)
@pytest.mark.parametrize("before", ["created", "pending", "unknown"])
async def test_a_refusal_settles_a_payment_in_flight(
    database: Database, verdict: GatewayStatus, status: str, code: str, before: str
) -> None:
    application_id = await create_application(database)
    payment_id = await _payment(database, application_id, before)
    assert await _settle(database, payment_id, verdict, "gw-new")
    # The gateway's id is recorded when we did not have it (a lost create answer).
    assert await _row(database, payment_id) == (status, code, True, "gw-new")
    assert (await _application(database, application_id))[0] == "submitted"
    assert await _jobs(database) == []


@pytest.mark.parametrize("final", ["approved", "declined", "failed", "refund_due"])
@pytest.mark.parametrize("verdict", ["declined", "failed", "expired"])
async def test_a_refusal_never_overrides_a_final_state(
    database: Database, final: str, verdict: GatewayStatus
) -> None:
    application_id = await create_application(database)
    payment_id = await _payment(database, application_id, final, "gw")
    before = await _row(database, payment_id)
    assert not await _settle(database, payment_id, verdict)
    assert await _row(database, payment_id) == before


@pytest.mark.parametrize(("before", "after"), [
    ("created", "pending"), ("unknown", "pending"), ("pending", "pending"),
    ("declined", "declined"), ("approved", "approved"), ("refund_due", "refund_due"),
])  # fmt: skip
async def test_pending_marks_only_an_unanswered_attempt_pending(
    database: Database, before: str, after: str
) -> None:
    application_id = await create_application(database)
    payment_id = await _payment(database, application_id, before)
    assert not await _settle(database, payment_id, "pending", "gw-1")
    status, code, settled, gateway_id = await _row(database, payment_id)
    assert (status, code, settled) == (after, None, False)
    assert gateway_id == "gw-1"
