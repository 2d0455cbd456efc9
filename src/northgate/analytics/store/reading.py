"""Read counts and sketches for a period: the database, plus what Redis has not rolled up yet."""

from __future__ import annotations

from northgate.analytics.capture.aggregate import Granularity, SketchKey
from northgate.analytics.capture.dimensions import MINUTE, ArrivalKey
from northgate.analytics.capture.hll import Sketch
from northgate.analytics.store.redis_store import RedisStore
from northgate.analytics.store.sql_store import SECONDS, SqlStore


class Reader:
    def __init__(self, sql: SqlStore, redis: RedisStore | None = None) -> None:
        self.sql = sql
        self.redis = redis

    async def counts(self, granularity: Granularity, start: int, end: int) -> dict[ArrivalKey, int]:
        """Counts per period index for periods starting in [start, end) (Unix seconds)."""
        out = await self.sql.counts(granularity, start, end)
        if self.redis is not None:
            step = SECONDS[granularity] // MINUTE
            live = await self.redis.counts(start // MINUTE, -(-end // MINUTE))
            for key, n in live.items():
                if granularity == "hour":
                    key = key._replace(minute=key.minute // step)
                out[key] = out.get(key, 0) + n
        return out

    async def sketches(
        self, granularity: Granularity, start: int, end: int
    ) -> dict[SketchKey, Sketch]:
        out = await self.sql.sketches(granularity, start, end)
        if self.redis is not None:
            live = await self.redis.sketches(start, end)
            step = SECONDS[granularity]
            for key, sketch in live.items():
                if key.granularity != granularity or not start <= key.period * step < end:
                    continue
                existing = out.get(key)
                if existing is None:
                    out[key] = sketch
                else:
                    existing.merge(sketch)
        return out
