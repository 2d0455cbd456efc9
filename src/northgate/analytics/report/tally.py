"""Sums over counts and merged sketches: what every figure of a report is made of."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from northgate.analytics.capture.aggregate import Dimension, SketchKey
from northgate.analytics.capture.dimensions import PAGE_SECTIONS, TURNED_AWAY, ArrivalKey
from northgate.analytics.capture.hll import Sketch


def total(counts: Mapping[ArrivalKey, int], keep: Any = None) -> int:
    return sum(n for key, n in counts.items() if keep is None or keep(key))


def is_person(key: ArrivalKey) -> bool:
    return not key.bot


def is_bot(key: ArrivalKey) -> bool:
    return key.bot


def is_page_view(key: ArrivalKey) -> bool:
    return not key.bot and key.section in PAGE_SECTIONS


def is_turned_away(key: ArrivalKey) -> bool:
    return key.outcome in TURNED_AWAY


def at_most(estimates: Mapping[str, int], bounds: Mapping[str, int]) -> dict[str, int]:
    """A sketch's estimate never above the arrivals it was made from (it can overshoot)."""
    return {k: min(v, bounds.get(k, 0)) for k, v in estimates.items()}


def visitors_of(sketches: Mapping[SketchKey, Sketch], dimension: Dimension, value: str = "") -> int:
    chosen = [s for k, s in sketches.items() if k.dimension == dimension and k.value == value]
    if not chosen:
        return 0
    merged = chosen[0].copy()
    for sketch in chosen[1:]:
        merged.merge(sketch)
    return merged.count()


def visitors_by(sketches: Mapping[SketchKey, Sketch], dimension: Dimension) -> dict[str, int]:
    merged: dict[str, Sketch] = {}
    for key, sketch in sketches.items():
        if key.dimension != dimension:
            continue
        existing = merged.get(key.value)
        if existing is None:
            merged[key.value] = sketch.copy()
        else:
            existing.merge(sketch)
    return {value: sketch.count() for value, sketch in merged.items()}


def people_by(
    sketches: Mapping[SketchKey, Sketch], counts: Mapping[ArrivalKey, int], dimension: Dimension
) -> dict[str, int]:
    """Visitors by section or country, each at most the people's arrivals there."""
    return at_most(visitors_by(sketches, dimension), totals_by(counts, dimension, is_person))


def cells(counts: Mapping[ArrivalKey, int]) -> dict[tuple[str, str], int]:
    """Arrivals by (section, outcome), in one pass."""
    out: dict[tuple[str, str], int] = {}
    for key, n in counts.items():
        cell = (key.section, key.outcome)
        out[cell] = out.get(cell, 0) + n
    return out


def totals_by(counts: Mapping[ArrivalKey, int], attribute: str, keep: Any = None) -> dict[str, int]:
    out: dict[str, int] = {}
    for key, n in counts.items():
        if keep is not None and not keep(key):
            continue
        value = str(getattr(key, attribute))
        out[value] = out.get(value, 0) + n
    return out
