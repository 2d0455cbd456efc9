"""``northgate report``: the analytics in the terminal, as JSON, or as PNG charts."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from zoneinfo import ZoneInfo

from northgate.analytics.report.charts import charts_of
from northgate.analytics.report.model import Report
from northgate.analytics.report.periods import Period, requested_period
from northgate.analytics.report.png import render_png
from northgate.analytics.report.text import render_text


def choose(
    hours: float | None,
    start: dt.datetime | None,
    end: dt.datetime | None,
    *,
    now: dt.datetime,
    kept: dt.timedelta,
) -> Period:
    """The period asked for on the command line: times without an offset are UTC."""
    start = start if start is None or start.tzinfo else start.replace(tzinfo=dt.UTC)
    end = end if end is None or end.tzinfo else end.replace(tzinfo=dt.UTC)
    return requested_period(hours, start, end, now=now, kept=kept)


def produce(
    report: Report, timezone: ZoneInfo, *, as_json: bool = False, png_dir: Path | None = None
) -> str:
    """The report as text or JSON; with ``png_dir``, its charts written there too."""
    lines = [json.dumps(report.to_json(), indent=2) if as_json else render_text(report)]
    if png_dir is not None:
        png_dir.mkdir(parents=True, exist_ok=True)
        stamp = report.period.end.strftime("%Y%m%dT%H%MZ")
        for name, chart in charts_of(report, timezone).items():
            path = png_dir / f"northgate-{name}-{stamp}.png"
            path.write_bytes(render_png(chart))
            lines.append(f"wrote {path}")
    return "\n".join(lines)
