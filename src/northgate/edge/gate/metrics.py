"""Counters and gauges of the gate, per process, for /ops/gate and the monitoring issue."""

from __future__ import annotations

import bisect
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

WAIT_BUCKETS = (1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200)


@dataclass
class Histogram:
    bounds: tuple[float, ...] = WAIT_BUCKETS
    counts: list[int] = field(default_factory=lambda: [0] * (len(WAIT_BUCKETS) + 1))
    total: float = 0.0
    count: int = 0

    def observe(self, value: float) -> None:
        self.counts[bisect.bisect_left(self.bounds, value)] += 1
        self.total += value
        self.count += 1

    def to_json(self) -> dict[str, Any]:
        cumulative, buckets = 0, {}
        for bound, count in zip((*self.bounds, float("inf")), self.counts, strict=True):
            cumulative += count
            buckets["+Inf" if bound == float("inf") else str(bound)] = cumulative
        return {"count": self.count, "sum": round(self.total, 3), "buckets": buckets}


@dataclass
class GateMetrics:
    """``counters`` only grow (Prometheus-style); ``gauges`` are set by the gate's tick."""

    counters: Counter[str] = field(default_factory=Counter)
    gauges: dict[str, float] = field(default_factory=dict)
    wait_seconds: Histogram = field(default_factory=Histogram)

    def count(self, name: str, amount: int = 1) -> None:
        self.counters[name] += amount

    def to_json(self) -> dict[str, Any]:
        return {
            "counters": dict(sorted(self.counters.items())),
            "gauges": dict(sorted(self.gauges.items())),
            "wait_seconds": self.wait_seconds.to_json(),
        }
