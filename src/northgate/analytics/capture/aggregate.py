"""Aggregates of a few seconds of arrivals, ready to be stored: a :class:`Batch`.

Counters per :class:`ArrivalKey` and, for people (not bots), the visitor hashes per
:class:`VisitorKey`; the batch carries an identity that makes its storage idempotent.
``northgate.analytics.capture.recorder`` builds one from the raw arrivals each time it is taken.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal, NamedTuple

from northgate.analytics.capture.dimensions import ArrivalKey, VisitorKey
from northgate.analytics.capture.hll import Sketch

Granularity = Literal["minute", "hour"]
Dimension = Literal["all", "section", "country"]


class SketchKey(NamedTuple):
    granularity: Granularity
    period: int  # minute index or hour index (Unix time // 60 or // 3600)
    dimension: Dimension
    value: str  # "" for "all", else the section or country


@dataclass
class Batch:
    counts: dict[ArrivalKey, int] = field(default_factory=dict)
    visitors: dict[VisitorKey, set[int]] = field(default_factory=dict)
    # Storage records this id in the same transaction as the counts: a batch retried after
    # an ambiguous failure (committed, but the answer was lost) is not counted twice.
    batch_id: str = field(default_factory=lambda: uuid.uuid4().hex)

    def __bool__(self) -> bool:
        return bool(self.counts or self.visitors)

    @property
    def arrivals(self) -> int:
        return sum(self.counts.values())

    def absorb(self, other: Batch) -> None:
        """Add ``other`` into this batch (a failed batch goes back to be retried with the next)."""
        for key, n in other.counts.items():
            self.counts[key] = self.counts.get(key, 0) + n
        for vkey, hashes in other.visitors.items():
            mine = self.visitors.get(vkey)
            if mine is None:
                self.visitors[vkey] = set(hashes)
            else:
                mine |= hashes

    def sketches(self) -> dict[SketchKey, Sketch]:
        """Visitor sketches per minute and hour for the site, each section and each country.

        Each visitor set becomes one sketch (one pass over its hashes), then is merged into
        the six sketches it belongs to (register-wise maximum, cheap).
        """
        out: dict[SketchKey, Sketch] = {}
        for vkey, hashes in self.visitors.items():
            sketch = Sketch.of(hashes)
            for key in _sketch_keys(vkey):
                existing = out.get(key)
                if existing is None:
                    out[key] = sketch.copy()
                else:
                    existing.merge(sketch)
        return out


def _sketch_keys(vkey: VisitorKey) -> Iterator[SketchKey]:
    hour = vkey.minute // 60
    for granularity, period in (("minute", vkey.minute), ("hour", hour)):
        g: Granularity = granularity  # type: ignore[assignment]
        yield SketchKey(g, period, "all", "")
        yield SketchKey(g, period, "section", vkey.section)
        yield SketchKey(g, period, "country", vkey.country)
