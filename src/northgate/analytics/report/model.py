"""A report: figures for a period, the same time last week beside each, and anomalies.

What a report holds and its JSON form; ``build`` computes one from counts and sketches
already read (see ``service``). Definitions used throughout:

- **arrivals**: every request that reached the edge, whatever happened to it;
- **page views**: arrivals by people (not bots) in the page sections (information, eTA,
  payment, status), whatever the outcome;
- **visitors**: distinct people (not bots), from the HyperLogLog sketches (±1.6 %);
- **turned away**: arrivals queued, shed, limited (abuse limit) or failed (server error).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from northgate.analytics.capture.aggregate import SketchKey
from northgate.analytics.capture.dimensions import ArrivalKey
from northgate.analytics.capture.hll import Sketch
from northgate.analytics.report.anomaly import CountryShare, Surge
from northgate.analytics.report.periods import Period


@dataclass(frozen=True)
class Figure:
    value: int
    last_week: int

    @property
    def ratio(self) -> float | None:
        return self.value / self.last_week if self.last_week else None

    def to_json(self) -> dict[str, Any]:
        ratio = self.ratio
        return {
            "value": self.value,
            "last_week": self.last_week,
            "ratio": round(ratio, 3) if ratio is not None else None,
        }


@dataclass(frozen=True)
class CountryRow:
    country: str
    arrivals: Figure
    visitors: Figure
    share: float  # of visitors
    share_last_week: float

    def to_json(self) -> dict[str, Any]:
        return {
            "country": self.country,
            "arrivals": self.arrivals.to_json(),
            "visitors": self.visitors.to_json(),
            "share": round(self.share, 4),
            "share_last_week": round(self.share_last_week, 4),
        }


@dataclass
class Series:
    granularity: str
    starts: list[dt.datetime]
    arrivals_by_outcome: dict[str, list[int]]
    arrivals_by_country: dict[str, list[int]]
    arrivals_last_week: list[int]
    visitors: list[int]

    def to_json(self) -> dict[str, Any]:
        return {
            "granularity": self.granularity,
            "starts": [start.isoformat() for start in self.starts],
            "arrivals_by_outcome": self.arrivals_by_outcome,
            "arrivals_by_country": self.arrivals_by_country,
            "arrivals_last_week": self.arrivals_last_week,
            "visitors": self.visitors,
        }


@dataclass
class ReportInputs:
    period: Period
    last_week: Period
    counts: Mapping[ArrivalKey, int]
    counts_last_week: Mapping[ArrivalKey, int]
    sketches: Mapping[SketchKey, Sketch]
    sketches_last_week: Mapping[SketchKey, Sketch]
    # Visitors by country at the same hours of each baseline week (most recent first).
    baseline_countries: Sequence[Mapping[str, int]] = ()
    # Arrivals per minute per section for the 15 minutes ending with the period, and last week.
    surge_minutes: Mapping[str, Sequence[int]] = field(default_factory=dict)
    surge_minutes_last_week: Mapping[str, Sequence[int]] = field(default_factory=dict)
    # Visitors by country in the window the share test looks at (default: the period).
    share_window: Mapping[str, int] | None = None


@dataclass
class Report:
    period: Period
    last_week: Period
    description: str
    last_week_description: str
    totals: dict[str, Figure]
    by_section: dict[str, dict[str, Figure]]
    by_outcome: dict[str, Figure]
    by_country: list[CountryRow]
    series: Series
    country_shares: list[CountryShare]
    surges: list[Surge]
    notes: list[str]

    @property
    def anomalies(self) -> list[str]:
        found = [
            f"{s.country} share {s.share:.1%} is {s.direction} its usual "
            f"{s.band[0]:.1%}–{s.band[1]:.1%} (baseline {s.baseline_share:.1%}, z = {s.z:.1f})"
            for s in self.country_shares
            if s.flagged
        ]
        found += [
            f"{s.section}: surge, {s.arrivals} arrivals in 15 min against {s.last_week} "
            f"last week" + (f" ({s.ratio:.1f}x)" if s.ratio else "")
            for s in self.surges
            if s.flagged
        ]
        return found

    def to_json(self) -> dict[str, Any]:
        return {
            "period": {
                "start": self.period.start.isoformat(),
                "end": self.period.end.isoformat(),
                "granularity": self.period.granularity,
                "live": self.period.live,
                "description": self.description,
            },
            "same_time_last_week": {
                "start": self.last_week.start.isoformat(),
                "end": self.last_week.end.isoformat(),
                "description": self.last_week_description,
            },
            "totals": _figures_json(self.totals),
            "by_section": {
                section: _figures_json(figures) for section, figures in self.by_section.items()
            },
            "by_outcome": _figures_json(self.by_outcome),
            "by_country": [row.to_json() for row in self.by_country],
            "series": self.series.to_json(),
            "anomalies": {
                "flags": self.anomalies,
                "country_shares": [_share_json(s) for s in self.country_shares],
                "surges": [_surge_json(s) for s in self.surges],
            },
            "notes": self.notes,
        }


def _figures_json(figures: Mapping[str, Figure]) -> dict[str, Any]:
    return {name: figure.to_json() for name, figure in figures.items()}


def _share_json(s: CountryShare) -> dict[str, Any]:
    return {
        "country": s.country,
        "visitors": s.visitors,
        "share": round(s.share, 4),
        "baseline_share": round(s.baseline_share, 4),
        "usual_band": [round(s.band[0], 4), round(s.band[1], 4)],
        "z": round(s.z, 2),
        "flagged": s.flagged,
    }


def _surge_json(s: Surge) -> dict[str, Any]:
    return {
        "section": s.section,
        "arrivals_15_min": s.arrivals,
        "last_week_15_min": s.last_week,
        "ratio": round(s.ratio, 3) if s.ratio is not None else None,
        "flagged": s.flagged,
    }
