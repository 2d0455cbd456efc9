"""The operators' capacity page, in English and French: the site's layout, a server-drawn
forecast chart (the analytics page's chart code), no JavaScript.

Numbers and times are written here in the page's language; the template lays them out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_timedelta
from babel.numbers import format_decimal, format_percent

from northgate.analytics.report.charts import Chart, render_svg
from northgate.capacity.early_warning import Warning
from northgate.capacity.service import Overview
from northgate.core.lang import Lang, other_language
from northgate.core.routes import path, paths
from northgate.ui.assets import AssetBundle
from northgate.ui.chrome import chrome_context
from northgate.ui.i18n import gettext
from northgate.ui.templating import environment

PATHS: Mapping[Lang, str] = paths("ops.capacity")
LOCALES: Mapping[Lang, str] = {"en": "en_CA", "fr": "fr_CA"}
PERCENT: Mapping[Lang, str] = {"en": "#,##0%", "fr": "#,##0\u00a0%"}
CHART_BUCKET_MINUTES = 15
CHART_AHEAD_MINUTES = 6 * 60
FORECAST_COLOURS = {
    "observed": "#0072B2",
    "low": "#56B4E9",
    "expected": "#E69F00",
    "high": "#F0E442",
}


def error_messages(lang: Lang) -> dict[str, str]:
    """What each calendar input error says, in ``lang``."""
    return {
        "name.missing": gettext(lang, "Enter a name for the event"),
        "name.long": gettext(lang, "The name must be 120 characters or fewer"),
        "time.invalid": gettext(lang, "Enter a date and time, for example 2026-11-08T18:00"),
        "time.order": gettext(lang, "The end must come after the start"),
        "time.long": gettext(lang, "An event lasts at most 14 days"),
        "multiplier.invalid": gettext(lang, "Enter the multiplier as a number, for example 2.5"),
        "multiplier.range": gettext(lang, "The multiplier must be between 0.1 and 100"),
        "csrf": gettext(
            lang, "This form was not sent from the ops page, so nothing was changed. Try again."
        ),
        "missing": gettext(lang, "No such event: it may have been deleted already."),
        "body.invalid": gettext(lang, "Send the event as a JSON object"),
    }


def forecast_chart(overview: Overview, tz: ZoneInfo, lang: Lang) -> Chart:
    """The last three hours and the next six, every 15 minutes, in arrivals per minute: what
    was observed, then the forecast as its lower bound, expected value and upper bound
    stacked; the dashed line is capacity."""
    forecast = overview.forecast
    per_bucket = CHART_BUCKET_MINUTES
    recent = overview.recent
    past = len(recent) // per_bucket
    labels, observed = [], []
    for i in range(past):
        minutes = recent[len(recent) - (past - i) * per_bucket :][:per_bucket]
        start = overview.now - dt.timedelta(minutes=(past - i) * per_bucket)
        labels.append(start.astimezone(tz).strftime("%H:%M"))
        observed.append(round(sum(minutes) / per_bucket))
    group = per_bucket // forecast.step_minutes
    ahead = forecast.points[: CHART_AHEAD_MINUTES // forecast.step_minutes]
    lows, expected, highs = [], [], []
    for i in range(0, len(ahead) - group + 1, group):
        chunk = ahead[i : i + group]  # forecast points
        labels.append(chunk[0].start.astimezone(tz).strftime("%H:%M"))
        low = sum(p.low for p in chunk) / group
        mid = sum(p.expected for p in chunk) / group
        high = sum(p.high for p in chunk) / group
        lows.append(round(low))
        expected.append(round(mid - low))
        highs.append(round(high - mid))
    n_future = len(lows)
    stacks = {
        "observed": observed + [0] * n_future,
        "low": [0] * past + lows,
        "expected": [0] * past + expected,
        "high": [0] * past + highs,
    }
    shown = {
        "observed": gettext(lang, "observed"),
        "low": gettext(lang, "forecast, lower bound"),
        "expected": gettext(lang, "to expected"),
        "high": gettext(lang, "to upper bound"),
    }
    return Chart(
        name="forecast",
        title=gettext(lang, "Arrivals and forecast, per minute"),
        description=gettext(
            lang,
            "Arrivals per minute, every 15 minutes: observed over the last 3 hours, then "
            "forecast for 6 hours (lower bound, expected, upper bound of the %(interval)s "
            "interval); dashed line: capacity (%(capacity)s a minute).",
        )
        % {
            "interval": f"{forecast.interval:.0%}",
            "capacity": format_decimal(round(forecast.capacity), locale=LOCALES[lang]),
        },
        labels=labels,
        stacks=stacks,
        colours=FORECAST_COLOURS,
        overlay=[round(forecast.capacity)] * len(labels),
        overlay_label=gettext(lang, "capacity"),
        shown=shown,
    )


def charts_of(overview: Overview, tz: ZoneInfo, lang: Lang) -> dict[str, Chart]:
    chart = forecast_chart(overview, tz, lang)
    return {chart.name: chart}


class Words:
    """Numbers, times and durations as the page's language writes them."""

    def __init__(self, lang: Lang, tz: ZoneInfo, now: dt.datetime) -> None:
        self.lang, self.tz, self.now, self.locale = lang, tz, now, LOCALES[lang]

    def number(self, value: float) -> str:
        return format_decimal(round(value), locale=self.locale)

    def decimal(self, value: float) -> str:
        return format_decimal(round(value, 1), "#,##0.0", locale=self.locale)

    def percent(self, share: float) -> str:
        return format_percent(share, PERCENT[self.lang], locale=self.locale)

    def time(self, moment: dt.datetime | None) -> str:
        if moment is None:
            return "–"
        local = moment.astimezone(self.tz)
        same_day = local.date() == self.now.astimezone(self.tz).date()
        return f"{local:%H:%M %Z}" if same_day else f"{local:%Y-%m-%d %H:%M %Z}"

    def duration(self, span: dt.timedelta) -> str:
        return format_timedelta(span, threshold=1.5, locale=self.locale)

    def warning(self, warning: Warning) -> str:
        lang = self.lang
        if warning.code == "saturated":
            return gettext(lang, "Saturated: arrivals are at %(share)s of capacity") % {
                "share": self.percent(warning.value or 0)
            }
        if warning.code == "utilisation":
            return gettext(lang, "Utilisation at %(share)s of capacity (alert from 80 %%)") % {
                "share": self.percent(warning.value or 0)
            }
        if warning.code in ("saturation_soon", "saturation_ahead"):
            text = gettext(lang, "Saturation forecast at %(time)s, in %(span)s") % {
                "time": self.time(warning.at),
                "span": self.duration((warning.at or self.now) - self.now),
            }
            if warning.code == "saturation_soon":
                text += " — " + gettext(lang, "sooner than twice the time to add a node: act now")
            return text
        if warning.code == "surge":
            return gettext(lang, "Surge: %(ratio)s× the arrivals of the same time last week") % {
                "ratio": self.decimal(warning.value or 0)
            }
        return gettext(lang, "%(event)s needs %(nodes)s nodes: scale out by %(time)s") % {
            "event": warning.event or "",
            "nodes": self.number(warning.value or 0),
            "time": self.time(warning.at),
        }


def render_page(
    overview: Overview,
    tz: ZoneInfo,
    *,
    lang: Lang,
    assets: AssetBundle,
    csrf_token: str,
    errors: Mapping[str, str] | None = None,
    values: Mapping[str, str] | None = None,
) -> str:
    words = Words(lang, tz, overview.now)
    charts = charts_of(overview, tz, lang)
    chart_links = {
        name: {
            fmt: path("ops.capacity.chart").replace("{name}", name).replace("{fmt}", fmt)
            + f"?lang={lang}"
            for fmt in ("svg", "png")
        }
        for name in charts
    }
    forecast = overview.forecast
    saturation = forecast.saturation
    context: dict[str, Any] = chrome_context(lang, assets) | {
        "title": gettext(lang, "Capacity and forecast"),
        "other_url": PATHS[other_language(lang)],
        "o": overview,
        "f": forecast,
        "w": words,
        "saturation": saturation,
        "until_saturation": (
            words.duration(saturation.expected - overview.now)
            if saturation.expected is not None
            else None
        ),
        "charts": [(c, render_svg(c), chart_links[c.name]) for c in charts.values()],
        "warnings": [(w.severity, words.warning(w)) for w in overview.warnings],
        "errors": dict(errors or {}),
        "values": dict(values or {}),
        "messages": error_messages(lang),
        "csrf_token": csrf_token,
        "calendar_action": path("ops.calendar", lang),
        "delete_action": lambda event_id: path("ops.calendar.delete", lang).replace(
            "{event_id}", str(event_id)
        ),
        "analytics_url": path("ops.analytics", lang),
        "json_url": path("api.capacity"),
        "horizon_hours": len(forecast.points) * forecast.step_minutes // 60,
    }
    return environment(lang).get_template("ops/capacity.html").render(context)
