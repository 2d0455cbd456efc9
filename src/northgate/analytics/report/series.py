"""A report's time series: one value per minute or hour of the period, for the charts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

from northgate.analytics.capture.aggregate import SketchKey
from northgate.analytics.capture.dimensions import OUTCOMES, ArrivalKey
from northgate.analytics.capture.hll import Sketch
from northgate.analytics.report.model import Series
from northgate.analytics.report.periods import Period


def series_of(
    period: Period,
    last_week: Period,
    counts: Mapping[ArrivalKey, int],
    counts_last_week: Mapping[ArrivalKey, int],
    sketches: Mapping[SketchKey, Sketch],
    top: Iterable[str],
) -> Series:
    """Arrivals by outcome and by country (``top``, then "other" if any), last week's
    arrivals at the same time, and visitors, per bucket of ``period``."""
    buckets = period.buckets
    index = {bucket: i for i, bucket in enumerate(buckets)}
    by_outcome, by_country = _arrivals(counts, index, top)
    shift = period.start_s // period.step - last_week.start_s // last_week.step
    previous = _arrivals_last_week(counts_last_week, index, shift)
    visitors = _visitors(sketches, index, period)
    starts = [dt.datetime.fromtimestamp(bucket * period.step, dt.UTC) for bucket in buckets]
    return Series(period.granularity, starts, by_outcome, by_country, previous, visitors)


def _arrivals(
    counts: Mapping[ArrivalKey, int], index: Mapping[int, int], top: Iterable[str]
) -> tuple[dict[str, list[int]], dict[str, list[int]]]:
    """Arrivals per bucket by outcome and by country; "other" only when it has any."""
    size = len(index)
    by_outcome: dict[str, list[int]] = {outcome: [0] * size for outcome in OUTCOMES}
    by_country = {country: [0] * size for country in [*top, "other"]}
    for key, n in counts.items():
        i = index.get(key.minute)
        if i is None:
            continue
        by_outcome[key.outcome][i] += n
        by_country[key.country if key.country in by_country else "other"][i] += n
    if not any(by_country["other"]):
        del by_country["other"]
    return by_outcome, by_country


def _arrivals_last_week(
    counts_last_week: Mapping[ArrivalKey, int], index: Mapping[int, int], shift: int
) -> list[int]:
    """Last week's arrivals, each moved ``shift`` buckets onto the bucket it compares with."""
    previous = [0] * len(index)
    for key, n in counts_last_week.items():
        i = index.get(key.minute + shift)
        if i is not None:
            previous[i] += n
    return previous


def _visitors(
    sketches: Mapping[SketchKey, Sketch], index: Mapping[int, int], period: Period
) -> list[int]:
    visitors = [0] * len(index)
    for skey, sketch in sketches.items():
        if skey.dimension == "all" and skey.granularity == period.granularity:
            i = index.get(skey.period)
            if i is not None:
                visitors[i] = sketch.count()
    return visitors
