"""The 8 November 2016 surge as arrivals per minute, for forecasts, tests and benchmarks.

Shaped on the reported figures (../shared/INCIDENT.md): about 17,000 an hour at 23:00 the
week before; the servers at 80 % of capacity at 17:00 and saturated around 23:00 with about
200,000 an hour (12x). Capacity is therefore 200,000 arrivals an hour for the three servers
of the time. Between the reported points the ratio to last week grows log-linearly (a
surge compounds); the ordinary daily curve is an assumption (a weekday peak early in the
afternoon, 2.4x the 23:00 figure), stated here so that figures computed from it can be
checked. Demand is what arrived, served or not: the edge counts those turned away too.
Noise: a slow multiplicative wander (AR(1), 6 %) and Poisson counts, from a seed.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final
from zoneinfo import ZoneInfo

from northgate.core.zone import SERVICE_TIMEZONE_NAME

# The service's zone is Eastern time, as the incident's times are.
EASTERN: Final = ZoneInfo(SERVICE_TIMEZONE_NAME)
SURGE_DAY: Final = dt.datetime(2016, 11, 8, tzinfo=EASTERN)
CAPACITY_PER_HOUR: Final = 200_000
NODES: Final = 3
# Last week's arrivals an hour at each o'clock (linear between them): 17,000 at 23:00 as
# reported; from the afternoon peak it falls steadily (geometrically) to that figure.
DAILY: Final = (
    14_500, 12_000, 10_000, 8_000, 6_500, 6_000, 7_500, 11_000, 18_000, 26_000, 33_000, 37_500,
    40_000, 41_000, 41_000, 41_000, 40_500, 40_000, 34_700, 30_100, 26_100, 22_600, 19_600,
    17_000,
)  # fmt: skip
# The surge day's ratio to last week at hours since midnight on 8 November, log-linear
# between: 1 until noon; 80 % of capacity at 17:00 (160,000 / 40,000); 200,000 / 17,000 at
# 23:00, still rising as election results come in (demand above capacity past midnight);
# then it eases (the site began to stabilise around 06:00).
SURGE: Final = (
    (0.0, 1.0), (12.0, 1.0), (14.0, 1.74), (17.0, 4.0), (20.0, 7.2), (23.0, 200_000 / 17_000),
    (24.5, 18.0), (26.0, 18.0), (30.0, 8.0), (33.0, 3.0), (48.0, 1.0),
)  # fmt: skip


def daily_rate(moment: dt.datetime) -> float:
    """Last week's arrivals an hour at ``moment``, between the o'clock figures."""
    local = moment.astimezone(EASTERN)
    share = local.minute / 60 + local.second / 3600
    return DAILY[local.hour] * (1 - share) + DAILY[(local.hour + 1) % 24] * share


def surge_ratio(moment: dt.datetime) -> float:
    hours = (moment - SURGE_DAY).total_seconds() / 3600
    if hours <= SURGE[0][0]:
        return SURGE[0][1]
    for (h0, r0), (h1, r1) in itertools.pairwise(SURGE):
        if hours <= h1:
            share = (hours - h0) / (h1 - h0)
            return math.exp(math.log(r0) * (1 - share) + math.log(r1) * share)
    return SURGE[-1][1]


@dataclass(frozen=True)
class Replay:
    """Arrivals per minute from ``start`` (UTC): the surge week and the week before."""

    start: dt.datetime
    surge: Sequence[int]
    last_week: Sequence[int]

    def index(self, moment: dt.datetime) -> int:
        return int((moment - self.start).total_seconds() // 60)


def replay(
    start: dt.datetime = SURGE_DAY - dt.timedelta(hours=6),
    minutes: int = 36 * 60,
    *,
    seed: int = 2016,
    noise: float = 0.06,
    surge: bool = True,
) -> Replay:
    """``minutes`` of arrivals per minute from ``start``, and the same minutes a week
    earlier (an ordinary day, its own noise). ``surge=False``: this week is ordinary too
    (a normal week, where nothing must fire)."""
    rng = random.Random(seed)

    def curve(first: dt.datetime, surging: bool) -> list[int]:
        out, wander = [], 0.0
        for i in range(minutes):
            moment = first + dt.timedelta(minutes=i)
            # AR(1) with a half-life of about 20 minutes, stationary s.d. ``noise``.
            wander = 0.966 * wander + rng.gauss(0, noise * math.sqrt(1 - 0.966**2))
            ratio = surge_ratio(moment) if surging else 1.0
            mean = daily_rate(moment) / 60 * ratio * math.exp(wander)
            out.append(_poisson(rng, mean))
        return out

    start = start.astimezone(dt.UTC)
    # The daily curve depends on the time of day only, so last week is the same minutes
    # without the surge, with noise of its own.
    last_week = curve(start, surging=False)
    this_week = curve(start, surging=surge)
    return Replay(start, this_week, last_week)


def _poisson(rng: random.Random, mean: float) -> int:
    """A Poisson draw; the normal approximation above 50 (counts here are in thousands)."""
    if mean <= 0:
        return 0
    if mean > 50:
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    threshold, k, product = math.exp(-mean), 0, rng.random()
    while product > threshold:
        k += 1
        product *= rng.random()
    return k
