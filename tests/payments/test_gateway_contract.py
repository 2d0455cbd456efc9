"""What every PaymentGateway promises the payment service, held against each one: the
sandbox gateway on SQLite (the embedded default) and on a real PostgreSQL.

A charge's outcome is the traveller's doing on the gateway's hosted page, which the
protocol does not cover: each implementation says how a test pays (``pay``)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import pytest

from northgate.payments.gateway import (
    FINAL_STATUSES,
    GatewayPayment,
    GatewayRejected,
    PaymentGateway,
)
from northgate.payments.sandbox import SandboxGateway
from northgate.storage.db import Database


@dataclass
class Subject:
    gateway: PaymentGateway
    # The traveller completes the hosted page with an approved card; False if the charge
    # could no longer change.
    pay: Callable[[str], Awaitable[bool]]


@pytest.fixture
def subject(database: Database) -> Subject:
    sandbox = SandboxGateway(database)
    return Subject(sandbox, lambda payment_id: sandbox.complete(payment_id, "approved", "4242"))


async def create(subject: Subject, key: str = "app-1:1", amount: int = 700) -> GatewayPayment:
    return await subject.gateway.create_payment(
        idempotency_key=key,
        amount_cents=amount,
        currency="CAD",
        description="eTA fee",
        return_url="/en/eta/payment/return",
    )


async def test_a_new_charge_is_pending_with_what_was_asked(subject: Subject) -> None:
    payment = await create(subject)
    assert payment.status == "pending"
    assert (payment.amount_cents, payment.currency) == (700, "CAD")
    assert payment.idempotency_key == "app-1:1"
    assert payment.id and payment.redirect_url
    assert await subject.gateway.get_payment(payment.id) == payment


async def test_the_same_key_gives_the_same_charge(subject: Subject) -> None:
    first = await create(subject)
    assert await create(subject) == first
    other = await create(subject, key="app-1:2")
    assert other.id != first.id


async def test_concurrent_creates_with_one_key_make_one_charge(subject: Subject) -> None:
    payments = await asyncio.gather(*(create(subject) for _ in range(8)))
    assert len({payment.id for payment in payments}) == 1


async def test_a_key_reused_for_another_amount_is_rejected(subject: Subject) -> None:
    await create(subject)
    with pytest.raises(GatewayRejected):
        await create(subject, amount=900)


async def test_a_create_that_never_returned_can_be_found_by_its_key(subject: Subject) -> None:
    assert await subject.gateway.find_by_idempotency_key("app-1:1") is None
    payment = await create(subject)
    assert await subject.gateway.find_by_idempotency_key("app-1:1") == payment


@pytest.mark.parametrize("unknown", ["", "nope", "sbx_" + "A" * 24, "sbx_\x00", "x" * 500])
async def test_unknown_ids_name_no_charge(subject: Subject, unknown: str) -> None:
    assert await subject.gateway.get_payment(unknown) is None
    assert await subject.gateway.expire_payment(unknown) is None


async def test_an_expired_charge_stays_expired(subject: Subject) -> None:
    payment = await create(subject)
    expired = await subject.gateway.expire_payment(payment.id)
    assert expired is not None and expired.status == "expired"
    assert not await subject.pay(payment.id)  # the traveller comes back too late
    again = await subject.gateway.expire_payment(payment.id)
    assert again is not None and again.status == "expired"
    assert await create(subject) == again  # a retried create sees the charge as it is


async def test_expiring_a_charge_paid_just_before_returns_it_approved(subject: Subject) -> None:
    payment = await create(subject)
    assert await subject.pay(payment.id)
    now = await subject.gateway.expire_payment(payment.id)
    assert now is not None and now.status == "approved"  # the caller must settle it
    found = await subject.gateway.find_by_idempotency_key("app-1:1")
    assert found is not None and found.status == "approved"


async def test_a_final_status_never_changes(subject: Subject) -> None:
    payment = await create(subject)
    assert await subject.pay(payment.id)
    assert not await subject.pay(payment.id)  # a double submit charges once
    for _ in range(2):
        await subject.gateway.expire_payment(payment.id)
    final = await subject.gateway.get_payment(payment.id)
    assert final is not None and final.status == "approved" and final.status in FINAL_STATUSES
