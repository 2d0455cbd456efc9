"""The 2016 curve: visitors per hour over election night, by cause, country and path.

Time is in hours from Tuesday 8 November 2016, 00:00 Eastern (``NIGHT_START_H`` = 10 is
10:00 that Tuesday; the week before is negative: ``WEEK_BEFORE_23H`` = -145 is Tuesday 1
November, 23:00). Three causes add up, each with its own country and path mix, so the shift
the analytics must see (US share, eTA sections) follows from who came and why:

- ``baseline``: a normal weekday (the same hour-of-day profile every day), 17,000 visitors
  an hour at 23:00 as a week earlier;
- ``rush``: eTA applicants racing the 10 November deadline (visa-exempt travellers, no US
  citizens: they need no eTA), from 7 November on, strongest on Wednesday's working day;
- ``election``: the US election-night surge of "move to Canada" readers, from noon on
  Tuesday, peaking at 23:00, easing after 06:00.

Anchor figures come from the incident (17,000 a week earlier; 80 % of capacity at 17:00;
~200,000 at 23:00; stabilising from ~06:00; 50 % US, 37 % Canada, 3 % Australia, 1 % UK at
the peak); between anchors the rates are linear. ``tests/replay/test_curve.py`` holds the
curve to those figures.

The capacity of 2016's three servers is not reported; it follows from the timeline
(``CAPACITY_2016_PER_H``): 100,000 visitors an hour. At 17:00 the servers ran at 80 %, and
the curve there is 80,000 an hour (traffic had climbed since noon and kept climbing); the
site then ran at or past its maximum from ~21:30 through the 23:00 peak until it "began to
stabilise" at ~06:00, where the curve comes back down through 100,000; and doubling to six
servers (200,000 an hour) is what finally held Wednesday's deadline traffic on top of the
election night's tail. A capacity of 200,000 (the peak itself) could not produce an outage
of 32 hours; one of 50,000 would have failed by 14:00, not merely degraded.
"""

from __future__ import annotations

import bisect
import dataclasses
import enum
import itertools
from collections.abc import Mapping, Sequence
from typing import TypeVar

HOUR_S = 3600.0

#: The night the replay plays: Tuesday 10:00 to Wednesday 22:00, 36 hours that contain the
#: whole outage (from the noon spike to the fix at 20:12 and two hours after it).
NIGHT_START_H = 10.0
NIGHT_END_H = 46.0
#: A normal Tuesday a week earlier, for the baselines the analytics compare with.
WEEK_BEFORE_START_H = -168.0
WEEK_BEFORE_23H = -145.0

PEAK_H = 23.0
WARNING_H = 17.0  # "servers at 80 % of capacity"
STABILISING_H = 30.0  # Wednesday ~06:00
FIXED_H = 44.2  # Wednesday 20:12: six servers
SERVERS_2016 = 3
SERVERS_2016_AFTER_FIX = 6

#: Three 2016 servers, in visitors an hour of the night's mix (see the module's docstring).
CAPACITY_2016_PER_H = 100_000.0


class Cause(enum.StrEnum):
    BASELINE = "baseline"
    RUSH = "rush"
    ELECTION = "election"


class Path(enum.StrEnum):
    """What a visitor does on the site."""

    INFORMATION = "information"  # reads information pages, nothing else
    TRIAGE = "triage"  # "Do I need an eTA?"
    APPLICATION = "application"  # the whole application, with payment
    STATUS = "status"  # looks up an application's status
    GIVE_UP = "give_up"  # starts the application and leaves


K = TypeVar("K")


class Piecewise:
    """A rate linear between anchors (x, y), the end values beyond them."""

    def __init__(self, anchors: Sequence[tuple[float, float]]) -> None:
        self.xs = [float(x) for x, _ in anchors]
        self.ys = [float(y) for _, y in anchors]
        if self.xs != sorted(set(self.xs)):
            raise ValueError("anchors must be in increasing order")

    def __call__(self, x: float) -> float:
        xs, ys = self.xs, self.ys
        i = bisect.bisect_right(xs, x)
        if i == 0:
            return ys[0]
        if i == len(xs):
            return ys[-1]
        x0, x1 = xs[i - 1], xs[i]
        return ys[i - 1] + (ys[i] - ys[i - 1]) * (x - x0) / (x1 - x0)


#: A normal weekday by hour of the day (visitors/h): busy office hours, 17,000 at 23:00.
_DAY_PROFILE = Piecewise((
    (0, 12_000), (2, 8_000), (4, 6_000), (6, 8_000), (8, 16_000), (10, 26_000),
    (12, 32_000), (14, 33_000), (16, 30_000), (18, 26_000), (20, 22_000), (22, 19_000),
    (23, 17_000), (24, 12_000),
))  # fmt: skip

#: Deadline applicants (visitors/h), hours from 8 Nov 00:00: "arriving a few days earlier
#: than planned", quiet at night, strongest on Wednesday, the last working day before it.
_RUSH = Piecewise((
    (-36, 0), (-12, 3_000), (-4, 1_000), (4, 1_000), (12, 8_000), (17, 10_000), (23, 3_000),
    (28, 1_500), (30, 11_000), (33, 25_000), (36, 40_000), (40, 48_000), (44, 45_000),
    (48, 20_000),
))  # fmt: skip

#: The election surge (visitors/h), hours from 8 Nov 00:00: from the noon spike, still
#: climbing at 14:00, the peak at 23:00 as results came in, easing after 06:00.
_ELECTION = Piecewise((
    (11, 0), (12, 5_000), (14, 17_000), (17, 42_000), (20, 60_000), (21, 72_000),
    (22, 120_000), (23, 180_000), (24, 150_000), (26, 110_000), (30, 81_000),
    (32.5, 60_000), (36, 38_000), (40, 30_000), (44, 25_000), (48, 15_000),
))  # fmt: skip

COUNTRIES = ("US", "CA", "AU", "GB", "FR", "DE", "JP", "IN", "CN", "PH", "MX")

#: Country shares of each cause. Usual: US within the reported 8.8-11.6 %. Rush: visa-exempt
#: travellers who need an eTA (never US citizens), and Canadians' foreign relatives. Election:
#: derived so that the three causes blended at 23:00 give the reported 50 % US, 37 % Canada,
#: 3 % Australia and 1 % UK (the rest in proportion to the usual mix).
COUNTRY_MIX: Mapping[Cause, Mapping[str, float]] = {
    Cause.BASELINE: {
        "US": 0.10, "CA": 0.40, "AU": 0.02, "GB": 0.04, "FR": 0.06, "DE": 0.03, "JP": 0.03,
        "IN": 0.12, "CN": 0.06, "PH": 0.06, "MX": 0.08,
    },
    Cause.RUSH: {
        "US": 0.0, "CA": 0.10, "AU": 0.12, "GB": 0.15, "FR": 0.20, "DE": 0.15, "JP": 0.28,
        "IN": 0.0, "CN": 0.0, "PH": 0.0, "MX": 0.0,
    },
    Cause.ELECTION: {
        "US": 0.546, "CA": 0.372, "AU": 0.029, "GB": 0.005, "FR": 0.007, "DE": 0.003,
        "JP": 0.003, "IN": 0.013, "CN": 0.007, "PH": 0.006, "MX": 0.009,
    },
}  # fmt: skip

#: Path shares of each cause: election readers mostly read; deadline applicants apply.
PATH_MIX: Mapping[Cause, Mapping[Path, float]] = {
    Cause.BASELINE: {
        Path.INFORMATION: 0.60, Path.TRIAGE: 0.14, Path.APPLICATION: 0.10, Path.STATUS: 0.06,
        Path.GIVE_UP: 0.10,
    },
    Cause.RUSH: {
        Path.INFORMATION: 0.10, Path.TRIAGE: 0.20, Path.APPLICATION: 0.50, Path.STATUS: 0.10,
        Path.GIVE_UP: 0.10,
    },
    Cause.ELECTION: {
        Path.INFORMATION: 0.85, Path.TRIAGE: 0.07, Path.APPLICATION: 0.01, Path.STATUS: 0.0,
        Path.GIVE_UP: 0.07,
    },
}  # fmt: skip


def cause_rates_per_h(hour: float) -> dict[Cause, float]:
    """Visitors an hour of each cause at ``hour`` (hours from 8 Nov 2016 00:00 Eastern)."""
    return {
        Cause.BASELINE: _DAY_PROFILE(hour % 24.0),
        Cause.RUSH: _RUSH(hour),
        Cause.ELECTION: _ELECTION(hour),
    }


def rate_per_h(hour: float) -> float:
    """All visitors an hour at ``hour``."""
    return sum(cause_rates_per_h(hour).values())


def country_shares(hour: float) -> dict[str, float]:
    """Share of visitors from each country at ``hour``, the causes blended by their rates."""
    return _blend(hour, COUNTRY_MIX)


def path_shares(hour: float) -> dict[Path, float]:
    """Share of visitors taking each path at ``hour``."""
    return _blend(hour, PATH_MIX)


def _blend(hour: float, mixes: Mapping[Cause, Mapping[K, float]]) -> dict[K, float]:
    rates = cause_rates_per_h(hour)
    total = sum(rates.values())
    shares: dict[K, float] = {}
    for cause, rate in rates.items():
        for key, share in mixes[cause].items():
            shares[key] = shares.get(key, 0.0) + share * rate / total
    return shares


def _breakpoints(start_h: float, end_h: float) -> list[float]:
    """Every hour in [start_h, end_h] where a rate changes slope: the maximum is at one."""
    points = {start_h, end_h}
    for rate in (_RUSH, _ELECTION):
        points.update(x for x in rate.xs if start_h <= x <= end_h)
    day = int(start_h // 24)
    while day * 24 <= end_h:
        points.update(day * 24 + x for x in _DAY_PROFILE.xs if start_h <= day * 24 + x <= end_h)
        day += 1
    return sorted(points)


@dataclasses.dataclass(frozen=True)
class Curve:
    """A window of the 2016 curve as a run plays it: seconds from the run's start.

    ``compressed(f)`` plays the window ``f`` times faster and keeps every visitor: rates per
    run-second are ``f`` times the incident's. ``scaled(peak)`` then sets the rate at the
    window's busiest instant to ``peak`` visitors per run-second (the shape is kept), so a
    run can land the 12x peak where it wants relative to a node's measured capacity.
    """

    start_h: float = NIGHT_START_H
    end_h: float = NIGHT_END_H
    factor: float = 1.0  # incident seconds per run second
    rate_scale: float = 1.0  # multiplies the incident's rates (after compression)

    def __post_init__(self) -> None:
        if not self.end_h > self.start_h:
            raise ValueError("the window must end after it starts")
        if self.factor <= 0 or self.rate_scale <= 0:
            raise ValueError("factor and rate_scale must be positive")

    @property
    def duration_s(self) -> float:
        """Length of the run, in run seconds."""
        return (self.end_h - self.start_h) * HOUR_S / self.factor

    def compressed(self, factor: float) -> Curve:
        return dataclasses.replace(self, factor=factor)

    def scaled(self, peak_rate: float) -> Curve:
        return dataclasses.replace(self, rate_scale=peak_rate / self._peak_of(1.0))

    def hour(self, t: float) -> float:
        """The incident's hour at run time ``t`` (seconds)."""
        return self.start_h + t * self.factor / HOUR_S

    def run_time(self, hour: float) -> float:
        """Run seconds at the incident's ``hour``."""
        return (hour - self.start_h) * HOUR_S / self.factor

    def rate(self, t: float) -> float:
        """Visitors per run second at run time ``t``."""
        return self._per_run_s(rate_per_h(self.hour(t)), self.rate_scale)

    def cause_rates(self, t: float) -> dict[Cause, float]:
        rates = cause_rates_per_h(self.hour(t))
        return {c: self._per_run_s(r, self.rate_scale) for c, r in rates.items()}

    def peak_rate(self) -> float:
        """The highest rate in the window, visitors per run second."""
        return self._peak_of(self.rate_scale)

    def expected(self, t0: float, t1: float) -> float:
        """Expected visitors between run times ``t0`` and ``t1`` (exact: rates are linear
        between breakpoints, so the trapezoids between them are the integral)."""
        h0, h1 = self.hour(t0), self.hour(t1)
        points = _breakpoints(h0, h1)
        total_h = sum(
            (b - a) * (rate_per_h(a) + rate_per_h(b)) / 2 for a, b in itertools.pairwise(points)
        )
        return total_h * self.rate_scale

    def breakpoints(self, t0: float, t1: float) -> list[float]:
        """Run times in [t0, t1] between which every rate is linear."""
        return [self.run_time(h) for h in _breakpoints(self.hour(t0), self.hour(t1))]

    def _peak_of(self, scale: float) -> float:
        peak = max(rate_per_h(h) for h in _breakpoints(self.start_h, self.end_h))
        return self._per_run_s(peak, scale)

    def _per_run_s(self, per_h: float, scale: float) -> float:
        return per_h * scale * self.factor / HOUR_S
