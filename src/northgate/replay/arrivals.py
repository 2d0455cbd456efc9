"""Seeded visitors along a curve: a non-homogeneous Poisson process, by thinning.

Candidates arrive as a homogeneous Poisson process at a bound of the rate; each is kept with
probability rate(t) / bound (Lewis and Shedler's thinning), which gives exactly the curve's
non-homogeneous process. The rates are linear between the curve's breakpoints, so each
stretch between two of them is thinned against the larger of its two ends: few candidates
are drawn in vain. A kept visitor is then given a cause in proportion to the
causes' rates at that instant, and a country and a path from that cause's mix. Everything
comes from one ``random.Random(seed)``: the same seed gives the same visitors.
"""

from __future__ import annotations

import dataclasses
import itertools
import random
from collections.abc import Iterable, Iterator

from northgate.replay.curve import COUNTRY_MIX, PATH_MIX, Cause, Curve, Path


@dataclasses.dataclass(frozen=True, slots=True)
class Arrival:
    intended_time: float  # run seconds from the start: when the visitor means to arrive
    country: str  # ISO 3166-1 alpha-2
    path: Path
    cause: Cause


def arrivals(
    curve: Curve, seed: int, start: float = 0.0, end: float | None = None
) -> Iterator[Arrival]:
    """Every visitor of ``curve`` between run times ``start`` and ``end`` (default: its end),
    in order of intended time."""
    stop = curve.duration_s if end is None else end
    rng = random.Random(seed)
    # The choices' tables, built once: cumulative weights make rng.choices cheap.
    countries = {c: (list(m), _cumulative(m.values())) for c, m in COUNTRY_MIX.items()}
    paths = {c: (list(m), _cumulative(m.values())) for c, m in PATH_MIX.items()}
    causes = list(Cause)
    points = curve.breakpoints(start, stop)
    for a, b in itertools.pairwise(points):
        bound = max(curve.rate(a), curve.rate(b))
        if bound <= 0:
            continue
        t = a
        while True:
            # Memoryless: starting each stretch afresh at its start keeps the process exact.
            t += rng.expovariate(bound)
            if t >= b:
                break
            rates = curve.cause_rates(t)
            if rng.random() * bound >= sum(rates.values()):
                continue
            (cause,) = rng.choices(causes, weights=[rates[c] for c in causes])
            names, cum = countries[cause]
            (country,) = rng.choices(names, cum_weights=cum)
            kinds, cum_paths = paths[cause]
            (path,) = rng.choices(kinds, cum_weights=cum_paths)
            yield Arrival(t, country, path, cause)


def _cumulative(weights: Iterable[float]) -> list[float]:
    out: list[float] = []
    running = 0.0
    for w in weights:
        running += w
        out.append(running)
    return out
