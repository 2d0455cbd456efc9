"""Analytics in the database: idempotent batch writes, reads for reports, retention.

A write is one transaction: record the batch id (``INSERT … ON CONFLICT DO NOTHING
RETURNING``; no row back means the batch was already applied, so nothing else is done),
upsert-increment the minute and hour counters, and max-merge the visitor sketches. On
PostgreSQL a transaction-scoped advisory lock serialises the writers of every node (a few
milliseconds every few seconds each), so concurrent upserts can never deadlock.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

from sqlalchemy import and_, delete, select, text, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from northgate.analytics.capture.aggregate import Granularity, SketchKey
from northgate.analytics.capture.dimensions import HOUR, MINUTE, ArrivalKey
from northgate.analytics.capture.hll import Sketch
from northgate.analytics.store.delta import Delta
from northgate.analytics.store.models import AppliedBatch, ArrivalCount, VisitorSketch
from northgate.storage.db import Database, upsert_insert

SECONDS: Final[Mapping[Granularity, int]] = {"minute": MINUTE, "hour": HOUR}
_ADVISORY_LOCK_KEY: Final = 0x6E67616E  # "ngan"
_COUNT_KEY_COLUMNS: Final = (
    "granularity",
    "period_start",
    "section",
    "lang",
    "country",
    "outcome",
    "bot",
)
_SKETCH_KEY_COLUMNS: Final = ("granularity", "period_start", "dimension", "value")
_CHUNK: Final = 500


def _chunks(items: Sequence[Any], size: int = _CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class SqlStore:
    def __init__(self, database: Database) -> None:
        self.database = database
        self.dialect = database.engine.dialect.name
        self._insert = upsert_insert(self.dialect)

    # ------------------------------------------------------------------ writing

    async def apply(self, delta: Delta, now: int) -> bool:
        """Add ``delta`` once. False if a batch with its id was already applied."""
        async with self.database.session() as session, session.begin():
            if self.dialect == "postgresql":
                await session.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": _ADVISORY_LOCK_KEY}
                )
            claim = (
                self._insert(AppliedBatch)
                .values(batch_id=delta.batch_id, applied_at=now)
                .on_conflict_do_nothing()
                .returning(AppliedBatch.batch_id)
            )
            if (await session.execute(claim)).first() is None:
                return False
            await self._add_counts(session, "minute", delta.counts)
            await self._add_counts(session, "hour", delta.hour_counts())
            await self._merge_sketches(session, delta.sketches)
        return True

    async def _add_counts(
        self, session: AsyncSession, granularity: Granularity, counts: Mapping[ArrivalKey, int]
    ) -> None:
        if not counts:
            return
        seconds = SECONDS[granularity]
        rows = [
            {
                "granularity": granularity,
                "period_start": key.minute * seconds,
                "section": key.section,
                "lang": key.lang,
                "country": key.country,
                "outcome": key.outcome,
                "bot": key.bot,
                "arrivals": n,
            }
            for key, n in sorted(counts.items())
        ]
        stmt = self._insert(ArrivalCount)
        stmt = stmt.on_conflict_do_update(
            index_elements=list(_COUNT_KEY_COLUMNS),
            set_={"arrivals": ArrivalCount.arrivals + stmt.excluded.arrivals},
        )
        for chunk in _chunks(rows):
            await session.execute(stmt, list(chunk))

    async def _merge_sketches(
        self, session: AsyncSession, sketches: Mapping[SketchKey, Sketch]
    ) -> None:
        if not sketches:
            return
        keys = sorted(sketches)
        stored: list[tuple[SketchKey, bytes]] = []
        column = tuple_(*(getattr(VisitorSketch, name) for name in _SKETCH_KEY_COLUMNS))
        for chunk in _chunks(keys):
            wanted = [(k.granularity, k.period * SECONDS[k.granularity], k.dimension, k.value)
                      for k in chunk]  # fmt: skip
            existing = await session.execute(select(VisitorSketch).where(column.in_(wanted)))
            stored += [(_sketch_key(row), row.registers) for row in existing.scalars()]
        # Decoding, merging and encoding hundreds of sketches is CPU work: off the event loop.
        rows = await asyncio.to_thread(_merged_rows, keys, sketches, stored)
        stmt = self._insert(VisitorSketch)
        stmt = stmt.on_conflict_do_update(
            index_elements=list(_SKETCH_KEY_COLUMNS),
            set_={"registers": stmt.excluded.registers},
        )
        for chunk in _chunks(rows):
            await session.execute(stmt, list(chunk))

    # ------------------------------------------------------------------ reading

    async def counts(self, granularity: Granularity, start: int, end: int) -> dict[ArrivalKey, int]:
        """Counts of periods starting in [start, end) (Unix seconds), keyed by period index."""
        query = select(
            ArrivalCount.period_start,
            ArrivalCount.section,
            ArrivalCount.lang,
            ArrivalCount.country,
            ArrivalCount.outcome,
            ArrivalCount.bot,
            ArrivalCount.arrivals,
        ).where(
            and_(
                ArrivalCount.granularity == granularity,
                ArrivalCount.period_start >= start,
                ArrivalCount.period_start < end,
            )
        )
        async with self.database.session() as session:
            rows = (await session.execute(query)).all()
        # A long period is many rows: keying them is CPU work, off the event loop.
        return await asyncio.to_thread(_counts_of, rows, SECONDS[granularity])

    async def sketches(
        self, granularity: Granularity, start: int, end: int
    ) -> dict[SketchKey, Sketch]:
        query = select(
            VisitorSketch.period_start,
            VisitorSketch.dimension,
            VisitorSketch.value,
            VisitorSketch.registers,
        ).where(
            and_(
                VisitorSketch.granularity == granularity,
                VisitorSketch.period_start >= start,
                VisitorSketch.period_start < end,
            )
        )
        async with self.database.session() as session:
            rows = (await session.execute(query)).all()
        # Decoding thousands of sketches is CPU work, off the event loop.
        return await asyncio.to_thread(_sketches_of, rows, granularity)

    async def is_applied(self, batch_id: str) -> bool:
        async with self.database.session() as session:
            found = await session.get(AppliedBatch, batch_id)
            return found is not None

    # ------------------------------------------------------------------ retention

    async def prune(
        self, now: int, *, minute_retention_s: int, hour_retention_s: int, batch_retention_s: int
    ) -> None:
        """Minute rows older than their retention go (their hours stay); then old hours."""
        async with self.database.session() as session, session.begin():
            for model in (ArrivalCount, VisitorSketch):
                for granularity, keep in (
                    ("minute", minute_retention_s),
                    ("hour", hour_retention_s),
                ):
                    await session.execute(
                        delete(model).where(
                            and_(
                                model.granularity == granularity,
                                model.period_start < now - keep,
                            )
                        )
                    )
            await session.execute(
                delete(AppliedBatch).where(AppliedBatch.applied_at < now - batch_retention_s)
            )


def _sketch_key(row: VisitorSketch) -> SketchKey:
    return SketchKey(
        row.granularity,  # type: ignore[arg-type]
        row.period_start // SECONDS[row.granularity],  # type: ignore[index]
        row.dimension,  # type: ignore[arg-type]
        row.value,
    )


def _counts_of(rows: Iterable[tuple[Any, ...]], seconds: int) -> dict[ArrivalKey, int]:
    out: dict[ArrivalKey, int] = {}
    for period_start, section, lang, country, outcome, bot, arrivals in rows:
        key = ArrivalKey(period_start // seconds, section, lang, country, outcome, bool(bot))
        out[key] = out.get(key, 0) + int(arrivals)
    return out


def _sketches_of(
    rows: Iterable[tuple[Any, ...]], granularity: Granularity
) -> dict[SketchKey, Sketch]:
    seconds = SECONDS[granularity]
    return {
        SketchKey(granularity, period_start // seconds, dimension, value): Sketch.from_bytes(
            registers
        )
        for period_start, dimension, value, registers in rows
    }


def _merged_rows(
    keys: list[SketchKey],
    sketches: Mapping[SketchKey, Sketch],
    stored: list[tuple[SketchKey, bytes]],
) -> list[dict[str, Any]]:
    """Rows to upsert: each new sketch merged with the one already stored for its key."""
    merged = {key: sketches[key].copy() for key in keys}
    for key, registers in stored:
        merged[key].merge(Sketch.from_bytes(registers))
    return [
        {
            "granularity": key.granularity,
            "period_start": key.period * SECONDS[key.granularity],
            "dimension": key.dimension,
            "value": key.value,
            "registers": merged[key].to_bytes(),
        }
        for key in keys
    ]
