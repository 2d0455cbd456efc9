"""A node's metrics in the Prometheus exposition format (``/metrics``).

Nothing here runs per request. Three sources, each read where it already exists:

- **arrivals**, by section and outcome and by country: counted from the analytics batches
  the flusher writes every few seconds (:class:`CountedSink` wraps its sink), so the tap's
  hot path is untouched and what Prometheus sees is what the analytics reports count;
- **the gate and the process** (line, in flight, concurrency limit, capacity, shedding, the
  database pool): copied from the gate's own state once a second by :meth:`NodeMetrics.run`
  in every worker process;
- **the backlog in the database** (outbox lag, oldest job, e-mail failures, payments
  awaiting reconciliation): one query each when Prometheus scrapes, since they are the
  same for every node.

With several worker processes the metrics live in prometheus-client's multiprocess files
(:mod:`northgate.ops.processes`): counters add up over the workers, per-process gauges are
summed over the live ones, gauges of shared state take the highest.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final, Literal

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from northgate.analytics.store.delta import Delta
from northgate.analytics.store.flusher import Sink
from northgate.applications.scheduling import EMAIL
from northgate.core.periodic import Periodic
from northgate.edge.gate import GateCore
from northgate.edge.gate.estimate import estimated_wait
from northgate.jobs.outbox import KindBacklog, backlog
from northgate.ops import processes
from northgate.payments.service import PaymentService
from northgate.storage.db import Database

log = logging.getLogger(__name__)

PUBLISH_SECONDS: Final = 1.0
# The latency objective's threshold (deploy/prometheus) must be one of these bounds.
LATENCY_BUCKETS: Final = (0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
# Batches already counted, so that one retried after a failed write is not counted twice.
_REMEMBERED_BATCHES: Final = 4096


Mode = Literal["livesum", "livemax"]


def _gauge(name: str, doc: str, mode: Mode, registry: CollectorRegistry | None, **kw: Any) -> Gauge:
    return Gauge(name, doc, registry=registry, multiprocess_mode=mode, **kw)


class NodeMetrics:
    """The instruments of one process and the scrape that reads every process's."""

    def __init__(
        self,
        *,
        gate: GateCore,
        database: Database,
        payments: PaymentService,
        clock: Callable[[], datetime],
    ) -> None:
        self.gate = gate
        self.database = database
        self.payments = payments
        self.clock = clock
        self.directory = processes.directory()
        # Single-process mode: the instruments live in a registry of their own (several
        # apps built in one process, as tests do, do not collide). Multiprocess mode: in
        # files, read back by a MultiProcessCollector at each scrape.
        own = None if self.directory is not None else CollectorRegistry()
        self._own = own
        self.arrivals = Counter(
            "northgate_arrivals",
            "Requests that reached this node, by section and outcome (the analytics tap's count)",
            ["section", "outcome"],
            registry=own,
        )
        self.arrivals_by_country = Counter(
            "northgate_arrivals_by_country",
            "Requests that reached this node, by country of the client address",
            ["country"],
            registry=own,
        )
        self.shed = Counter(
            "northgate_gate_shed",
            "Requests the gate turned away, by class",
            ["klass"],
            registry=own,
        )
        self.waited = Counter(
            "northgate_gate_waited", "People admitted after waiting in line", registry=own
        )
        self.waited_seconds = Counter(
            "northgate_gate_waited_seconds",
            "Seconds people admitted after waiting had waited, summed",
            registry=own,
        )
        self.latency = Histogram(
            "northgate_request_duration_seconds",
            "Time the application (behind the gate) took to answer a request",
            buckets=LATENCY_BUCKETS,
            registry=own,
        )
        # Per process, summed over the live workers.
        self.in_flight = _gauge(
            "northgate_gate_in_flight", "Requests being served by the application", "livesum", own
        )
        self.concurrency_limit = _gauge(
            "northgate_gate_concurrency_limit",
            "Requests the adaptive limit lets run at once",
            "livesum",
            own,
        )
        self.capacity = _gauge(
            "northgate_capacity_requests_per_second",
            "Gated requests per second the node sustains: its concurrency limit over the "
            "service time the limit tolerates (measured no-load latency x tolerance)",
            "livesum",
            own,
        )
        self.service_time = _gauge(
            "northgate_service_time_seconds",
            "Measured no-load service time of a gated request",
            "livemax",
            own,
        )
        self.admission_rate = _gauge(
            "northgate_gate_admission_rate_per_second",
            "Admissions per second the gate lets in from the line (its configured pace)",
            "livesum",
            own,
        )
        self.pool = _gauge(
            "northgate_db_pool_connections",
            "Database connections of the pool: in use, and the pool's size",
            "livesum",
            own,
            labelnames=["state"],
        )
        # The line is shared through Redis: every worker sees the same, take the highest.
        self.waiting = _gauge("northgate_gate_waiting", "People waiting in line", "livemax", own)
        self.active = _gauge(
            "northgate_gate_active", "Places held by admitted people", "livemax", own
        )
        self.outflow = _gauge(
            "northgate_gate_outflow_per_second",
            "Measured speed of the line: admissions per second while people wait",
            "livemax",
            own,
        )
        self.promised_wait = _gauge(
            "northgate_gate_promised_wait_seconds",
            "Wait the line promises someone joining now (0: no line, or no honest estimate)",
            "livemax",
            own,
        )
        self.paused = _gauge(
            "northgate_gate_paused", "1 while admissions are paused (database down)", "livemax", own
        )
        self._seen_counters: dict[str, int] = {}
        self._seen_waits = (0, 0.0)
        self._publishing = self._periodic(PUBLISH_SECONDS)

    # ------------------------------------------------------------------ arrivals

    def count_arrivals(self, delta: Delta) -> None:
        sections: dict[tuple[str, str], int] = {}
        countries: dict[str, int] = {}
        for key, n in delta.counts.items():
            pair = (key.section, key.outcome)
            sections[pair] = sections.get(pair, 0) + n
            countries[key.country] = countries.get(key.country, 0) + n
        for (section, outcome), n in sections.items():
            self.arrivals.labels(section, outcome).inc(n)
        for country, n in countries.items():
            self.arrivals_by_country.labels(country).inc(n)

    # ------------------------------------------------------------------ the gate, per second

    def publish(self) -> None:
        """Copy the gate's and the pool's state into the instruments (each worker's own)."""
        gate = self.gate
        counters = gate.metrics.counters
        for name, total in list(counters.items()):
            if not name.startswith("shed."):
                continue
            new = total - self._seen_counters.get(name, 0)
            if new > 0:
                self.shed.labels(name.removeprefix("shed.")).inc(new)
            self._seen_counters[name] = total
        waits = gate.metrics.wait_seconds
        seen_count, seen_total = self._seen_waits
        if waits.count > seen_count:
            self.waited.inc(waits.count - seen_count)
            self.waited_seconds.inc(max(0.0, waits.total - seen_total))
            self._seen_waits = (waits.count, waits.total)
        limiter = gate.limiter
        self.in_flight.set(gate.guard.in_flight)
        self.concurrency_limit.set(limiter.limit)
        self.service_time.set(limiter.baseline)
        tolerated = limiter.baseline * limiter.tolerance
        self.capacity.set(limiter.limit / tolerated if tolerated > 0 else 0.0)
        self.admission_rate.set(gate.rate())
        self.paused.set(int(gate.paused()))
        snapshot = gate.snapshot
        waiting = snapshot.waiting if snapshot is not None else 0
        self.waiting.set(waiting)
        self.active.set(snapshot.active if snapshot is not None else 0)
        self.outflow.set(gate.outflow.rate)
        speed = gate.outflow.rate if gate.outflow.known else 0.0
        promised = estimated_wait(waiting, speed, gate.rate()) if waiting else 0.0
        self.promised_wait.set(promised or 0.0)
        pool = self.database.engine.pool
        in_use = getattr(pool, "checkedout", None)
        size = getattr(pool, "size", None)
        if callable(in_use) and callable(size):
            self.pool.labels("in_use").set(in_use())
            self.pool.labels("size").set(size())

    async def _publish_now(self) -> None:
        self.publish()

    def _periodic(self, interval: float) -> Periodic:
        return Periodic(
            self._publish_now,
            interval,
            name="metrics",
            log=log,
            failure="metrics: publishing the gate's state failed",
        )

    async def run(self, interval: float = PUBLISH_SECONDS) -> None:
        await self._periodic(interval).run()

    def start(self) -> None:
        self._publishing.start()

    async def stop(self) -> None:
        await self._publishing.stop()

    # ------------------------------------------------------------------ the scrape

    async def exposition(self) -> bytes:
        """Every process's instruments and the database's backlog, as Prometheus text."""
        self.publish()  # this worker's figures are fresh, whatever the tick
        backlog_metrics = await self._backlog()
        registry = CollectorRegistry(auto_describe=False)
        if self.directory is not None:
            processes.forget_dead_workers(self.directory)
            MultiProcessCollector(registry, str(self.directory))  # type: ignore[no-untyped-call]
        elif self._own is not None:
            registry.register(_Fixed(list(self._own.collect())))
        registry.register(_Fixed(backlog_metrics))
        return await asyncio.to_thread(generate_latest, registry)

    async def _backlog(self) -> list[Metric]:
        up = GaugeMetricFamily(
            "northgate_database_up", "1 when the backlog below could be read from the database"
        )
        try:
            jobs = await backlog(self.database, self.clock())
            payments, oldest_payment = await self.payments.reconcile_backlog()
        except Exception as error:  # the database down is itself worth scraping
            log.warning("metrics: the database's backlog is unreadable: %r", error)
            up.add_metric([], 0)
            return [up]
        up.add_metric([], 1)
        return [up, *_jobs_metrics(jobs), *_payment_metrics(payments, oldest_payment)]


def _jobs_metrics(jobs: dict[str, KindBacklog]) -> Iterator[Metric]:
    families = {
        "due": GaugeMetricFamily(
            "northgate_outbox_due_jobs", "Jobs due and waiting for a worker", labels=["kind"]
        ),
        "lag_seconds": GaugeMetricFamily(
            "northgate_outbox_lag_seconds",
            "How long the longest-waiting due job has been due",
            labels=["kind"],
        ),
        "oldest_age_seconds": GaugeMetricFamily(
            "northgate_outbox_oldest_job_age_seconds",
            "Age of the oldest job not done yet",
            labels=["kind"],
        ),
        "dead": GaugeMetricFamily(
            "northgate_outbox_dead_jobs", "Jobs given up after too many failures", labels=["kind"]
        ),
    }
    for kind, found in sorted(jobs.items()):
        for attribute, family in families.items():
            family.add_metric([kind], getattr(found, attribute))
    yield from families.values()
    email = jobs.get(EMAIL, KindBacklog())
    failures = GaugeMetricFamily(
        "northgate_email_failures",
        "E-mails whose sending failed: retrying, or given up (dead)",
        labels=["state"],
    )
    failures.add_metric(["retrying"], email.retrying)
    failures.add_metric(["dead"], email.dead)
    yield failures


def _payment_metrics(count: int, oldest: float) -> Iterator[Metric]:
    backlog_family = GaugeMetricFamily(
        "northgate_payment_reconciliation_backlog",
        "Payments past the reconciliation window and not settled yet",
    )
    backlog_family.add_metric([], count)
    yield backlog_family
    age = GaugeMetricFamily(
        "northgate_payment_reconciliation_oldest_seconds",
        "Age of the oldest payment awaiting reconciliation",
    )
    age.add_metric([], oldest)
    yield age


@dataclass(eq=False)  # registries keep collectors in a dict: hashed by identity
class _Fixed(Collector):
    """Metrics already gathered, handed to a registry for one exposition."""

    metrics: list[Metric] = field(default_factory=list)

    def collect(self) -> Iterable[Metric]:
        return self.metrics


class CountedSink:
    """The analytics flusher's sink, counting each batch into the metrics first.

    Counted before the write, once per batch (a batch retried after a failed write keeps
    its id): arrivals are counted even while the database or Redis is down."""

    def __init__(self, inner: Sink, metrics: NodeMetrics) -> None:
        self.inner = inner
        self.metrics = metrics
        self._counted: deque[str] = deque(maxlen=_REMEMBERED_BATCHES)
        self._counted_ids: set[str] = set()

    async def apply(self, delta: Delta, now: int) -> bool:
        if delta.batch_id not in self._counted_ids:
            if len(self._counted) == self._counted.maxlen:
                self._counted_ids.discard(self._counted[0])
            self._counted.append(delta.batch_id)
            self._counted_ids.add(delta.batch_id)
            self.metrics.count_arrivals(delta)
        return await self.inner.apply(delta, now)
