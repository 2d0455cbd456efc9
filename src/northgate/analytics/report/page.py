"""The operators' analytics page, in English and French: the site's layout, figures beside
the same time last week, inline SVG charts, no JavaScript.

Every string comes from the web catalogues: the period, the anomaly flags and the notes
are written here from the report's figures, in the page's language.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from babel.numbers import format_decimal, format_percent

from northgate.analytics.report.charts import charts_of, outcome_labels, render_svg
from northgate.analytics.report.model import Figure, Report
from northgate.analytics.report.periods import LIVE_MINUTES, Period
from northgate.core.lang import Lang, other_language
from northgate.core.routes import paths
from northgate.ui.assets import AssetBundle
from northgate.ui.chrome import chrome_context
from northgate.ui.i18n import gettext
from northgate.ui.templating import environment

PATHS: Mapping[Lang, str] = paths("ops.analytics")
LOCALES: Mapping[Lang, str] = {"en": "en_CA", "fr": "fr_CA"}
# French puts a no-break space before the percent sign.
PERCENT: Mapping[Lang, str] = {"en": "#,##0.0%", "fr": "#,##0.0\u00a0%"}
RATIO_SHOWN = 3  # a ratio to last week from which it is shown in bold red


@dataclass(frozen=True)
class ShownChart:
    name: str
    svg: str  # drawn by charts.render_svg, which escapes every text it puts in
    description: str


def _choices(lang: Lang) -> list[tuple[str, str]]:
    return [
        ("live", gettext(lang, "Live (5 min)")),
        ("1", gettext(lang, "1 hour")),
        ("6", gettext(lang, "6 hours")),
        ("24", gettext(lang, "24 hours")),
        ("168", gettext(lang, "7 days")),
    ]


def _names(lang: Lang) -> dict[str, str]:
    """Row labels: totals, outcomes and sections."""
    return {
        "arrivals": gettext(lang, "arrivals"),
        "page_views": gettext(lang, "page views"),
        "visitors": gettext(lang, "visitors"),
        "turned_away": gettext(lang, "turned away"),
        "bots": gettext(lang, "bots"),
        **outcome_labels(lang),
        "information": gettext(lang, "information"),
        "eta": gettext(lang, "eTA"),
        "payment": gettext(lang, "payment"),
        "status": gettext(lang, "status"),
        "api": gettext(lang, "API"),
        "assets": gettext(lang, "assets"),
        "ops": gettext(lang, "operations"),
    }


def _span(period: Period, tz: ZoneInfo, lang: Lang) -> str:
    start, end = period.start.astimezone(tz), period.end.astimezone(tz)
    return gettext(lang, "%(start)s to %(end)s %(zone)s") % {
        "start": f"{start:%Y-%m-%d %H:%M}",
        "end": f"{end:%Y-%m-%d %H:%M}",
        "zone": f"{end:%Z}",
    }


def describe(period: Period, tz: ZoneInfo, lang: Lang) -> str:
    span = _span(period, tz, lang)
    if period.live:
        return gettext(lang, "live: the last %(minutes)s complete minutes, %(span)s") % {
            "minutes": LIVE_MINUTES,
            "span": span,
        }
    if period.granularity == "minute":
        return gettext(lang, "%(span)s, per minute") % {"span": span}
    return gettext(lang, "%(span)s, per hour") % {"span": span}


def flags(report: Report, lang: Lang, names: Mapping[str, str]) -> list[str]:
    """The report's anomalies, worded for people reading ``lang``."""
    locale = LOCALES[lang]

    def share(value: float) -> str:
        return format_percent(value, PERCENT[lang], locale=locale)

    found = []
    for s in report.country_shares:
        if not s.flagged:
            continue
        wording = (
            gettext(
                lang,
                "%(country)s share %(share)s is above its usual %(low)s–%(high)s "
                "(baseline %(baseline)s, z = %(z)s)",
            )
            if s.direction == "above"
            else gettext(
                lang,
                "%(country)s share %(share)s is below its usual %(low)s–%(high)s "
                "(baseline %(baseline)s, z = %(z)s)",
            )
        )
        found.append(
            wording
            % {
                "country": s.country,
                "share": share(s.share),
                "low": share(s.band[0]),
                "high": share(s.band[1]),
                "baseline": share(s.baseline_share),
                "z": format_decimal(round(s.z, 1), "0.0", locale=locale),
            }
        )
    for surge in report.surges:
        if not surge.flagged:
            continue
        section = names.get(surge.section, gettext(lang, "all sections"))
        text = gettext(
            lang,
            "%(section)s: surge, %(arrivals)s arrivals in 15 min against %(last_week)s last week",
        ) % {
            "section": section,
            "arrivals": format_decimal(surge.arrivals, locale=locale),
            "last_week": format_decimal(surge.last_week, locale=locale),
        }
        if surge.ratio:
            text += f" ({format_decimal(round(surge.ratio, 1), '0.0', locale=locale)}×)"
        found.append(text)
    return found


def notes(report: Report, lang: Lang, baseline_weeks: int, flush_seconds: float) -> list[str]:
    out = [
        gettext(lang, "visitors are distinct people (bots excluded), estimated to about ±1.6 %"),
        gettext(
            lang,
            "page views: people's arrivals in the information, eTA, payment and status sections",
        ),
        gettext(
            lang,
            "country share test: baseline is the same hours of the previous %(weeks)s weeks",
        )
        % {"weeks": baseline_weeks},
    ]
    if report.period.live:
        out.insert(
            0,
            gettext(
                lang,
                "live figures cover the last complete minutes; each server writes every "
                "%(seconds)s s, so the latest minute may still be filling",
            )
            % {"seconds": format_decimal(flush_seconds, locale=LOCALES[lang])},
        )
    return out


def render_page(
    report: Report,
    tz: ZoneInfo,
    choice: str,
    *,
    lang: Lang,
    assets: AssetBundle,
    baseline_weeks: int,
    flush_seconds: float,
) -> str:
    locale = LOCALES[lang]

    def number(value: float) -> str:
        return format_decimal(value, locale=locale)

    def percent(share: float) -> str:
        return format_percent(share, PERCENT[lang], locale=locale)

    def ratio(figure: Figure) -> tuple[str, bool]:
        """The ratio to last week as shown, and whether it is high enough to stand out."""
        value = figure.ratio
        if value is None:
            return (gettext(lang, "new") if figure.value else "–"), False
        return format_decimal(value, "#,##0.00", locale=locale) + "×", value >= RATIO_SHOWN

    charts = [
        ShownChart(chart.name, render_svg(chart), chart.description)
        for chart in charts_of(report, tz, lang).values()
    ]
    query = urlencode({"hours": choice})
    names = _names(lang)
    context = chrome_context(lang, assets) | {
        "title": gettext(lang, "Arrivals at the edge"),
        "other_url": f"{PATHS[other_language(lang)]}?{query}",
        # The operators' other page: capacity, forecast and the event calendar.
        "capacity_url": paths("ops.capacity")[lang],
        "report": report,
        "live": report.period.live,
        "description": describe(report.period, tz, lang),
        "last_week_description": describe(report.last_week, tz, lang),
        "notes": notes(report, lang, baseline_weeks, flush_seconds),
        "choices": _choices(lang),
        "choice": choice,
        "query": query,
        "flags": flags(report, lang, names),
        "charts": charts,
        "names": names,
        "number": number,
        "percent": percent,
        "ratio": ratio,
    }
    return environment(lang).get_template("ops/analytics.html").render(context)
