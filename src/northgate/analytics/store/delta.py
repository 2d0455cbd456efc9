"""What one write adds to storage: minute counts and visitor sketches, under one id."""

from __future__ import annotations

from dataclasses import dataclass, field

from northgate.analytics.capture.aggregate import Batch, SketchKey
from northgate.analytics.capture.dimensions import ArrivalKey
from northgate.analytics.capture.hll import Sketch


@dataclass
class Delta:
    batch_id: str
    counts: dict[ArrivalKey, int] = field(default_factory=dict)  # keyed by minute
    sketches: dict[SketchKey, Sketch] = field(default_factory=dict)

    @classmethod
    def of(cls, batch: Batch, visitors: Batch | None = None) -> Delta:
        """The counts of ``batch`` and the visitor sketches of ``visitors`` (default: its own)."""
        source = batch if visitors is None else visitors
        return cls(batch.batch_id, dict(batch.counts), source.sketches())

    @property
    def arrivals(self) -> int:
        return sum(self.counts.values())

    def hour_counts(self) -> dict[ArrivalKey, int]:
        """The same counts keyed by hour (``minute`` holds the hour index)."""
        hours: dict[ArrivalKey, int] = {}
        for key, n in self.counts.items():
            hour_key = key._replace(minute=key.minute // 60)
            hours[hour_key] = hours.get(hour_key, 0) + n
        return hours
