"""Assemble the services behind the journey from settings: applications, payment
gateway, payment service, mailer and the job worker. One place, so the server and
`northgate worker` run exactly the same code."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta

from northgate.applications.service import ApplicationService
from northgate.core.clock import Clock, utc_now
from northgate.jobs.handlers import handlers_from_settings
from northgate.jobs.outbox import enqueue
from northgate.jobs.worker import Worker
from northgate.outage.classify import DATABASE
from northgate.outage.watch import DependencyWatch
from northgate.payments.sandbox import SandboxGateway
from northgate.payments.service import PaymentService
from northgate.settings import Settings
from northgate.storage.db import Database

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Services:
    applications: ApplicationService
    gateway: SandboxGateway
    payments: PaymentService
    worker: Worker
    # Per process: what this process has seen of its dependencies (the gate, the error
    # pages and the worker all read and report the same state).
    watch: DependencyWatch


def build_services(settings: Settings, database: Database, clock: Clock = utc_now) -> Services:
    applications = ApplicationService(
        database,
        enqueue,
        follow_up_after=timedelta(seconds=settings.payment_follow_up_after_seconds),
    )
    # The sandbox is the only gateway until a real one is contracted; it speaks the same
    # PaymentGateway protocol a real adapter will.
    gateway = SandboxGateway(database)
    payments = PaymentService(
        database,
        gateway,
        clock,
        reconcile_after_seconds=settings.payment_reconcile_after_seconds,
    )
    watch = DependencyWatch({DATABASE: database.ping})
    worker = Worker(
        database, handlers_from_settings(settings, clock), clock, payments=payments, watch=watch
    )
    return Services(applications, gateway, payments, worker, watch)


@contextlib.asynccontextmanager
async def running_worker(worker: Worker) -> AsyncIterator[None]:
    """Run the worker as a task until the block exits (the embedded default)."""
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run_forever(stop), name="northgate-worker")
    try:
        yield
    finally:
        stop.set()
        try:
            await asyncio.wait_for(task, timeout=10)
        except TimeoutError:
            task.cancel()
            log.warning("worker did not stop within 10 s; cancelled")
