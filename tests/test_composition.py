"""The composition root builds each service of a process once, and they share them: one
database, one Redis client, one dependency watch, one clock."""

from __future__ import annotations

import gc
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx
from redis.asyncio import Redis

from northgate.analytics.runtime import Analytics
from northgate.app import edge_app
from northgate.composition import Services, build
from northgate.core.clock import as_utc
from northgate.edge.gate.core import GateCore
from northgate.edge.gate.fallback import FallbackBackend
from northgate.edge.gate.redis_backend import RedisBackend
from northgate.jobs.send_email import SendEmail
from northgate.jobs.worker import Worker
from northgate.outage.watch import DependencyWatch
from northgate.payments.sandbox import SandboxGateway
from northgate.payments.service import PaymentService
from northgate.settings import Settings
from northgate.storage.db import Database
from northgate.testing.samples import COMPLETE_ANSWERS
from northgate.throttle.store import FallbackStore, RedisStore
from northgate.web.guards import Guards

# Nothing listens here: constructing a client does not connect, and build opens nothing.
NO_REDIS = "redis://127.0.0.1:9/0"


def _built_during(action: Callable[[], Services], kinds: tuple[type, ...]) -> dict[type, int]:
    """How many live instances of each kind ``action`` created (counted by the collector's
    view of the heap, so objects other tests left alive are not counted)."""
    gc.collect()
    before = {id(found) for found in gc.get_objects() if isinstance(found, kinds)}
    services = action()
    gc.collect()
    created = [f for f in gc.get_objects() if isinstance(f, kinds) and id(f) not in before]
    counts = {kind: sum(isinstance(found, kind) for found in created) for kind in kinds}
    del services
    return counts


def test_each_service_is_built_once(
    make_settings: Callable[..., Settings], sqlite_url: str
) -> None:
    settings = make_settings(database_url=sqlite_url, redis_url=NO_REDIS)
    kinds = (
        Database,
        Redis,
        DependencyWatch,
        SandboxGateway,
        PaymentService,
        Worker,
        Guards,
        Analytics,
        GateCore,
    )
    counts = _built_during(lambda: build(settings), kinds)
    assert counts == dict.fromkeys(kinds, 1)


def test_the_app_builds_nothing_of_its_own(
    make_settings: Callable[..., Settings], sqlite_url: str
) -> None:
    services = build(make_settings(database_url=sqlite_url, redis_url=NO_REDIS))
    counts = _built_during(lambda: (edge_app(services), services)[1], (Database, Redis))
    assert counts == {Database: 0, Redis: 0}


def test_one_redis_client_is_shared_by_guards_analytics_and_gate(
    make_settings: Callable[..., Settings], sqlite_url: str
) -> None:
    services = build(make_settings(database_url=sqlite_url, redis_url=NO_REDIS))
    assert isinstance(services.redis, Redis)
    throttle_store = services.guards.throttle.store
    assert isinstance(throttle_store, FallbackStore)
    assert isinstance(throttle_store.primary, RedisStore)
    assert throttle_store.primary._attempt.registered_client is services.redis
    assert services.analytics.redis_store is not None
    assert services.analytics.redis_store.redis is services.redis
    backend = services.gate.backend
    assert isinstance(backend, FallbackBackend) and isinstance(backend.primary, RedisBackend)
    assert backend.primary.redis is services.redis


def test_without_redis_there_is_no_client(
    make_settings: Callable[..., Settings], sqlite_url: str
) -> None:
    counts = _built_during(lambda: build(make_settings(database_url=sqlite_url)), (Redis,))
    assert counts == {Redis: 0}


def test_the_services_share_their_dependencies(
    make_settings: Callable[..., Settings], sqlite_url: str
) -> None:
    services = build(make_settings(database_url=sqlite_url))
    assert services.worker.payments is services.payments
    assert services.worker.watch is services.watch
    assert services.analytics.flusher.watch is services.watch
    assert services.payments.gateway is services.gateway
    assert services.worker.handlers == services.handlers
    send_email = services.handlers["email"]
    assert isinstance(send_email, SendEmail) and send_email.mailer is services.mailer
    for uses_the_database in (services.payments, services.gateway, services.worker):
        assert vars(uses_the_database)["database"] is services.database


async def test_handlers_keep_time_by_the_clock_given_to_build(
    make_settings: Callable[..., Settings], sqlite_url: str
) -> None:
    """The API stamps an application's submission with the one clock (here a stopped one,
    a day back: the sample answers' dates are relative to today)."""
    stopped = datetime.now(UTC).replace(microsecond=0) - timedelta(days=1)
    services = build(
        make_settings(database_url=sqlite_url, embedded_worker=False), clock=lambda: stopped
    )
    transport = httpx.ASGITransport(app=edge_app(services))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        created = await client.post("/api/v1/applications", json={"answers": COMPLETE_ANSWERS})
    assert created.status_code == 201, created.text
    application = await services.applications.by_public_id(created.json()["id"])
    assert application is not None and application.submitted_at is not None
    assert as_utc(application.submitted_at) == stopped
    await services.aclose()
