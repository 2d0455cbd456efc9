"""Which minutes a report covers."""

from __future__ import annotations

import datetime as dt

from northgate.analytics.report.periods import last_hours, live_period

NOW = dt.datetime(2016, 11, 9, 4, 21, 30, tzinfo=dt.UTC)


def test_last_hours_include_the_minute_still_filling() -> None:
    period = last_hours(NOW, 2)

    assert period.granularity == "minute"
    assert period.end == dt.datetime(2016, 11, 9, 4, 22, tzinfo=dt.UTC)
    assert period.start == dt.datetime(2016, 11, 9, 2, 22, tzinfo=dt.UTC)
    assert int(NOW.timestamp()) // 60 in period.buckets


def test_live_view_leaves_the_filling_minute_out() -> None:
    period = live_period(NOW)

    assert period.end == dt.datetime(2016, 11, 9, 4, 21, tzinfo=dt.UTC)
    assert int(NOW.timestamp()) // 60 not in period.buckets


def test_long_periods_are_whole_hours() -> None:
    period = last_hours(NOW, 24)

    assert period.granularity == "hour"
    assert period.end == dt.datetime(2016, 11, 9, 5, 0, tzinfo=dt.UTC)
