"""Bring an application to ``paid`` the way production does, and drain the outbox."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from northgate.jobs.worker import Worker
from northgate.payments.sandbox import SandboxGateway
from northgate.payments.service import PaymentService
from northgate.storage.db import Database
from tests.payments.support import Clock, create_application


async def pay(service: PaymentService, gateway: SandboxGateway, application_id: int) -> None:
    started = await service.start(application_id, "/en/eta/apply/payment-return")
    assert started.redirect_url is not None
    charge_id = started.redirect_url.rsplit("/", 1)[1]
    assert await gateway.complete(charge_id, "approved", "4242")
    assert (await service.settle(charge_id)).status == "approved"


async def paid_application(database: Database, clock: Clock) -> int:
    """A new application, paid through the sandbox; its decision and receipt are queued."""
    gateway = SandboxGateway(database, clock=clock)
    application_id = await create_application(database)
    await pay(PaymentService(database, gateway, clock), gateway, application_id)
    return application_id


async def drain(worker: Worker, rounds: int = 10) -> int:
    """Run until nothing is due (bounded: a job that keeps enqueueing more would fail)."""
    total = 0
    for _ in range(rounds):
        ran = await worker.run_once()
        if ran == 0:
            return total
        total += ran
    raise AssertionError(f"outbox not drained after {rounds} rounds")


async def eventually(check: Callable[[], Awaitable[bool]], seconds: float = 5.0) -> None:
    """Poll until ``check()`` is true; fail after ``seconds`` (every wait is bounded)."""
    for _ in range(int(seconds / 0.01)):
        if await check():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition not met in time")
