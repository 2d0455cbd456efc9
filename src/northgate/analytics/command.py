"""``northgate report``: the analytics in the terminal, as JSON, or as PNG charts."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from pathlib import Path

from northgate.analytics.report.charts import charts_of
from northgate.analytics.report.model import Report
from northgate.analytics.report.periods import Period, requested_period
from northgate.analytics.report.png import render_png
from northgate.analytics.report.text import render_text
from northgate.analytics.runtime import Analytics
from northgate.core.clock import utc_now
from northgate.settings import Settings
from northgate.storage.db import Database


def choose(
    hours: float | None,
    start: dt.datetime | None,
    end: dt.datetime | None,
    *,
    kept: dt.timedelta,
) -> Period:
    """The period asked for on the command line: times without an offset are UTC."""
    start = start if start is None or start.tzinfo else start.replace(tzinfo=dt.UTC)
    end = end if end is None or end.tzinfo else end.replace(tzinfo=dt.UTC)
    return requested_period(hours, start, end, now=utc_now(), kept=kept)


async def load_report(settings: Settings, period: Period) -> Report:
    database = Database(settings.effective_database_url)
    analytics = Analytics(settings, database)
    try:
        return await analytics.reports.report(period)
    finally:
        if analytics.redis is not None:
            await analytics.redis.aclose()
        await database.close()


def produce(
    settings: Settings, period: Period, *, as_json: bool = False, png_dir: Path | None = None
) -> str:
    report = asyncio.run(load_report(settings, period))
    lines = [json.dumps(report.to_json(), indent=2) if as_json else render_text(report)]
    if png_dir is not None:
        from zoneinfo import ZoneInfo

        png_dir.mkdir(parents=True, exist_ok=True)
        stamp = period.end.strftime("%Y%m%dT%H%MZ")
        for name, chart in charts_of(report, ZoneInfo(settings.analytics_timezone)).items():
            path = png_dir / f"northgate-{name}-{stamp}.png"
            path.write_bytes(render_png(chart))
            lines.append(f"wrote {path}")
    return "\n".join(lines)
