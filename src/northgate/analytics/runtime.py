"""The analytics of one process, built from settings: recorder, flusher, stores, reports."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from zoneinfo import ZoneInfo

from redis.asyncio import Redis

from northgate.analytics.capture.addresses import ClientAddress
from northgate.analytics.capture.countries import CountryResolver, IptoccResolver
from northgate.analytics.capture.recorder import Recorder
from northgate.analytics.capture.salts import DailySalts, MemorySaltStore, RedisSaltStore, SaltStore
from northgate.analytics.capture.sections import SectionClassifier
from northgate.analytics.report.service import ReportService
from northgate.analytics.store.flusher import Flusher, Sink
from northgate.analytics.store.reading import Reader
from northgate.analytics.store.redis_store import RedisStore
from northgate.analytics.store.sql_store import SqlStore
from northgate.core.clock import UnixClock, unix_now
from northgate.settings import Settings
from northgate.storage.db import Database

log = logging.getLogger(__name__)

DAY = 86_400
PRUNE_EVERY_SECONDS = 3_600
BATCH_ID_RETENTION_SECONDS = 3 * DAY


class Analytics:
    def __init__(
        self,
        settings: Settings,
        database: Database,
        *,
        information_paths: Iterable[str] = (),
        countries: CountryResolver | None = None,
        redis: Redis | None = None,
        clock: UnixClock = unix_now,
    ) -> None:
        self.settings = settings
        self.clock = clock
        # The process's client (northgate.composition), closed by its owner, not here.
        self.redis = redis
        self.sql = SqlStore(database)
        self.redis_store = RedisStore(redis, self.sql) if redis is not None else None
        salt_store: SaltStore = (
            RedisSaltStore(redis) if redis is not None else MemorySaltStore(clock)
        )
        self.salts = DailySalts(salt_store)
        self.recorder = Recorder(
            countries=countries or IptoccResolver(),
            salts=self.salts,
            addresses=ClientAddress(settings.trusted_proxy_list),
            sections=SectionClassifier(information_paths),
            clock=clock,
        )
        sink: Sink = self.redis_store if self.redis_store is not None else self.sql
        self.flusher = Flusher(
            self.recorder,
            sink,
            self.salts,
            interval=settings.analytics_flush_seconds,
            housekeeping=self.housekeeping,
            housekeeping_interval=settings.analytics_rollup_seconds,
            clock=clock,
        )
        # What reports (and the capacity forecaster) read: the database plus what Redis
        # has not rolled up yet.
        self.reader = Reader(self.sql, self.redis_store)
        self.reports = ReportService(
            self.reader,
            timezone=ZoneInfo(settings.analytics_timezone),
            flush_seconds=settings.analytics_flush_seconds,
        )
        self._last_prune = 0.0

    async def start(self) -> None:
        """Fetch today's salt, then flush in the background. Never stops the server starting."""
        try:
            await self.salts.prepare(self.clock())
        except Exception as error:
            log.warning("analytics: no shared salt at start-up (%r); the flusher will retry", error)
        self.flusher.start()

    async def stop(self) -> None:
        await self.flusher.stop()

    async def housekeeping(self, now: int) -> None:
        """Roll Redis up into the database (production backend); apply retention hourly."""
        if self.redis_store is not None:
            await self.redis_store.roll_up(now)
        if now - self._last_prune >= PRUNE_EVERY_SECONDS:
            self._last_prune = now
            await self.sql.prune(
                now,
                minute_retention_s=self.settings.analytics_minute_retention_days * DAY,
                hour_retention_s=self.settings.analytics_hour_retention_days * DAY,
                batch_retention_s=BATCH_ID_RETENTION_SECONDS,
            )
