"""The event calendar as domain values: an event, checking what an operator typed, and the
multiplier the calendar puts on each minute. Pure code.

Overlapping events multiply: 2016's surge was two causes at once (applicants racing a
deadline and election-night visitors), each multiplying the other's traffic.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final
from zoneinfo import ZoneInfo

NAME_LENGTH: Final = 120
MIN_MULTIPLIER: Final = 0.1
MAX_MULTIPLIER: Final = 100.0
LONGEST: Final = dt.timedelta(days=14)
# datetime-local inputs send minutes, seconds are accepted too.
_FORMATS: Final = ("%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M")


@dataclass(frozen=True)
class Event:
    name: str
    starts_at: dt.datetime  # aware, UTC
    ends_at: dt.datetime
    multiplier: float
    pre_queue: bool = False
    id: int | None = None

    def covers(self, moment: dt.datetime) -> bool:
        return self.starts_at <= moment < self.ends_at


@dataclass(frozen=True)
class EventErrors:
    """What was wrong, by field, as message keys (worded in the operator's language by the
    page or the API)."""

    fields: dict[str, str] = field(default_factory=dict)


def _moment(text: str, tz: ZoneInfo) -> dt.datetime | None:
    text = text.strip()
    try:
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        parsed = None
        for fmt in _FORMATS:
            try:
                parsed = dt.datetime.strptime(text, fmt)
                break
            except ValueError:
                continue
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=tz)
    return parsed.astimezone(dt.UTC)


def _number(text: str) -> float | None:
    # French operators write 2,5.
    try:
        value = float(text.strip().replace(",", ".").replace("\u00a0", ""))
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def parse_event(
    values: Mapping[str, object], tz: ZoneInfo, *, event_id: int | None = None
) -> Event | EventErrors:
    """An event from a form or a JSON body: ``name``, ``starts_at`` and ``ends_at`` (ISO
    8601; without an offset, in ``tz``, the operators' time zone), ``multiplier`` and
    ``pre_queue``."""
    errors: dict[str, str] = {}
    name = str(values.get("name") or "").strip()
    if not name:
        errors["name"] = "name.missing"
    elif len(name) > NAME_LENGTH:
        errors["name"] = "name.long"
    starts = _moment(str(values.get("starts_at") or ""), tz)
    ends = _moment(str(values.get("ends_at") or ""), tz)
    if starts is None:
        errors["starts_at"] = "time.invalid"
    if ends is None:
        errors["ends_at"] = "time.invalid"
    elif starts is not None and ends <= starts:
        errors["ends_at"] = "time.order"
    elif starts is not None and ends - starts > LONGEST:
        errors["ends_at"] = "time.long"
    raw = values.get("multiplier")
    multiplier = raw if isinstance(raw, int | float) and not isinstance(raw, bool) else None
    if multiplier is None:
        multiplier = _number(str(raw or ""))
    if multiplier is None:
        errors["multiplier"] = "multiplier.invalid"
    elif not MIN_MULTIPLIER <= multiplier <= MAX_MULTIPLIER:
        errors["multiplier"] = "multiplier.range"
    pre_queue = values.get("pre_queue")
    queued = pre_queue is True or str(pre_queue).lower() in ("on", "true", "1", "yes")
    if errors or starts is None or ends is None or multiplier is None:
        return EventErrors(errors)
    return Event(name, starts, ends, float(multiplier), queued, event_id)


def multipliers(events: Iterable[Event], start: dt.datetime, minutes: int) -> list[float]:
    """The calendar's multiplier for each minute from ``start`` (1 outside every event)."""
    out = [1.0] * minutes
    for event in events:
        first = math.ceil((event.starts_at - start).total_seconds() / 60)
        last = math.ceil((event.ends_at - start).total_seconds() / 60)
        for i in range(max(first, 0), min(last, minutes)):
            out[i] *= event.multiplier
    return out


def upcoming(events: Sequence[Event], now: dt.datetime) -> list[Event]:
    """Events not over yet, soonest first."""
    return sorted((e for e in events if e.ends_at > now), key=lambda e: e.starts_at)
