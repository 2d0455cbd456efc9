"""A report: figures for a period, the same time last week beside each, and anomalies.

Pure code: it takes counts and sketches already read (see ``service``) and computes.
Definitions used throughout:

- **arrivals**: every request that reached the edge, whatever happened to it;
- **page views**: arrivals by people (not bots) in the page sections (information, eTA,
  payment, status), whatever the outcome;
- **visitors**: distinct people (not bots), from the HyperLogLog sketches (±1.6 %);
- **turned away**: arrivals queued, shed, limited (abuse limit) or failed (server error).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from northgate.analytics.capture.aggregate import Dimension, SketchKey
from northgate.analytics.capture.dimensions import (
    OUTCOMES,
    PAGE_SECTIONS,
    SECTIONS,
    TURNED_AWAY,
    ArrivalKey,
)
from northgate.analytics.capture.hll import Sketch
from northgate.analytics.report.anomaly import (
    CountryShare,
    ShareRules,
    Surge,
    SurgeRules,
    country_shares,
    surge,
)
from northgate.analytics.report.periods import Period

TOP_COUNTRIES = 6
DEFAULT_SHARE_RULES = ShareRules()
DEFAULT_SURGE_RULES = SurgeRules()


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


@dataclass
class Series:
    granularity: str
    starts: list[dt.datetime]
    arrivals_by_outcome: dict[str, list[int]]
    arrivals_by_country: dict[str, list[int]]
    arrivals_last_week: list[int]
    visitors: list[int]


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
            "totals": {name: figure.to_json() for name, figure in self.totals.items()},
            "by_section": {
                section: {name: figure.to_json() for name, figure in figures.items()}
                for section, figures in self.by_section.items()
            },
            "by_outcome": {name: figure.to_json() for name, figure in self.by_outcome.items()},
            "by_country": [
                {
                    "country": row.country,
                    "arrivals": row.arrivals.to_json(),
                    "visitors": row.visitors.to_json(),
                    "share": round(row.share, 4),
                    "share_last_week": round(row.share_last_week, 4),
                }
                for row in self.by_country
            ],
            "series": {
                "granularity": self.series.granularity,
                "starts": [start.isoformat() for start in self.series.starts],
                "arrivals_by_outcome": self.series.arrivals_by_outcome,
                "arrivals_by_country": self.series.arrivals_by_country,
                "arrivals_last_week": self.series.arrivals_last_week,
                "visitors": self.series.visitors,
            },
            "anomalies": {
                "flags": self.anomalies,
                "country_shares": [
                    {
                        "country": s.country,
                        "visitors": s.visitors,
                        "share": round(s.share, 4),
                        "baseline_share": round(s.baseline_share, 4),
                        "usual_band": [round(s.band[0], 4), round(s.band[1], 4)],
                        "z": round(s.z, 2),
                        "flagged": s.flagged,
                    }
                    for s in self.country_shares
                ],
                "surges": [
                    {
                        "section": s.section,
                        "arrivals_15_min": s.arrivals,
                        "last_week_15_min": s.last_week,
                        "ratio": round(s.ratio, 3) if s.ratio is not None else None,
                        "flagged": s.flagged,
                    }
                    for s in self.surges
                ],
            },
            "notes": self.notes,
        }


# ---------------------------------------------------------------------- building


def _sum(counts: Mapping[ArrivalKey, int], keep: Any = None) -> int:
    return sum(n for key, n in counts.items() if keep is None or keep(key))


def _is_person(key: ArrivalKey) -> bool:
    return not key.bot


def _at_most(estimates: Mapping[str, int], bounds: Mapping[str, int]) -> dict[str, int]:
    """A sketch's estimate never above the arrivals it was made from (it can overshoot)."""
    return {k: min(v, bounds.get(k, 0)) for k, v in estimates.items()}


def _is_page_view(key: ArrivalKey) -> bool:
    return not key.bot and key.section in PAGE_SECTIONS


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


def _cells(counts: Mapping[ArrivalKey, int]) -> dict[tuple[str, str], int]:
    """Arrivals by (section, outcome), in one pass."""
    out: dict[tuple[str, str], int] = {}
    for key, n in counts.items():
        cell = (key.section, key.outcome)
        out[cell] = out.get(cell, 0) + n
    return out


def _by(counts: Mapping[ArrivalKey, int], attribute: str, keep: Any = None) -> dict[str, int]:
    out: dict[str, int] = {}
    for key, n in counts.items():
        if keep is not None and not keep(key):
            continue
        value = str(getattr(key, attribute))
        out[value] = out.get(value, 0) + n
    return out


def _series(
    period: Period,
    last_week: Period,
    counts: Mapping[ArrivalKey, int],
    counts_last_week: Mapping[ArrivalKey, int],
    sketches: Mapping[SketchKey, Sketch],
    top: Iterable[str],
) -> Series:
    buckets = period.buckets
    index = {bucket: i for i, bucket in enumerate(buckets)}
    size = len(buckets)
    by_outcome: dict[str, list[int]] = {outcome: [0] * size for outcome in OUTCOMES}
    top = list(top)
    by_country = {country: [0] * size for country in [*top, "other"]}
    for key, n in counts.items():
        i = index.get(key.minute)
        if i is None:
            continue
        by_outcome[key.outcome][i] += n
        by_country[key.country if key.country in by_country else "other"][i] += n
    shift = period.start_s // period.step - last_week.start_s // last_week.step
    previous = [0] * size
    for key, n in counts_last_week.items():
        i = index.get(key.minute + shift)
        if i is not None:
            previous[i] += n
    visitors = [0] * size
    for skey, sketch in sketches.items():
        if skey.dimension == "all" and skey.granularity == period.granularity:
            i = index.get(skey.period)
            if i is not None:
                visitors[i] = sketch.count()
    if not any(by_country["other"]):
        del by_country["other"]
    starts = [dt.datetime.fromtimestamp(bucket * period.step, dt.UTC) for bucket in buckets]
    return Series(period.granularity, starts, by_outcome, by_country, previous, visitors)


def build_report(
    inputs: ReportInputs,
    description: str,
    *,
    last_week_description: str = "",
    share_rules: ShareRules = DEFAULT_SHARE_RULES,
    surge_rules: SurgeRules = DEFAULT_SURGE_RULES,
    notes: Sequence[str] = (),
) -> Report:
    now, before = inputs.counts, inputs.counts_last_week
    sk_now, sk_before = inputs.sketches, inputs.sketches_last_week
    totals = {
        "arrivals": Figure(_sum(now), _sum(before)),
        "page_views": Figure(_sum(now, _is_page_view), _sum(before, _is_page_view)),
        "visitors": Figure(
            min(visitors_of(sk_now, "all"), _sum(now, _is_person)),
            min(visitors_of(sk_before, "all"), _sum(before, _is_person)),
        ),
        "turned_away": Figure(
            _sum(now, lambda k: k.outcome in TURNED_AWAY),
            _sum(before, lambda k: k.outcome in TURNED_AWAY),
        ),
        "bots": Figure(_sum(now, lambda k: k.bot), _sum(before, lambda k: k.bot)),
    }
    section_visitors = _at_most(visitors_by(sk_now, "section"), _by(now, "section", _is_person))
    section_visitors_before = _at_most(
        visitors_by(sk_before, "section"), _by(before, "section", _is_person)
    )
    cells, cells_before = _cells(now), _cells(before)
    by_section: dict[str, dict[str, Figure]] = {}
    for section in SECTIONS:
        figures = {
            "arrivals": Figure(
                sum(cells.get((section, o), 0) for o in OUTCOMES),
                sum(cells_before.get((section, o), 0) for o in OUTCOMES),
            ),
            "visitors": Figure(
                section_visitors.get(section, 0), section_visitors_before.get(section, 0)
            ),
        }
        for outcome in OUTCOMES:
            figures[outcome] = Figure(
                cells.get((section, outcome), 0), cells_before.get((section, outcome), 0)
            )
        by_section[section] = figures
    outcomes_now, outcomes_before = _by(now, "outcome"), _by(before, "outcome")
    by_outcome: dict[str, Figure] = {
        outcome: Figure(outcomes_now.get(outcome, 0), outcomes_before.get(outcome, 0))
        for outcome in OUTCOMES
    }
    arrivals_c, arrivals_c_before = _by(now, "country"), _by(before, "country")
    visitors_c = _at_most(visitors_by(sk_now, "country"), _by(now, "country", _is_person))
    visitors_c_before = _at_most(
        visitors_by(sk_before, "country"), _by(before, "country", _is_person)
    )
    total_v, total_v_before = sum(visitors_c.values()), sum(visitors_c_before.values())
    countries = set(arrivals_c) | set(arrivals_c_before)
    by_country = sorted(
        (
            CountryRow(
                country=country,
                arrivals=Figure(arrivals_c.get(country, 0), arrivals_c_before.get(country, 0)),
                visitors=Figure(visitors_c.get(country, 0), visitors_c_before.get(country, 0)),
                share=visitors_c.get(country, 0) / total_v if total_v else 0.0,
                share_last_week=(
                    visitors_c_before.get(country, 0) / total_v_before if total_v_before else 0.0
                ),
            )
            for country in countries
        ),
        key=lambda row: (-row.visitors.value, -row.arrivals.value, row.country),
    )
    top = [row.country for row in by_country[:TOP_COUNTRIES]]
    series = _series(inputs.period, inputs.last_week, now, before, sk_now, top)
    window = inputs.share_window if inputs.share_window is not None else visitors_c
    shares = country_shares(window, inputs.baseline_countries, share_rules)
    surges = [
        surge(
            section,
            inputs.surge_minutes.get(section, ()),
            inputs.surge_minutes_last_week.get(section, ()),
            surge_rules,
        )
        for section in ["all", *SECTIONS]
    ]
    return Report(
        period=inputs.period,
        last_week=inputs.last_week,
        description=description,
        last_week_description=last_week_description,
        totals=totals,
        by_section=by_section,
        by_outcome=by_outcome,
        by_country=by_country,
        series=series,
        country_shares=shares,
        surges=surges,
        notes=list(notes),
    )
