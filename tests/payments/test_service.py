"""No lost payment and no double charge, on both backends, whatever the traveller does.

Charges are counted in the sandbox gateway's own ledger: that is the bank's side, where a
double charge would show.
"""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from northgate.payments.sandbox import SandboxGateway
from northgate.payments.service import (
    ApplicationNotFound,
    NotReadyForPayment,
    PaymentNotFound,
    PaymentService,
)
from northgate.storage.db import Database
from northgate.storage.models import Application, OutboxJob, Payment, SandboxCharge
from tests.payments.support import (
    Clock,
    Crash,
    CrashBeforeCallGateway,
    DownGateway,
    LostResponseGateway,
    count,
    create_application,
)

RETURN = "/en/eta/apply/payment-return"
WINDOW = 900


def _service(database: Database, clock: Clock, gateway: object = None) -> PaymentService:
    return PaymentService(
        database,
        gateway or SandboxGateway(database, clock=clock),  # type: ignore[arg-type]
        clock,
        reconcile_after_seconds=WINDOW,
    )


async def _status(database: Database, application_id: int) -> str:
    async with database.session() as session:
        application = await session.get(Application, application_id)
    assert application is not None
    return application.status


async def _payments(database: Database) -> list[tuple[str, str | None]]:
    async with database.session() as session:
        rows = await session.execute(
            select(Payment.status, Payment.failure_code).order_by(Payment.id)
        )
    return [(status, code) for status, code in rows.all()]


async def _jobs(database: Database) -> list[str]:
    async with database.session() as session:
        return sorted((await session.scalars(select(OutboxJob.dedupe_key))).all())


def _charge_id(redirect_url: str | None) -> str:
    assert redirect_url is not None
    return redirect_url.rsplit("/", 1)[1]


async def test_ten_concurrent_starts_make_exactly_one_charge(database: Database) -> None:
    clock = Clock()
    service = _service(database, clock)
    application_id = await create_application(database)
    results = await asyncio.gather(*(service.start(application_id, RETURN) for _ in range(10)))
    assert {result.redirect_url for result in results} == {results[0].redirect_url}
    assert results[0].redirect_url and results[0].redirect_url.startswith("/sandbox-pay/")
    assert await count(database, SandboxCharge) == 1
    assert await _payments(database) == [("pending", None)]
    # Reloads and back-button retries later still reuse it.
    again = await service.start(application_id, RETURN)
    assert again.redirect_url == results[0].redirect_url
    assert await count(database, SandboxCharge) == 1


async def test_only_a_saved_application_can_be_paid(database: Database) -> None:
    service = _service(database, Clock())
    draft = await create_application(database, status="draft")
    with pytest.raises(NotReadyForPayment):
        await service.start(draft, RETURN)
    with pytest.raises(ApplicationNotFound):
        await service.start(draft + 1000, RETURN)
    with pytest.raises(PaymentNotFound):
        await service.settle("sbx_unknown")
    assert await count(database, SandboxCharge) == 0


async def test_concurrent_settles_enqueue_one_decision_and_one_receipt(
    database: Database,
) -> None:
    clock = Clock()
    gateway = SandboxGateway(database, clock=clock)
    service = _service(database, clock, gateway)
    application_id = await create_application(database)
    charge_id = _charge_id((await service.start(application_id, RETURN)).redirect_url)
    assert await gateway.complete(charge_id, "approved", "4242")
    results = await asyncio.gather(*(service.settle(charge_id) for _ in range(10)))
    assert sorted(result.changed for result in results) == [False] * 9 + [True]
    assert {result.status for result in results} == {"approved"}
    assert await _status(database, application_id) == "paid"
    assert await _jobs(database) == [
        f"decide:{application_id}",
        f"email:receipt:{application_id}",
    ]
    assert (await service.start(application_id, RETURN)).already_paid
    assert await count(database, SandboxCharge) == 1


async def test_a_declined_card_then_a_good_one_makes_one_approved_payment(
    database: Database,
) -> None:
    clock = Clock()
    gateway = SandboxGateway(database, clock=clock)
    service = _service(database, clock, gateway)
    application_id = await create_application(database)
    first = _charge_id((await service.start(application_id, RETURN)).redirect_url)
    await gateway.complete(first, "declined", "0002")
    declined = await service.settle(first)
    assert (declined.status, declined.changed) == ("declined", True)
    assert await _status(database, application_id) == "submitted"
    assert await _jobs(database) == []

    second = _charge_id((await service.start(application_id, RETURN)).redirect_url)
    assert second != first
    await gateway.complete(second, "approved", "4242")
    assert (await service.settle(second)).status == "approved"
    # A late return to the first, declined charge changes nothing.
    assert not (await service.settle(first)).changed
    assert await _payments(database) == [("declined", "card-declined"), ("approved", None)]
    assert await count(database, SandboxCharge) == 2
    assert await _status(database, application_id) == "paid"


async def test_declined_in_the_tab_left_open_is_noticed_by_the_next_start(
    database: Database,
) -> None:
    clock = Clock()
    gateway = SandboxGateway(database, clock=clock)
    service = _service(database, clock, gateway)
    application_id = await create_application(database)
    first = _charge_id((await service.start(application_id, RETURN)).redirect_url)
    await gateway.complete(first, "declined", "0002")  # never came back to settle
    second = _charge_id((await service.start(application_id, RETURN)).redirect_url)
    assert second != first
    assert await _payments(database) == [("declined", "card-declined"), ("pending", None)]


async def test_a_gateway_timeout_is_retried_with_the_same_key(database: Database) -> None:
    clock = Clock()
    sandbox = SandboxGateway(database, clock=clock)
    flaky = _service(database, clock, LostResponseGateway(sandbox))
    application_id = await create_application(database)
    result = await flaky.start(application_id, RETURN)
    assert result.retry_later and result.redirect_url is None
    assert await _payments(database) == [("unknown", None)]
    assert await count(database, SandboxCharge) == 1  # it did happen, we just did not hear

    retried = await _service(database, clock, sandbox).start(application_id, RETURN)
    assert retried.redirect_url is not None
    assert await count(database, SandboxCharge) == 1
    assert await _payments(database) == [("pending", None)]


async def test_an_unknown_payment_is_settled_by_reconciliation(database: Database) -> None:
    clock = Clock()
    sandbox = SandboxGateway(database, clock=clock)
    flaky = _service(database, clock, LostResponseGateway(sandbox))
    application_id = await create_application(database)
    assert (await flaky.start(application_id, RETURN)).retry_later
    assert await flaky.reconcile() == 0  # too early: the traveller may be retrying
    clock.advance(seconds=WINDOW + 1)
    assert await flaky.reconcile() == 1
    assert await _payments(database) == [("failed", "expired")]
    [charge] = await _ledger(database)
    assert charge == "expired"  # closed at the gateway: it can no longer be paid
    fresh = await _service(database, clock, sandbox).start(application_id, RETURN)
    assert fresh.redirect_url is not None
    assert await count(database, SandboxCharge) == 2


async def test_a_crash_before_the_gateway_call_is_retired_and_start_works_again(
    database: Database,
) -> None:
    clock = Clock()
    sandbox = SandboxGateway(database, clock=clock)
    crashing = _service(database, clock, CrashBeforeCallGateway(sandbox))
    application_id = await create_application(database)
    with pytest.raises(Crash):
        await crashing.start(application_id, RETURN)
    assert await _payments(database) == [("created", None)]  # committed before the call
    assert await count(database, SandboxCharge) == 0

    service = _service(database, clock, sandbox)
    clock.advance(seconds=WINDOW + 1)
    assert await service.reconcile() == 1
    assert await _payments(database) == [("failed", "never-reached-gateway")]
    result = await service.start(application_id, RETURN)
    assert result.redirect_url is not None
    assert await _payments(database) == [("failed", "never-reached-gateway"), ("pending", None)]
    assert await count(database, SandboxCharge) == 1


async def test_a_crash_then_a_quick_retry_reuses_the_committed_attempt(
    database: Database,
) -> None:
    clock = Clock()
    sandbox = SandboxGateway(database, clock=clock)
    application_id = await create_application(database)
    with pytest.raises(Crash):
        await _service(database, clock, CrashBeforeCallGateway(sandbox)).start(
            application_id, RETURN
        )
    clock.advance(seconds=30)
    assert (await _service(database, clock, sandbox).start(application_id, RETURN)).redirect_url
    assert await _payments(database) == [("pending", None)]
    assert await count(database, SandboxCharge) == 1


async def test_paid_but_never_returned_is_settled_by_reconciliation(database: Database) -> None:
    clock = Clock()
    gateway = SandboxGateway(database, clock=clock)
    service = _service(database, clock, gateway)
    application_id = await create_application(database)
    charge_id = _charge_id((await service.start(application_id, RETURN)).redirect_url)
    await gateway.complete(charge_id, "approved", "4242")  # then the phone died
    clock.advance(seconds=WINDOW + 1)
    results = await asyncio.gather(service.reconcile(), service.reconcile())
    assert sorted(results) == [0, 1]
    assert await _status(database, application_id) == "paid"
    assert await _jobs(database) == [
        f"decide:{application_id}",
        f"email:receipt:{application_id}",
    ]
    # The traveller comes back a day later: nothing changes, nothing is charged again.
    assert not (await service.settle(charge_id)).changed
    assert (await service.start(application_id, RETURN)).already_paid
    assert await count(database, SandboxCharge) == 1


async def test_an_abandoned_card_page_is_expired_then_a_new_start_works(
    database: Database,
) -> None:
    clock = Clock()
    gateway = SandboxGateway(database, clock=clock)
    service = _service(database, clock, gateway)
    application_id = await create_application(database)
    first = _charge_id((await service.start(application_id, RETURN)).redirect_url)
    await gateway.abandon(first)
    clock.advance(seconds=WINDOW + 1)
    # No reconciliation has run yet: start retires the stale attempt itself.
    second = _charge_id((await service.start(application_id, RETURN)).redirect_url)
    assert second != first
    assert await _ledger(database) == ["expired", "pending"]
    assert await _payments(database) == [("failed", "expired"), ("pending", None)]
    # The old page cannot take money any more.
    assert not await gateway.complete(first, "approved", "4242")


async def test_a_gateway_outage_gives_try_again_answers_not_errors(database: Database) -> None:
    clock = Clock()
    sandbox = SandboxGateway(database, clock=clock)
    application_id = await create_application(database)
    charge_id = _charge_id(
        (await _service(database, clock, sandbox).start(application_id, RETURN)).redirect_url
    )
    down = _service(database, clock, DownGateway(sandbox))
    # Back from the card page while the gateway is down: shown as it stands, still pending.
    settled = await down.settle(charge_id)
    assert (settled.status, settled.changed) == ("pending", False)
    clock.advance(seconds=WINDOW + 1)
    assert (await down.start(application_id, RETURN)).retry_later
    assert await down.reconcile() == 0
    assert await _payments(database) == [("pending", None)]
    assert await count(database, SandboxCharge) == 1


async def _ledger(database: Database) -> list[str]:
    async with database.session() as session:
        return list(
            (await session.scalars(select(SandboxCharge.status).order_by(SandboxCharge.id))).all()
        )


async def test_the_reconciliation_backlog_counts_what_is_past_the_window(
    database: Database,
) -> None:
    clock = Clock()
    sandbox = SandboxGateway(database, clock=clock)
    flaky = _service(database, clock, LostResponseGateway(sandbox))
    application_id = await create_application(database)
    assert (await flaky.start(application_id, RETURN)).retry_later
    assert await flaky.reconcile_backlog() == (0, 0.0)  # within the window: not late yet
    clock.advance(seconds=WINDOW + 30)
    count_, oldest = await flaky.reconcile_backlog()
    assert count_ == 1 and WINDOW + 29 <= oldest <= WINDOW + 31
    assert await flaky.reconcile() == 1
    assert await flaky.reconcile_backlog() == (0, 0.0)
