"""Reconciliation racing the traveller's own payment, run for real on both backends.

Reconciliation retires attempts it believes abandoned while the traveller may be on the
card page or coming back from it. Each interleaving below is forced with a gateway that
stops one call until the test lets it go, so the race is run, not assumed; the last test
lets many travellers and two reconcilers loose at once. Whatever the order: one fee
collected per application, or every extra one recorded as a refund due, and one decision
and one receipt.
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import func, select

from northgate.payments.gateway import GatewayPayment
from northgate.payments.sandbox import SandboxGateway
from northgate.payments.service import PaymentService
from northgate.storage.db import Database
from northgate.storage.models import Application, OutboxJob, Payment, SandboxCharge
from tests.payments.support import Clock, create_application

RETURN = "/en/eta/apply/payment-return"
WINDOW = 900


@dataclass
class _Hold:
    reached: asyncio.Event = field(default_factory=asyncio.Event)
    release: asyncio.Event = field(default_factory=asyncio.Event)


class HeldGateway:
    """The sandbox, where the next call to one method stops (before or after reaching the
    bank) until the test releases it: the network delay in which the other side moves."""

    def __init__(self, inner: SandboxGateway, *, honour_expiry: bool = True) -> None:
        self.inner = inner
        # False: a gateway that answers "expired" while its card page still takes the
        # payment (the expiry did not reach it in time). The one way two fees get taken.
        self.honour_expiry = honour_expiry
        self._holds: dict[tuple[str, str], _Hold] = {}

    def hold(self, method: str, when: str = "before") -> _Hold:
        self._holds[(method, when)] = hold = _Hold()
        return hold

    async def _pause(self, method: str, when: str) -> None:
        hold = self._holds.pop((method, when), None)
        if hold is not None:
            hold.reached.set()
            await hold.release.wait()

    async def create_payment(
        self,
        *,
        idempotency_key: str,
        amount_cents: int,
        currency: str,
        description: str,
        return_url: str,
    ) -> GatewayPayment:
        await self._pause("create_payment", "before")
        charge = await self.inner.create_payment(
            idempotency_key=idempotency_key,
            amount_cents=amount_cents,
            currency=currency,
            description=description,
            return_url=return_url,
        )
        await self._pause("create_payment", "after")
        return charge

    async def get_payment(self, gateway_payment_id: str) -> GatewayPayment | None:
        await self._pause("get_payment", "before")
        return await self.inner.get_payment(gateway_payment_id)

    async def find_by_idempotency_key(self, key: str) -> GatewayPayment | None:
        await self._pause("find_by_idempotency_key", "before")
        charge = await self.inner.find_by_idempotency_key(key)
        await self._pause("find_by_idempotency_key", "after")
        return charge

    async def expire_payment(self, gateway_payment_id: str) -> GatewayPayment | None:
        await self._pause("expire_payment", "before")
        if self.honour_expiry:
            return await self.inner.expire_payment(gateway_payment_id)
        charge = await self.inner.get_payment(gateway_payment_id)
        if charge is None or charge.status != "pending":
            return charge
        return GatewayPayment(charge.id, "expired", charge.amount_cents, charge.currency,
                              charge.redirect_url, charge.idempotency_key)  # fmt: skip


@dataclass
class Scene:
    database: Database
    sandbox: SandboxGateway
    gateway: HeldGateway
    traveller: PaymentService  # the traveller's requests, on time
    reconciler: PaymentService  # the reconciliation job, which sees the attempt as old


def _scene(database: Database, *, honour_expiry: bool = True) -> Scene:
    clock = Clock()
    sandbox = SandboxGateway(database, clock=clock)
    gateway = HeldGateway(sandbox, honour_expiry=honour_expiry)
    later = Clock(clock.now + timedelta(seconds=WINDOW + 1))
    return Scene(
        database,
        sandbox,
        gateway,
        PaymentService(database, gateway, clock, reconcile_after_seconds=WINDOW),
        PaymentService(database, gateway, later, reconcile_after_seconds=WINDOW),
    )


def _charge_id(redirect_url: str | None) -> str:
    assert redirect_url is not None
    return redirect_url.rsplit("/", 1)[1]


async def _reached(hold: _Hold, task: asyncio.Task[object]) -> None:
    """Wait until the held call is reached (failing at once if its task died first)."""
    waiter = asyncio.ensure_future(hold.reached.wait())
    done, _ = await asyncio.wait({waiter, task}, return_when=asyncio.FIRST_COMPLETED)
    if waiter not in done:
        waiter.cancel()
        task.result()  # raises what killed it
        raise AssertionError("the task ended without reaching the held call")


async def _payments(database: Database, application_id: int) -> list[tuple[str, str | None]]:
    async with database.session() as session:
        rows = await session.execute(
            select(Payment.status, Payment.failure_code)
            .where(Payment.application_id == application_id)
            .order_by(Payment.id)
        )
    return [(status, code) for status, code in rows.all()]


async def _charges(database: Database, application_id: int) -> list[str]:
    """The bank's side: the status of every charge made for this application."""
    async with database.session() as session:
        keys = select(Payment.idempotency_key).where(Payment.application_id == application_id)
        return list(
            (
                await session.scalars(
                    select(SandboxCharge.status)
                    .where(SandboxCharge.idempotency_key.in_(keys))
                    .order_by(SandboxCharge.id)
                )
            ).all()
        )


async def _jobs(database: Database, application_id: int) -> list[str]:
    async with database.session() as session:
        keys = (await session.scalars(select(OutboxJob.dedupe_key))).all()
    return sorted(key for key in keys if key.endswith(f":{application_id}"))


async def _assert_paid_once(database: Database, application_id: int) -> None:
    """Paid, one decision and one receipt, and every fee the bank took is either the one
    approved payment or a refund due: none is lost, none is kept twice."""
    async with database.session() as session:
        application = await session.get(Application, application_id)
    assert application is not None and application.status == "paid"
    statuses = [status for status, _ in await _payments(database, application_id)]
    assert statuses.count("approved") == 1
    taken = (await _charges(database, application_id)).count("approved")
    assert taken == statuses.count("approved") + statuses.count("refund_due")
    assert await _jobs(database, application_id) == [
        f"decide:{application_id}",
        f"email:receipt:{application_id}",
    ]


async def test_the_traveller_pays_while_reconciliation_is_expiring_the_page(
    database: Database,
) -> None:
    """Reconciliation found the charge pending and is about to expire it; meanwhile the
    card is accepted and the traveller returns. The expiry then finds it approved: one
    fee, the traveller's settle is the one that counted, reconciliation changes nothing."""
    scene = _scene(database)
    application_id = await create_application(database)
    charge_id = _charge_id((await scene.traveller.start(application_id, RETURN)).redirect_url)
    hold = scene.gateway.hold("expire_payment")
    reconciling = asyncio.create_task(scene.reconciler.reconcile())
    await _reached(hold, reconciling)
    assert await scene.sandbox.complete(charge_id, "approved", "4242")
    settled = await scene.traveller.settle(charge_id)
    assert (settled.status, settled.changed) == ("approved", True)
    hold.release.set()
    assert await reconciling == 0
    assert await _payments(database, application_id) == [("approved", None)]
    assert await _charges(database, application_id) == ["approved"]
    await _assert_paid_once(database, application_id)


async def test_the_traveller_returns_after_paying_while_reconciliation_settles_it(
    database: Database,
) -> None:
    """The card is accepted; reconciliation and the traveller's return both settle the
    same approval at once: one of them records it, one decision and receipt."""
    scene = _scene(database)
    application_id = await create_application(database)
    charge_id = _charge_id((await scene.traveller.start(application_id, RETURN)).redirect_url)
    assert await scene.sandbox.complete(charge_id, "approved", "4242")
    hold = scene.gateway.hold("get_payment")
    reconciling = asyncio.create_task(scene.reconciler.reconcile())
    await _reached(hold, reconciling)
    returning = asyncio.create_task(scene.traveller.settle(charge_id))
    hold.release.set()
    settled, reconciled = await asyncio.gather(returning, reconciling)
    assert settled.status == "approved"
    assert int(settled.changed) + reconciled == 1
    assert await _charges(database, application_id) == ["approved"]
    await _assert_paid_once(database, application_id)


async def test_a_page_expired_by_reconciliation_takes_no_money_and_the_traveller_pays_again(
    database: Database,
) -> None:
    scene = _scene(database)
    application_id = await create_application(database)
    first = _charge_id((await scene.traveller.start(application_id, RETURN)).redirect_url)
    assert await scene.reconciler.reconcile() == 1
    assert not await scene.sandbox.complete(first, "approved", "4242")  # too late
    assert (await scene.traveller.settle(first)).status == "failed"
    second = _charge_id((await scene.traveller.start(application_id, RETURN)).redirect_url)
    assert second != first
    assert await scene.sandbox.complete(second, "approved", "4242")
    assert (await scene.traveller.settle(second)).changed
    assert await _charges(database, application_id) == ["expired", "approved"]
    assert await _payments(database, application_id) == [("failed", "expired"), ("approved", None)]
    await _assert_paid_once(database, application_id)


async def test_reconciliation_retires_an_attempt_whose_create_call_is_still_on_its_way(
    database: Database,
) -> None:
    """The attempt is committed and the create call has not reached the bank when
    reconciliation retires it as never sent. The call then arrives: the start must close
    that charge at the bank before it hands out a new one, or two pages could be paid."""
    scene = _scene(database)
    application_id = await create_application(database)
    hold = scene.gateway.hold("create_payment", "before")
    starting = asyncio.create_task(scene.traveller.start(application_id, RETURN))
    await _reached(hold, starting)
    assert await scene.reconciler.reconcile() == 1
    assert await _payments(database, application_id) == [("failed", "never-reached-gateway")]
    hold.release.set()
    live = _charge_id((await starting).redirect_url)
    assert await _charges(database, application_id) == ["expired", "pending"]
    assert await _payments(database, application_id) == [
        ("failed", "never-reached-gateway"),
        ("pending", None),
    ]
    assert await scene.sandbox.complete(live, "approved", "4242")
    assert (await scene.traveller.settle(live)).status == "approved"
    await _assert_paid_once(database, application_id)


async def test_a_charge_made_after_reconciliation_looked_for_it_is_not_retired(
    database: Database,
) -> None:
    """Reconciliation asked the bank about the key and heard "never seen"; before it
    retires the attempt, the create call arrives and the start records the live charge.
    Retiring it now would leave a payable page on an attempt we call failed (and let the
    next start open a second one): reconciliation must leave it alone."""
    scene = _scene(database)
    application_id = await create_application(database)
    creating = scene.gateway.hold("create_payment", "before")
    starting = asyncio.create_task(scene.traveller.start(application_id, RETURN))
    await _reached(creating, starting)
    looked = scene.gateway.hold("find_by_idempotency_key", "after")
    reconciling = asyncio.create_task(scene.reconciler.reconcile())
    await _reached(looked, reconciling)
    creating.release.set()
    live = _charge_id((await starting).redirect_url)
    looked.release.set()
    assert await reconciling == 0
    assert await _payments(database, application_id) == [("pending", None)]
    assert await scene.sandbox.complete(live, "approved", "4242")
    assert (await scene.traveller.settle(live)).changed
    assert await _charges(database, application_id) == ["approved"]
    await _assert_paid_once(database, application_id)


async def test_reconciliation_expires_a_charge_whose_create_answer_is_still_on_its_way(
    database: Database,
) -> None:
    """The bank made the charge, its answer is in flight; reconciliation finds it by the
    idempotency key and expires it. The late answer must not revive that attempt."""
    scene = _scene(database)
    application_id = await create_application(database)
    hold = scene.gateway.hold("create_payment", "after")
    starting = asyncio.create_task(scene.traveller.start(application_id, RETURN))
    await _reached(hold, starting)
    assert await scene.reconciler.reconcile() == 1
    hold.release.set()
    live = _charge_id((await starting).redirect_url)
    assert await _charges(database, application_id) == ["expired", "pending"]
    assert await _payments(database, application_id) == [("failed", "expired"), ("pending", None)]
    assert await scene.sandbox.complete(live, "approved", "4242")
    assert (await scene.traveller.settle(live)).changed
    await _assert_paid_once(database, application_id)


async def test_a_page_paid_after_the_gateway_said_expired_becomes_a_refund_due(
    database: Database,
) -> None:
    """The gateway answered "expired" but its page still took the card (the expiry did
    not reach it in time), and the traveller has paid the next attempt too. Two fees were
    taken: the application is paid once, the late one is recorded as a refund due."""
    scene = _scene(database, honour_expiry=False)
    application_id = await create_application(database)
    first = _charge_id((await scene.traveller.start(application_id, RETURN)).redirect_url)
    assert await scene.reconciler.reconcile() == 1
    second = _charge_id((await scene.traveller.start(application_id, RETURN)).redirect_url)
    assert await scene.sandbox.complete(second, "approved", "4242")
    assert (await scene.traveller.settle(second)).changed
    assert await scene.sandbox.complete(first, "approved", "4242")  # the stale tab
    late = await scene.traveller.settle(first)
    assert (late.status, late.changed) == ("refund_due", True)
    assert await _payments(database, application_id) == [
        ("refund_due", "duplicate-charge"),
        ("approved", None),
    ]
    assert await _charges(database, application_id) == ["approved", "approved"]
    await _assert_paid_once(database, application_id)


class _Jittery(HeldGateway):
    """Every call yields to the event loop a random number of times first, so that the
    travellers' and the reconcilers' steps interleave differently on every run."""

    def __init__(self, inner: SandboxGateway, rng: random.Random) -> None:
        super().__init__(inner)
        self.rng = rng

    async def _pause(self, method: str, when: str) -> None:
        for _ in range(self.rng.randrange(4)):
            await asyncio.sleep(0)


async def test_many_travellers_paying_while_two_reconcilers_run(database: Database) -> None:
    rng = random.Random(14)
    clock = Clock()
    sandbox = SandboxGateway(database, clock=clock)
    gateway = _Jittery(sandbox, rng)
    traveller = PaymentService(database, gateway, clock, reconcile_after_seconds=WINDOW)
    later = Clock(clock.now + timedelta(seconds=WINDOW + 1))
    reconciler = PaymentService(database, gateway, later, reconcile_after_seconds=WINDOW)
    applications = [await create_application(database) for _ in range(12)]
    travellers_done = asyncio.Event()
    late_pages = 0

    async def pay(application_id: int) -> None:
        nonlocal late_pages
        for attempt in range(20):
            result = await traveller.start(application_id, RETURN)
            if result.already_paid:
                return
            if result.redirect_url is None:
                continue
            charge_id = _charge_id(result.redirect_url)
            # Slow on the card page the first time (reconciliation may expire it under
            # them), quick afterwards: every traveller races, and all of them get to pay.
            await asyncio.sleep(0.15 + rng.random() * 0.2 if attempt == 0 else 0)
            if not await sandbox.complete(charge_id, "approved", "4242"):
                late_pages += 1  # reconciliation expired the page first: pay again
            await traveller.settle(charge_id)
        raise AssertionError(f"application {application_id} could not be paid in 20 tries")

    async def reconcile() -> None:
        while not travellers_done.is_set():
            await reconciler.reconcile()
            await asyncio.sleep(0)

    reconcilers = [asyncio.create_task(reconcile()) for _ in range(2)]
    try:
        await asyncio.gather(*(pay(application_id) for application_id in applications))
    finally:
        travellers_done.set()
        await asyncio.gather(*reconcilers)
    await reconciler.reconcile()  # what was left in flight: retired, and closed at the bank
    for application_id in applications:
        await _assert_paid_once(database, application_id)
        # An honest gateway honours the expiry: never a second fee, so never a refund.
        assert (await _charges(database, application_id)).count("approved") == 1
    async with database.session() as session:
        pending = await session.scalar(
            select(func.count()).select_from(SandboxCharge).where(SandboxCharge.status == "pending")
        )
    assert pending == 0
    # The race was run: some pages were expired under a traveller who then paid again.
    assert late_pages > 0
