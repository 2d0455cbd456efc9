"""The composition root: every service of one process, built once from settings.

The server (:mod:`northgate.app`), every command that needs services (:mod:`northgate.cli`),
the benchmarks and the tests build what they run here, so they all run the same objects
wired the same way. Building opens nothing: the database, Redis and SMTP connect on first
use, so a process whose dependencies are down still starts and serves what it can.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from redis.asyncio import Redis

from northgate.analytics.runtime import Analytics
from northgate.applications.service import ApplicationService
from northgate.capacity.service import CapacityService
from northgate.core.clock import Clock, UnixClock, unix_now, utc_now
from northgate.edge.gate import GateCore, build_backend, build_core
from northgate.jobs.handlers import build_handlers, status_urls
from northgate.jobs.outbox import enqueue
from northgate.jobs.worker import Handler, Worker
from northgate.notify.factory import mailer_from_settings
from northgate.notify.mailer import Mailer
from northgate.ops.metrics import CountedSink, NodeMetrics
from northgate.outage.classify import DATABASE, REDIS
from northgate.outage.watch import DependencyWatch
from northgate.payments.sandbox import SandboxGateway
from northgate.payments.service import PaymentService
from northgate.settings import Settings
from northgate.site.render import Site, build_site
from northgate.storage import shared
from northgate.storage.db import Database
from northgate.web.guards import Guards, build_guards


@dataclass(frozen=True)
class Services:
    settings: Settings
    # The one clock, in its two shapes (northgate.core.clock): business time for handlers,
    # payments and jobs; Unix seconds for the gate's and the analytics' hot paths.
    clock: Clock
    unix_clock: UnixClock
    site: Site
    database: Database
    # One client, and so one connection pool, per process: the abuse guards, the analytics
    # store and the gate share it, and readiness and the dependency watch probe it.
    redis: Redis | None
    # What this process has seen of its dependencies: the gate, the error pages, the
    # worker and the analytics flusher all read and report the same state.
    watch: DependencyWatch
    applications: ApplicationService
    # The sandbox is the only gateway until a real one is contracted; it speaks the same
    # PaymentGateway protocol a real adapter will.
    gateway: SandboxGateway
    payments: PaymentService
    mailer: Mailer
    handlers: Mapping[str, Handler]
    worker: Worker
    guards: Guards
    analytics: Analytics
    gate: GateCore
    # Forecast, calendar and scaling history for the ops page (northgate.capacity).
    capacity: CapacityService
    # What Prometheus scrapes at /metrics (northgate.ops.metrics).
    metrics: NodeMetrics

    async def aclose(self) -> None:
        """Close the connections the services share (each service's own tasks are
        stopped by whoever started them)."""
        await self.database.close()
        if self.redis is not None:
            await self.redis.aclose()


def build(
    settings: Settings, *, clock: Clock = utc_now, unix_clock: UnixClock = unix_now
) -> Services:
    site = build_site(node_modules=settings.node_modules, public_origin=settings.public_origin)
    database = Database(settings.effective_database_url)
    redis = shared.connect(settings.redis_url) if settings.redis_url else None
    watch = DependencyWatch({DATABASE: database.ping})
    if redis is not None:
        watch.probes[REDIS] = redis.ping
    applications = ApplicationService(
        database,
        enqueue,
        follow_up_after=timedelta(seconds=settings.payment_follow_up_after_seconds),
    )
    gateway = SandboxGateway(database, clock=clock)
    payments = PaymentService(
        database, gateway, clock, reconcile_after_seconds=settings.payment_reconcile_after_seconds
    )
    mailer = mailer_from_settings(settings)
    handlers = build_handlers(
        mailer=mailer,
        mail_from=settings.mail_from,
        status_urls=status_urls(settings.public_origin),
        clock=clock,
    )
    worker = Worker(database, handlers, clock, payments=payments, watch=watch)
    analytics = Analytics(
        settings, database, information_paths=site.addresses(), redis=redis, clock=unix_clock
    )
    analytics.flusher.watch = watch
    gate = build_core(settings, build_backend(settings, redis), clock=unix_clock)
    # The database down is capacity lost: nobody new is admitted until it answers again
    # (people keep their place in line; passes already given stay valid).
    gate.paused = lambda: watch.is_down(DATABASE)
    metrics = NodeMetrics(gate=gate, database=database, payments=payments, clock=clock)
    # Arrivals reach the metrics from the analytics batches: nothing more per request.
    analytics.flusher.sink = CountedSink(analytics.flusher.sink, metrics)
    return Services(
        settings=settings,
        clock=clock,
        unix_clock=unix_clock,
        site=site,
        database=database,
        redis=redis,
        watch=watch,
        applications=applications,
        gateway=gateway,
        payments=payments,
        mailer=mailer,
        handlers=handlers,
        worker=worker,
        guards=build_guards(settings, redis),
        analytics=analytics,
        gate=gate,
        capacity=CapacityService(analytics.reader, database, settings),
        metrics=metrics,
    )
