"""Medians, ratios and numbers from the environment."""

from __future__ import annotations

import os
import random
import statistics
from collections.abc import Sequence

from bench.harness.errors import BenchError


def env_number(name: str, default: float) -> float:
    """A float from the environment (``BENCH_DURATION=3``), or ``default``."""
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError as error:
        raise BenchError(f"{name}={raw!r} is not a number") from error


def median(values: Sequence[float]) -> float:
    if not values:
        raise BenchError("median of no values")
    return float(statistics.median(values))


def ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator else None


def median_interval(values: list[float], *, level: float = 0.9) -> tuple[float, float]:
    """A bootstrap interval for the median of ``values`` (resampled, seeded)."""
    rng = random.Random(2016)
    medians = sorted(statistics.median(rng.choices(values, k=len(values))) for _ in range(2_000))
    tail = (1 - level) / 2
    return medians[int(tail * len(medians))], medians[int((1 - tail) * len(medians)) - 1]
