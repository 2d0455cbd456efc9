"""Charts as data (what to draw) and as SVG (drawn on the server: no JavaScript needed).

Two charts read at a glance during an incident: arrivals by outcome over time (stacked, so
the red of server errors and the amber of the queue stand out against the green of served),
with last week's arrivals as a dashed line; and arrivals by country over time. The colours
are the Okabe-Ito palette, told apart by people with colour-blindness; every chart also has
a title, a text description and the figures in a table beside it on the page.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from html import escape
from zoneinfo import ZoneInfo

from northgate.analytics.capture.dimensions import TURNED_AWAY
from northgate.analytics.report.model import Report
from northgate.core.lang import Lang
from northgate.ui.i18n import gettext

OUTCOME_COLOURS = {
    "served": "#009E73",
    "queued": "#E69F00",
    "shed": "#56B4E9",
    "limited": "#F0E442",
    "client_error": "#CC79A7",
    "server_error": "#D55E00",
}
SERIES_COLOURS = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442"]
OTHER_COLOUR = "#999999"
OVERLAY_COLOUR = "#333333"

WIDTH, HEIGHT = 760, 300
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 36, 64


@dataclass(frozen=True)
class Chart:
    name: str
    title: str
    description: str
    labels: list[str]  # one per bucket, for the x axis
    stacks: dict[str, list[int]]  # bottom first
    colours: dict[str, str]
    overlay: list[int] | None = None
    overlay_label: str = ""
    # What a stack is called on the chart, when not its key (an outcome, "other").
    shown: dict[str, str] = field(default_factory=dict)

    @property
    def totals(self) -> list[int]:
        return [sum(values) for values in zip(*self.stacks.values(), strict=True)] or [0] * len(
            self.labels
        )


def _labels(report: Report, tz: ZoneInfo) -> list[str]:
    fmt = "%H:%M" if report.series.granularity == "minute" else "%a %H:%M"
    return [start.astimezone(tz).strftime(fmt) for start in report.series.starts]


def outcome_labels(lang: Lang) -> dict[str, str]:
    """How each outcome is named on the page, in its charts and tables."""
    return {
        "served": gettext(lang, "served"),
        "queued": gettext(lang, "queued"),
        "shed": gettext(lang, "shed"),
        "limited": gettext(lang, "limited"),
        "client_error": gettext(lang, "client errors"),
        "server_error": gettext(lang, "server errors"),
    }


def outcome_chart(report: Report, tz: ZoneInfo, lang: Lang = "en") -> Chart:
    stacks = dict(report.series.arrivals_by_outcome)
    total = sum(sum(values) for values in stacks.values())
    away = sum(sum(stacks.get(o, ())) for o in TURNED_AWAY)
    per_minute = report.series.granularity == "minute"
    return Chart(
        name="outcomes",
        title=gettext(lang, "Arrivals by outcome, per minute")
        if per_minute
        else gettext(lang, "Arrivals by outcome, per hour"),
        description=gettext(
            lang,
            "%(total)s arrivals, of which %(away)s were queued, shed, limited or failed; "
            "dashed line: the same time last week (%(last_week)s).",
        )
        % {"total": total, "away": away, "last_week": sum(report.series.arrivals_last_week)},
        labels=_labels(report, tz),
        stacks=stacks,
        colours=OUTCOME_COLOURS,
        overlay=report.series.arrivals_last_week,
        overlay_label=gettext(lang, "same time last week"),
        shown=outcome_labels(lang),
    )


def country_chart(report: Report, tz: ZoneInfo, lang: Lang = "en") -> Chart:
    stacks = dict(report.series.arrivals_by_country)
    colours = {
        country: SERIES_COLOURS[i % len(SERIES_COLOURS)] if country != "other" else OTHER_COLOUR
        for i, country in enumerate(stacks)
    }
    leaders = ", ".join(
        f"{row.country} {row.share:.0%}" for row in report.by_country[:4] if row.share
    )
    per_minute = report.series.granularity == "minute"
    return Chart(
        name="countries",
        title=gettext(lang, "Arrivals by country, per minute")
        if per_minute
        else gettext(lang, "Arrivals by country, per hour"),
        description=gettext(lang, "Share of visitors: %(leaders)s.") % {"leaders": leaders}
        if leaders
        else gettext(lang, "No visitors."),
        labels=_labels(report, tz),
        stacks=stacks,
        colours=colours,
        shown={"other": gettext(lang, "other")},
    )


def nice_ceiling(value: float) -> float:
    """A round number (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6 or 8 times a power of ten), at least
    ``value``: an axis maximum."""
    if value <= 0:
        return 1.0
    power = 10.0 ** math.floor(math.log10(value))
    for step in (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        if value <= step * power:
            return step * power
    return 10 * power


def _fmt(value: float) -> str:
    if value >= 1_000_000:
        return f"{value / 1_000_000:g}M"
    if value >= 1_000:
        return f"{value / 1_000:g}k"
    return f"{value:g}"


def render_svg(chart: Chart) -> str:
    n = max(len(chart.labels), 1)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    peak = max([*chart.totals, *(chart.overlay or [])], default=0)
    top = nice_ceiling(peak)
    slot = plot_w / n
    bar = max(slot * 0.8, 1.0)

    def y(value: float) -> float:
        return TOP + plot_h - value / top * plot_h

    ident = f"chart-{chart.name}"
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" role="img" '
        f'aria-labelledby="{ident}-title {ident}-desc" font-family="sans-serif" font-size="12">',
        f'<title id="{ident}-title">{escape(chart.title)}</title>',
        f'<desc id="{ident}-desc">{escape(chart.description)}</desc>',
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="#ffffff"/>',
        f'<text x="{LEFT}" y="20" font-size="14" font-weight="bold">{escape(chart.title)}</text>',
    ]
    for i in range(5):
        value = top * i / 4
        yy = y(value)
        out.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{yy:.1f}" y2="{yy:.1f}" '
            f'stroke="#dddddd"/><text x="{LEFT - 6}" y="{yy + 4:.1f}" text-anchor="end">'
            f"{_fmt(value)}</text>"
        )
    for i in range(n if chart.labels else 0):
        base = 0
        x = LEFT + i * slot + (slot - bar) / 2
        for label, values in chart.stacks.items():
            value = values[i]
            if value:
                out.append(
                    f'<rect x="{x:.1f}" y="{y(base + value):.1f}" width="{bar:.1f}" '
                    f'height="{y(base) - y(base + value):.1f}" fill="{chart.colours[label]}">'
                    f"<title>{escape(chart.labels[i])} {escape(chart.shown.get(label, label))}: "
                    f"{value}</title></rect>"
                )
            base += value
    if chart.overlay and any(chart.overlay):
        points = " ".join(
            f"{LEFT + (i + 0.5) * slot:.1f},{y(v):.1f}" for i, v in enumerate(chart.overlay)
        )
        out.append(
            f'<polyline points="{points}" fill="none" stroke="{OVERLAY_COLOUR}" '
            f'stroke-width="2" stroke-dasharray="6 4"/>'
        )
    every = max(1, math.ceil(n / 8))
    for i in range(0, len(chart.labels), every):
        x = LEFT + (i + 0.5) * slot
        out.append(
            f'<text x="{x:.1f}" y="{TOP + plot_h + 16}" text-anchor="middle">'
            f"{escape(chart.labels[i])}</text>"
        )
    out.append(
        f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{TOP + plot_h}" y2="{TOP + plot_h}" '
        f'stroke="#333333"/>'
    )
    legend = [
        (chart.shown.get(label, label), chart.colours[label], False) for label in chart.stacks
    ]
    if chart.overlay is not None:
        legend.append((chart.overlay_label, OVERLAY_COLOUR, True))
    x = float(LEFT)
    legend_y = HEIGHT - 18
    for label, colour, dashed in legend:
        if dashed:
            out.append(
                f'<line x1="{x:.1f}" x2="{x + 14:.1f}" y1="{legend_y - 4}" y2="{legend_y - 4}" '
                f'stroke="{colour}" stroke-width="2" stroke-dasharray="4 2"/>'
            )
        else:
            out.append(
                f'<rect x="{x:.1f}" y="{legend_y - 10}" width="12" height="12" fill="{colour}"/>'
            )
        out.append(f'<text x="{x + 18:.1f}" y="{legend_y}">{escape(label)}</text>')
        x += 26 + 7 * len(label)
    out.append("</svg>")
    return "\n".join(out)


def charts_of(report: Report, tz: ZoneInfo, lang: Lang = "en") -> dict[str, Chart]:
    charts = (outcome_chart(report, tz, lang), country_chart(report, tz, lang))
    return {chart.name: chart for chart in charts}


def utc_label(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
