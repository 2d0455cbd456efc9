"""The operators' analytics page, in English and French: the site's layout, figures beside
the same time last week, inline SVG charts, no JavaScript.

Interface strings come from the web catalogues; what the report itself says (period
descriptions, anomaly flags, notes) stays in English and is marked so.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from babel.numbers import format_decimal, format_percent

from northgate.analytics.charts import charts_of, render_svg
from northgate.analytics.report import Figure, Report
from northgate.site.pages import Lang, other_language
from northgate.site.render import chrome_context
from northgate.web.assets import AssetBundle
from northgate.web.i18n import gettext
from northgate.web.templating import environment

PATHS: Mapping[Lang, str] = {"en": "/ops/analytics", "fr": "/ops/analytics/fr"}
LOCALES: Mapping[Lang, str] = {"en": "en_CA", "fr": "fr_CA"}
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
        "served": gettext(lang, "served"),
        "queued": gettext(lang, "queued"),
        "shed": gettext(lang, "shed"),
        "client_error": gettext(lang, "client errors"),
        "server_error": gettext(lang, "server errors"),
        "information": gettext(lang, "information"),
        "eta": gettext(lang, "eTA"),
        "payment": gettext(lang, "payment"),
        "status": gettext(lang, "status"),
        "api": gettext(lang, "API"),
        "assets": gettext(lang, "assets"),
        "ops": gettext(lang, "operations"),
    }


def render_page(
    report: Report, tz: ZoneInfo, choice: str, *, lang: Lang, assets: AssetBundle
) -> str:
    locale = LOCALES[lang]

    def number(value: float) -> str:
        return format_decimal(value, locale=locale)

    def percent(share: float) -> str:
        return format_percent(share, "#,##0.0%", locale=locale)

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
    context = chrome_context(lang, assets) | {
        "title": gettext(lang, "Arrivals at the edge"),
        "other_url": f"{PATHS[other_language(lang)]}?{query}",
        "report": report,
        "live": report.period.live,
        "description": report.description,
        "last_week_description": report.last_week_description,
        "choices": _choices(lang),
        "choice": choice,
        "query": query,
        "flags": report.anomalies,
        "charts": charts,
        "names": _names(lang),
        "number": number,
        "percent": percent,
        "ratio": ratio,
    }
    return environment(lang).get_template("ops/analytics.html").render(context)
