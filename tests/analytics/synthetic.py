"""Synthetic traffic with the shares of INCIDENT.md: a normal week, and election night 2016."""

from __future__ import annotations

import random
from collections.abc import Mapping

from northgate.analytics.capture.aggregate import Batch
from northgate.analytics.capture.dimensions import ArrivalKey, Section, VisitorKey
from northgate.analytics.store.delta import Delta

# A normal week around 23:00 Eastern: the usual US share is 8.8-11.6 %.
NORMAL = {"CA": 0.70, "US": 0.10, "IN": 0.04, "FR": 0.04, "GB": 0.03, "CN": 0.03, "PH": 0.03,
          "MX": 0.02, "AU": 0.01}  # fmt: skip
# Election night, 8 Nov 2016 ~23:00: US ~50 %, Canada 37 %, Australia 3 %, UK 1 %, rest elsewhere.
ELECTION_NIGHT = {"US": 0.50, "CA": 0.37, "AU": 0.03, "GB": 0.01, "IN": 0.03, "FR": 0.02,
                  "CN": 0.02, "PH": 0.01, "MX": 0.01}  # fmt: skip
SECTION_MIX: Mapping[Section, float] = {"information": 0.6, "eta": 0.3, "payment": 0.05,
                                        "status": 0.05}  # fmt: skip
NORMAL_PER_HOUR = 17_000
ELECTION_PER_HOUR = 200_000  # ~12x


def wobble(shares: Mapping[str, float], rng: random.Random, spread: float) -> dict[str, float]:
    """Shares that move from week to week by about ``spread`` of their value."""
    moved = {c: max(share * (1 + rng.uniform(-spread, spread)), 0.0) for c, share in shares.items()}
    total = sum(moved.values())
    return {c: share / total for c, share in moved.items()}


def traffic(
    first_minute: int,
    minutes: int,
    per_hour: int,
    shares: Mapping[str, float],
    seed: int,
    batch_id: str,
) -> Delta:
    """``per_hour`` visitors an hour, each with one page view, spread over the minutes."""
    rng = random.Random(seed)
    countries, weights = zip(*shares.items(), strict=True)
    sections, section_weights = zip(*SECTION_MIX.items(), strict=True)
    batch = Batch(batch_id=batch_id)
    per_minute = per_hour // 60
    for minute in range(first_minute, first_minute + minutes):
        picked = rng.choices(countries, weights, k=per_minute)
        where = rng.choices(sections, section_weights, k=per_minute)
        for country, section in zip(picked, where, strict=True):
            key = ArrivalKey(minute, section, "en", country, "served", False)
            batch.counts[key] = batch.counts.get(key, 0) + 1
            batch.visitors.setdefault(VisitorKey(minute, section, country), set()).add(
                rng.getrandbits(64)
            )
    return Delta.of(batch)
