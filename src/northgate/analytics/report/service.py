"""Assemble a report: read what each part needs, then hand it to the pure ``build`` code."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Mapping
from zoneinfo import ZoneInfo

from northgate.analytics.capture.aggregate import SketchKey
from northgate.analytics.capture.dimensions import HOUR, MINUTE, SECTIONS, ArrivalKey
from northgate.analytics.capture.hll import Sketch
from northgate.analytics.report.anomaly import ShareRules, SurgeRules
from northgate.analytics.report.build import build_report
from northgate.analytics.report.model import Report, ReportInputs
from northgate.analytics.report.periods import (
    Period,
    live_period,
    same_time_weeks_before,
    weeks_before,
)
from northgate.analytics.report.tally import visitors_by
from northgate.analytics.store.reading import Reader

SURGE_WINDOW_MINUTES = 15


class ReportService:
    def __init__(
        self,
        reader: Reader,
        *,
        timezone: ZoneInfo,
        baseline_weeks: int = 4,
        flush_seconds: float = 5.0,
        share_rules: ShareRules | None = None,
        surge_rules: SurgeRules | None = None,
    ) -> None:
        self.reader = reader
        self.timezone = timezone
        self.baseline_weeks = baseline_weeks
        self.flush_seconds = flush_seconds
        self.share_rules = share_rules or ShareRules()
        self.surge_rules = surge_rules or SurgeRules()
        # Building a report is CPU work that runs in a thread, beside the event loop serving
        # visitors; one at a time per process, so that a few long reports asked at once
        # queue here instead of taking every core from visitors.
        self._building = asyncio.Semaphore(1)

    async def live(self, now: dt.datetime) -> Report:
        return await self.report(live_period(now))

    async def report(self, period: Period) -> Report:
        """Reads wait on the database and Redis; merging sketches and computing the figures
        (seconds of CPU for a long period) run in a worker thread, never on the event loop."""
        async with self._building:
            return await self._report(period)

    async def _report(self, period: Period) -> Report:
        last_week = same_time_weeks_before(period, 1, self.timezone)
        g = period.granularity
        counts = await self.reader.counts(g, period.start_s, period.end_s)
        counts_lw = await self.reader.counts(g, last_week.start_s, last_week.end_s)
        sketches = await self.reader.sketches(g, period.start_s, period.end_s)
        sketches_lw = await self.reader.sketches(g, last_week.start_s, last_week.end_s)
        baseline = [
            await self._sketches_in_hours(period, weeks)
            for weeks in range(1, self.baseline_weeks + 1)
        ]
        surge_now, surge_lw = await self._surge_minutes(period.end)
        notes = [
            "visitors are distinct people (bots excluded), estimated to about ±1.6 %",
            "page views: people's arrivals in the information, eTA, payment and status sections",
            "country share test: baseline is the same hours of the previous "
            f"{self.baseline_weeks} weeks",
        ]
        if period.live:
            notes.insert(
                0,
                f"live figures cover the last complete minutes; each server writes every "
                f"{self.flush_seconds:g} s, so the latest minute may still be filling",
            )

        def build() -> Report:
            inputs = ReportInputs(
                period=period,
                last_week=last_week,
                counts=counts,
                counts_last_week=counts_lw,
                sketches=sketches,
                sketches_last_week=sketches_lw,
                baseline_countries=[visitors_by(week, "country") for week in baseline],
                surge_minutes=surge_now,
                surge_minutes_last_week=surge_lw,
            )
            return build_report(
                inputs,
                period.describe(self.timezone),
                last_week_description=last_week.describe(self.timezone),
                share_rules=self.share_rules,
                surge_rules=self.surge_rules,
                notes=notes,
            )

        return await asyncio.to_thread(build)

    async def _sketches_in_hours(self, period: Period, weeks: int) -> dict[SketchKey, Sketch]:
        """Sketches of the whole hours covering ``period``, ``weeks`` weeks before."""
        start = weeks_before(period.start, weeks, self.timezone)
        end = start + (period.end - period.start)
        start_s = int(start.timestamp()) // HOUR * HOUR
        end_s = -(-int(end.timestamp()) // HOUR) * HOUR
        return await self.reader.sketches("hour", start_s, end_s)

    async def _surge_minutes(
        self, end: dt.datetime
    ) -> tuple[dict[str, list[int]], dict[str, list[int]]]:
        window = dt.timedelta(minutes=SURGE_WINDOW_MINUTES)
        before_end = weeks_before(end, 1, self.timezone)
        now = await self.reader.counts(
            "minute", int((end - window).timestamp()), int(end.timestamp())
        )
        then = await self.reader.counts(
            "minute", int((before_end - window).timestamp()), int(before_end.timestamp())
        )
        return (
            _per_minute(now, int(end.timestamp()) // MINUTE),
            _per_minute(then, int(before_end.timestamp()) // MINUTE),
        )


def _per_minute(counts: Mapping[ArrivalKey, int], end_minute: int) -> dict[str, list[int]]:
    first = end_minute - SURGE_WINDOW_MINUTES
    out = {section: [0] * SURGE_WINDOW_MINUTES for section in ["all", *SECTIONS]}
    for key, n in counts.items():
        i = key.minute - first
        if 0 <= i < SURGE_WINDOW_MINUTES:
            out[key.section][i] += n
            out["all"][i] += n
    return out
