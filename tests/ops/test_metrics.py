"""/metrics over the application: operators only, arrivals from the analytics batches, the
gate's gauges and the database's backlog, in the Prometheus text format."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from northgate.analytics.capture.dimensions import ArrivalKey
from northgate.analytics.store.delta import Delta
from northgate.app import edge_app
from northgate.composition import Services, build
from northgate.core.asgi import Receive, Scope, Send
from northgate.ops.latency import Timed
from northgate.ops.metrics import CountedSink
from northgate.settings import Settings
from tests.support.asgi import Recorder, empty_receive

TOKEN = "metrics-operator-token"
BEARER = {"authorization": f"Bearer {TOKEN}"}

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def samples(text: str) -> Samples:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


@pytest.fixture
async def node(
    make_settings: Callable[..., Settings], sqlite_url: str
) -> AsyncIterator[tuple[Services, httpx.AsyncClient]]:
    services = build(make_settings(database_url=sqlite_url, operator_token=TOKEN))
    transport = httpx.ASGITransport(app=edge_app(services))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        yield services, client
    await services.aclose()


async def test_metrics_are_for_operators_only(
    node: tuple[Services, httpx.AsyncClient],
    make_settings: Callable[..., Settings],
    sqlite_url: str,
) -> None:
    _, client = node
    assert (await client.get("/metrics")).status_code == 401
    assert (await client.get("/metrics", headers={"authorization": "Bearer no"})).status_code == 401
    scraped = await client.get("/metrics", headers=BEARER)
    assert scraped.status_code == 200
    assert scraped.headers["content-type"].startswith("text/plain; version=")
    assert scraped.headers["cache-control"] == "no-store"
    # No token configured: the endpoint is off.
    closed = build(make_settings(database_url=sqlite_url))
    transport = httpx.ASGITransport(app=edge_app(closed))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as anonymous:
        assert (await anonymous.get("/metrics", headers=BEARER)).status_code == 403
    await closed.aclose()


async def test_arrivals_gate_and_backlog_are_exposed(
    node: tuple[Services, httpx.AsyncClient],
) -> None:
    services, client = node
    for _ in range(3):
        assert (await client.get("/en/eta/check")).status_code == 200
    assert (await client.get("/en/no-such-page")).status_code == 404
    await services.analytics.flusher.flush()
    found = samples((await client.get("/metrics", headers=BEARER)).text)

    arrivals = "northgate_arrivals_total"
    assert found[(arrivals, (("outcome", "served"), ("section", "eta")))] == 3
    assert sum(v for (name, _), v in found.items() if name == arrivals) == 4
    by_country = sum(v for (n, _), v in found.items() if n == "northgate_arrivals_by_country_total")
    assert by_country == 4
    # What reached the application was timed: the journey pages and the 404.
    assert found[("northgate_request_duration_seconds_count", ())] == 4
    # The gate, as its own state says.
    limit = services.gate.limiter.limit
    assert found[("northgate_gate_concurrency_limit", ())] == limit
    assert found[("northgate_gate_in_flight", ())] == 0
    assert found[("northgate_gate_waiting", ())] == 0
    assert ("northgate_capacity_requests_per_second", ()) in found
    assert found[("northgate_gate_admission_rate_per_second", ())] == services.gate.rate()
    assert found[("northgate_db_pool_connections", (("state", "size"),))] == 1  # SQLite
    # The database's backlog: empty, and readable.
    assert found[("northgate_database_up", ())] == 1
    assert found[("northgate_payment_reconciliation_backlog", ())] == 0
    assert found[("northgate_email_failures", (("state", "dead"),))] == 0


async def test_capacity_follows_the_measured_service_time(
    node: tuple[Services, httpx.AsyncClient],
) -> None:
    services, client = node
    limiter = services.gate.limiter
    limiter.baseline = 0.004  # as measured by the limiter's probe
    found = samples((await client.get("/metrics", headers=BEARER)).text)
    expected = limiter.limit / (0.004 * limiter.tolerance)
    assert found[("northgate_capacity_requests_per_second", ())] == pytest.approx(expected)
    assert found[("northgate_service_time_seconds", ())] == 0.004


async def test_a_batch_retried_after_a_failed_write_is_counted_once(
    node: tuple[Services, httpx.AsyncClient],
) -> None:
    services, client = node

    class Flaky:
        def __init__(self) -> None:
            self.calls = 0

        async def apply(self, delta: Delta, now: int) -> bool:
            self.calls += 1
            if self.calls == 1:
                raise ConnectionError("storage down")
            return True

    sink = CountedSink(Flaky(), services.metrics)
    delta = Delta("batch-1", {ArrivalKey(1, "eta", "en", "US", "shed", False): 5})
    with pytest.raises(ConnectionError):
        await sink.apply(delta, 0)
    assert await sink.apply(delta, 0)
    found = samples((await client.get("/metrics", headers=BEARER)).text)
    assert found[("northgate_arrivals_total", (("outcome", "shed"), ("section", "eta")))] == 5
    assert found[("northgate_arrivals_by_country_total", (("country", "US"),))] == 5


async def test_an_unreadable_database_is_reported_not_raised(
    node: tuple[Services, httpx.AsyncClient],
) -> None:
    services, client = node

    async def down() -> tuple[int, float]:
        raise ConnectionError("database down")

    services.metrics.payments.reconcile_backlog = down  # type: ignore[method-assign]
    scraped = await client.get("/metrics", headers=BEARER)
    assert scraped.status_code == 200
    found = samples(scraped.text)
    assert found[("northgate_database_up", ())] == 0
    assert ("northgate_gate_concurrency_limit", ()) in found


async def test_the_publisher_runs_until_stopped_and_survives_a_failure(
    node: tuple[Services, httpx.AsyncClient], caplog: pytest.LogCaptureFixture
) -> None:
    services, _ = node
    metrics = services.metrics
    calls: list[int] = []

    def publish() -> None:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("gate state unreadable")

    metrics.publish = publish  # type: ignore[method-assign]
    task = asyncio.create_task(metrics.run(interval=0.01))
    for _ in range(200):
        if len(calls) >= 3:
            break
        await asyncio.sleep(0.01)
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    assert len(calls) >= 3
    assert "publishing the gate's state failed" in caplog.text
    metrics.start()
    metrics.start()  # already running: one task
    await metrics.stop()
    await metrics.stop()


async def test_only_http_requests_are_timed(node: tuple[Services, httpx.AsyncClient]) -> None:
    services, _ = node
    seen: list[str] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(scope["type"])

    timed = Timed(app, services.metrics.latency)
    await timed({"type": "lifespan"}, empty_receive, Recorder())
    await timed({"type": "http"}, empty_receive, Recorder())
    assert seen == ["lifespan", "http"]
    [family] = services.metrics.latency.collect()
    counts = [sample.value for sample in family.samples if sample.name.endswith("_count")]
    assert counts == [1]
