"""Build a report from counts and sketches already read (see ``service``): pure code.

Each part of a :class:`Report` (totals, sections, outcomes, countries, series, anomalies)
has its own function; every figure is this period's value beside the same time last week's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from northgate.analytics.capture.aggregate import SketchKey
from northgate.analytics.capture.dimensions import OUTCOMES, SECTIONS, ArrivalKey
from northgate.analytics.capture.hll import Sketch
from northgate.analytics.report.anomaly import (
    ShareRules,
    Surge,
    SurgeRules,
    country_shares,
    surge,
)
from northgate.analytics.report.model import CountryRow, Figure, Report, ReportInputs
from northgate.analytics.report.series import series_of
from northgate.analytics.report.tally import (
    cells,
    is_bot,
    is_page_view,
    is_person,
    is_turned_away,
    people_by,
    total,
    totals_by,
    visitors_of,
)

TOP_COUNTRIES = 6
DEFAULT_SHARE_RULES = ShareRules()
DEFAULT_SURGE_RULES = SurgeRules()

Counts = Mapping[ArrivalKey, int]
Sketches = Mapping[SketchKey, Sketch]


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
    visitors_c = people_by(sk_now, now, "country")
    by_country = country_rows(now, before, visitors_c, people_by(sk_before, before, "country"))
    top = [row.country for row in by_country[:TOP_COUNTRIES]]
    window = inputs.share_window if inputs.share_window is not None else visitors_c
    return Report(
        period=inputs.period,
        last_week=inputs.last_week,
        description=description,
        last_week_description=last_week_description,
        totals=totals(now, before, sk_now, sk_before),
        by_section=by_section(now, before, sk_now, sk_before),
        by_outcome=by_outcome(now, before),
        by_country=by_country,
        series=series_of(inputs.period, inputs.last_week, now, before, sk_now, top),
        country_shares=country_shares(window, inputs.baseline_countries, share_rules),
        surges=surges(inputs, surge_rules),
        notes=list(notes),
    )


def totals(now: Counts, before: Counts, sk_now: Sketches, sk_before: Sketches) -> dict[str, Figure]:
    return {
        "arrivals": Figure(total(now), total(before)),
        "page_views": Figure(total(now, is_page_view), total(before, is_page_view)),
        "visitors": Figure(
            min(visitors_of(sk_now, "all"), total(now, is_person)),
            min(visitors_of(sk_before, "all"), total(before, is_person)),
        ),
        "turned_away": Figure(total(now, is_turned_away), total(before, is_turned_away)),
        "bots": Figure(total(now, is_bot), total(before, is_bot)),
    }


def by_section(
    now: Counts, before: Counts, sk_now: Sketches, sk_before: Sketches
) -> dict[str, dict[str, Figure]]:
    """Per section: arrivals, visitors, then arrivals by each outcome."""
    visitors, visitors_before = (
        people_by(sk_now, now, "section"),
        people_by(sk_before, before, "section"),
    )
    cells_now, cells_before = cells(now), cells(before)
    sections: dict[str, dict[str, Figure]] = {}
    for section in SECTIONS:
        figures = {
            "arrivals": Figure(
                sum(cells_now.get((section, o), 0) for o in OUTCOMES),
                sum(cells_before.get((section, o), 0) for o in OUTCOMES),
            ),
            "visitors": Figure(visitors.get(section, 0), visitors_before.get(section, 0)),
        }
        for outcome in OUTCOMES:
            figures[outcome] = Figure(
                cells_now.get((section, outcome), 0), cells_before.get((section, outcome), 0)
            )
        sections[section] = figures
    return sections


def by_outcome(now: Counts, before: Counts) -> dict[str, Figure]:
    outcomes_now, outcomes_before = totals_by(now, "outcome"), totals_by(before, "outcome")
    return {
        outcome: Figure(outcomes_now.get(outcome, 0), outcomes_before.get(outcome, 0))
        for outcome in OUTCOMES
    }


def country_rows(
    now: Counts, before: Counts, visitors: Mapping[str, int], visitors_before: Mapping[str, int]
) -> list[CountryRow]:
    """Every country seen in either week, most visitors first, with its share of visitors."""
    arrivals, arrivals_before = totals_by(now, "country"), totals_by(before, "country")
    total_v, total_v_before = sum(visitors.values()), sum(visitors_before.values())
    countries = set(arrivals) | set(arrivals_before)
    return sorted(
        (
            CountryRow(
                country=country,
                arrivals=Figure(arrivals.get(country, 0), arrivals_before.get(country, 0)),
                visitors=Figure(visitors.get(country, 0), visitors_before.get(country, 0)),
                share=visitors.get(country, 0) / total_v if total_v else 0.0,
                share_last_week=(
                    visitors_before.get(country, 0) / total_v_before if total_v_before else 0.0
                ),
            )
            for country in countries
        ),
        key=lambda row: (-row.visitors.value, -row.arrivals.value, row.country),
    )


def surges(inputs: ReportInputs, rules: SurgeRules) -> list[Surge]:
    """The surge rule over the last 15 minutes, for all arrivals and for each section."""
    return [
        surge(
            section,
            inputs.surge_minutes.get(section, ()),
            inputs.surge_minutes_last_week.get(section, ()),
            rules,
        )
        for section in ["all", *SECTIONS]
    ]
