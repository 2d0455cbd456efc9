"""Periods a report covers, and the same time last week, aligned on the hour of the week.

"Same time last week" is the same wall-clock time seven days earlier in the operators' time
zone (Eastern by default), so a Tuesday 23:00 is compared with the previous Tuesday 23:00
even across a change of daylight saving time.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Final
from zoneinfo import ZoneInfo

from northgate.analytics.capture.aggregate import Granularity
from northgate.analytics.capture.dimensions import HOUR, MINUTE

LIVE_MINUTES: Final = 5
# Periods up to this long are reported per minute; longer ones per hour (whole hours).
MINUTE_GRANULARITY_LIMIT: Final = dt.timedelta(hours=6)
WEEK: Final = dt.timedelta(days=7)


@dataclass(frozen=True)
class Period:
    start: dt.datetime  # UTC, inclusive
    end: dt.datetime  # UTC, exclusive
    granularity: Granularity
    live: bool = False

    @property
    def step(self) -> int:
        return MINUTE if self.granularity == "minute" else HOUR

    @property
    def start_s(self) -> int:
        return int(self.start.timestamp())

    @property
    def end_s(self) -> int:
        return int(self.end.timestamp())

    @property
    def buckets(self) -> list[int]:
        """Period indices (Unix time // step) of every minute or hour in the period."""
        return list(range(self.start_s // self.step, self.end_s // self.step))

    @property
    def seconds(self) -> int:
        return self.end_s - self.start_s

    def describe(self, tz: ZoneInfo) -> str:
        start = self.start.astimezone(tz)
        end = self.end.astimezone(tz)
        span = f"{start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M} {end:%Z}"
        if self.live:
            return f"live: the last {LIVE_MINUTES} complete minutes, {span}"
        return f"{span}, per {self.granularity}"


def _floor(moment: dt.datetime, step: int) -> dt.datetime:
    seconds = int(moment.timestamp()) // step * step
    return dt.datetime.fromtimestamp(seconds, dt.UTC)


def _ceil(moment: dt.datetime, step: int) -> dt.datetime:
    seconds = -(-int(moment.timestamp()) // step) * step
    return dt.datetime.fromtimestamp(seconds, dt.UTC)


def live_period(now: dt.datetime) -> Period:
    """The last complete minutes: a minute still filling would compare badly with last week."""
    end = _floor(now, MINUTE)
    return Period(end - dt.timedelta(minutes=LIVE_MINUTES), end, "minute", live=True)


def period_between(start: dt.datetime, end: dt.datetime) -> Period:
    """[start, end), per minute when short, else widened to whole hours and per hour."""
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("give times with a time zone")
    if end <= start:
        raise ValueError("the end of a period must come after its start")
    start, end = start.astimezone(dt.UTC), end.astimezone(dt.UTC)
    if end - start <= MINUTE_GRANULARITY_LIMIT:
        return Period(_floor(start, MINUTE), _ceil(end, MINUTE), "minute")
    return Period(_floor(start, HOUR), _ceil(end, HOUR), "hour")


def last_hours(now: dt.datetime, hours: float) -> Period:
    """The last ``hours`` up to now, the minute still filling included: asked "how many in
    the last two hours", nobody expects the arrivals of the current minute to be missing."""
    end = _ceil(now, MINUTE)
    return period_between(end - dt.timedelta(hours=hours), end)


class PeriodError(ValueError):
    """A period a report cannot cover; the message says what to ask for instead."""


# A period may end a little ahead of now: its last hour is widened to the whole hour anyway.
END_SLACK: Final = dt.timedelta(hours=1)


def requested_period(
    hours: float | None,
    start: dt.datetime | None,
    end: dt.datetime | None,
    *,
    now: dt.datetime,
    kept: dt.timedelta,
) -> Period:
    """The period an operator asked for: the last ``hours``, ``start``–``end`` (end defaults
    to now), or live. Refused unless it lies within the figures still ``kept`` (the hourly
    retention) and now: a report's work grows with its length, and a period reaching back
    centuries would hold a server's event loop for tens of seconds for nothing to show."""
    if start is None:
        if end is not None:
            raise PeriodError("give a start with the end")
        if hours is None:
            return live_period(now)
        limit = kept / dt.timedelta(hours=1)
        if not 0 < hours <= limit:
            raise PeriodError(f"hours must be more than 0 and at most {limit:g}")
        return last_hours(now, hours)
    if hours is not None:
        raise PeriodError("give either hours or a start, not both")
    end = end or now
    if start.tzinfo is None or end.tzinfo is None:
        raise PeriodError("give times with a time zone, e.g. 2026-11-08T23:00-05:00")
    earliest, latest = now - kept, now + END_SLACK
    if start < earliest:
        raise PeriodError(
            f"start must be no earlier than {earliest:%Y-%m-%dT%H:%MZ}: "
            f"figures are kept for {kept.days} days"
        )
    if end > latest:
        raise PeriodError(f"end must be no later than {latest:%Y-%m-%dT%H:%MZ}")
    try:
        return period_between(start, end)
    except ValueError as error:
        raise PeriodError(str(error)) from error


def weeks_before(moment: dt.datetime, weeks: int, tz: ZoneInfo) -> dt.datetime:
    """The same wall-clock time ``weeks`` weeks earlier in ``tz``, as UTC."""
    local = moment.astimezone(tz).replace(tzinfo=None) - weeks * WEEK
    return local.replace(tzinfo=tz).astimezone(dt.UTC)


def same_time_weeks_before(period: Period, weeks: int, tz: ZoneInfo) -> Period:
    start = weeks_before(period.start, weeks, tz)
    return Period(start, start + (period.end - period.start), period.granularity, period.live)
