"""Anomaly rules, pure arithmetic: a country's share far outside its usual band, and surges.

Country share
-------------
Is this country's share of visitors now different from its share at the same hours of the
previous weeks? A two-proportion z-test, with one correction that matters at our volumes:

    z = (p - p0) / sqrt( p0(1-p0)/n + p0(1-p0)/n0 + s^2 )

``p = x/n`` is the share now, ``p0`` the pooled share of the baseline weeks (``n0`` visitors).
The first two terms are the binomial (sampling) variance of each side; ``s^2`` is how much
the share really moves from week to week, estimated from the baseline weeks and floored at
``min_relative_sd`` of ``p0`` (and ``min_sd``). Without it, any test on 17,000 visitors
calls a 10.2 % against 9.8 % "significant": shares drift more than coin tosses do. A country
is flagged when ``|z| >= z_threshold`` (default 4: with ~200 countries tested the chance of
one false flag per report is about 1 %) and only above a minimum volume: at least
``min_total`` visitors in the window and ``min_count`` visitors expected or seen from the
country. The usual band shown beside it is the lowest and highest weekly share of the
baseline.

Surge
-----
A section surges when its arrivals are above ``factor`` (3) times the same minutes last
week in each of three consecutive 5-minute blocks (15 minutes sustained), with at least
``min_arrivals`` in the 15 minutes so that 3 requests against 1 is not a surge.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

Direction = Literal["above", "below"]


@dataclass(frozen=True)
class ShareRules:
    z_threshold: float = 4.0
    min_total: int = 500
    min_count: int = 20
    min_relative_sd: float = 0.10
    min_sd: float = 0.002


@dataclass(frozen=True)
class CountryShare:
    country: str
    visitors: int
    share: float
    baseline_share: float
    band: tuple[float, float]
    z: float
    flagged: bool

    @property
    def direction(self) -> Direction:
        return "above" if self.share >= self.baseline_share else "below"


def country_shares(
    current: Mapping[str, int],
    baseline_weeks: Sequence[Mapping[str, int]],
    rules: ShareRules | None = None,
) -> list[CountryShare]:
    """Every country's test result, flagged ones first, then by visitors."""
    rules = rules or ShareRules()
    n = sum(current.values())
    weeks = [week for week in baseline_weeks if sum(week.values()) > 0]
    if n == 0 or not weeks:
        return []
    totals = [sum(week.values()) for week in weeks]
    n0 = sum(totals)
    countries = set(current) | {country for week in weeks for country in week}
    results = []
    for country in countries:
        x = current.get(country, 0)
        p = x / n
        weekly = [week.get(country, 0) / total for week, total in zip(weeks, totals, strict=True)]
        p0 = sum(week.get(country, 0) for week in weeks) / n0
        observed_sd = statistics.stdev(weekly) if len(weekly) >= 2 else 0.0
        sd = max(observed_sd, rules.min_relative_sd * p0, rules.min_sd)
        binomial = p0 * (1 - p0) * (1 / n + 1 / n0)
        z = (p - p0) / math.sqrt(binomial + sd * sd)
        enough = n >= rules.min_total and max(x, p0 * n) >= rules.min_count
        results.append(
            CountryShare(
                country=country,
                visitors=x,
                share=p,
                baseline_share=p0,
                band=(min(weekly), max(weekly)),
                z=z,
                flagged=enough and abs(z) >= rules.z_threshold,
            )
        )
    results.sort(key=lambda r: (not r.flagged, -r.visitors, r.country))
    return results


@dataclass(frozen=True)
class SurgeRules:
    factor: float = 3.0
    block_minutes: int = 5
    blocks: int = 3
    min_arrivals: int = 150


@dataclass(frozen=True)
class Surge:
    section: str
    arrivals: int
    last_week: int
    ratio: float | None
    block_ratios: tuple[float | None, ...]
    flagged: bool


def surge(
    section: str,
    current: Sequence[int],
    last_week: Sequence[int],
    rules: SurgeRules | None = None,
) -> Surge:
    """``current`` and ``last_week``: arrivals per minute, the last minute last."""
    rules = rules or SurgeRules()
    minutes = rules.block_minutes * rules.blocks
    now = list(current)[-minutes:]
    before = list(last_week)[-minutes:]
    now = [0] * (minutes - len(now)) + now
    before = [0] * (minutes - len(before)) + before
    ratios: list[float | None] = []
    sustained = True
    for block in range(rules.blocks):
        lo, hi = block * rules.block_minutes, (block + 1) * rules.block_minutes
        c, b = sum(now[lo:hi]), sum(before[lo:hi])
        ratios.append(c / b if b else None)
        sustained = sustained and c > rules.factor * max(b, 1)
    total, total_before = sum(now), sum(before)
    return Surge(
        section=section,
        arrivals=total,
        last_week=total_before,
        ratio=total / total_before if total_before else None,
        block_ratios=tuple(ratios),
        flagged=sustained and total >= rules.min_arrivals,
    )
