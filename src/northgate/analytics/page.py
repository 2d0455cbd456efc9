"""The operators' analytics page: server-rendered HTML with inline SVG charts, no JavaScript."""

from __future__ import annotations

import base64
import hashlib
from html import escape
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from northgate.analytics.charts import charts_of, render_svg
from northgate.analytics.report import Figure, Report

CHOICES = [
    ("live", "Live (5 min)"),
    ("1", "1 hour"),
    ("6", "6 hours"),
    ("24", "24 hours"),
    ("168", "7 days"),
]

_STYLE = """
body{font-family:"Noto Sans",Arial,sans-serif;margin:1.5rem;color:#333;max-width:1100px}
h1{font-size:1.6rem;margin:0 0 .25rem} h2{font-size:1.2rem;margin-top:2rem}
table{border-collapse:collapse;margin:.5rem 0} th,td{padding:.25rem .6rem;text-align:right}
th:first-child,td:first-child{text-align:left} thead th{border-bottom:2px solid #333}
tbody tr:nth-child(odd){background:#f5f5f5}
.flags{border-left:6px solid #D55E00;background:#fff3ec;padding:.5rem 1rem}
.calm{border-left:6px solid #009E73;background:#effaf6;padding:.5rem 1rem}
.up{color:#a33d00;font-weight:bold} nav a{margin-right:1rem} svg{max-width:100%;height:auto}
.muted{color:#555;font-size:.9rem}
"""
# The page's one inline style, allowed by its hash rather than by 'unsafe-inline'.
_STYLE_HASH = base64.b64encode(hashlib.sha256(_STYLE.encode()).digest()).decode()
PAGE_POLICY = (
    f"default-src 'self'; style-src 'sha256-{_STYLE_HASH}'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


def _ratio(figure: Figure) -> str:
    ratio = figure.ratio
    if ratio is None:
        return "new" if figure.value else "–"
    text = f"{ratio:.2f}×"
    return f'<span class="up">{text}</span>' if ratio >= 3 else text


def _figure_cells(figure: Figure) -> str:
    return f"<td>{figure.value:,}</td><td>{figure.last_week:,}</td><td>{_ratio(figure)}</td>"


def render_page(report: Report, tz: ZoneInfo, choice: str) -> str:
    query = urlencode({"hours": choice})
    charts = charts_of(report, tz)
    flags = report.anomalies
    out = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        "<meta http-equiv='refresh' content='30'>" if report.period.live else "",
        "<title>Analytics – Northgate operators</title>",
        f"<style>{_STYLE}</style></head><body><main>",
        "<h1>Arrivals at the edge</h1>",
        f"<p class='muted'>{escape(report.description)}. Every figure has the same time last "
        f"week beside it ({escape(report.last_week_description)}).</p>",
        "<nav aria-label='Period'>"
        + "".join(
            f"<a href='?hours={value}'{' aria-current=page' if value == choice else ''}>{label}</a>"
            for value, label in CHOICES
        )
        + f"<a href='/api/v1/analytics/report?{query}'>JSON</a></nav>",
    ]
    if flags:
        items = "".join(f"<li>{escape(flag)}</li>" for flag in flags)
        out.append(
            f"<section class='flags' aria-label='Anomalies'><h2>Anomalies</h2>"
            f"<ul>{items}</ul></section>"
        )
    else:
        out.append(
            "<p class='calm'>No anomaly: country shares within their usual bands, "
            "no week-over-week surge.</p>"
        )
    out.append(
        "<h2>Totals</h2><table><thead><tr><th></th><th>now</th><th>last week</th>"
        "<th>ratio</th></tr></thead><tbody>"
    )
    for name, figure in report.totals.items():
        out.append(
            f"<tr><th scope='row'>{escape(name.replace('_', ' '))}</th>{_figure_cells(figure)}</tr>"
        )
    out.append("</tbody></table>")
    for chart in charts.values():
        out.append(
            f"<figure>{render_svg(chart)}<figcaption class='muted'>"
            f"{escape(chart.description)} "
            f"<a href='/ops/analytics/charts/{chart.name}.png?{query}'>PNG</a> · "
            f"<a href='/ops/analytics/charts/{chart.name}.svg?{query}'>SVG</a>"
            "</figcaption></figure>"
        )
    out.append(
        "<h2>By outcome</h2><table><thead><tr><th></th><th>now</th><th>last week</th>"
        "<th>ratio</th></tr></thead><tbody>"
    )
    for name, figure in report.by_outcome.items():
        out.append(
            f"<tr><th scope='row'>{escape(name.replace('_', ' '))}</th>{_figure_cells(figure)}</tr>"
        )
    out.append("</tbody></table>")
    out.append(
        "<h2>By section</h2><table><thead><tr><th></th><th>arrivals</th><th>last week"
        "</th><th>ratio</th><th>visitors</th><th>queued</th><th>shed</th>"
        "<th>server errors</th></tr></thead><tbody>"
    )
    for section, f in report.by_section.items():
        out.append(
            f"<tr><th scope='row'>{section}</th>{_figure_cells(f['arrivals'])}"
            f"<td>{f['visitors'].value:,}</td><td>{f['queued'].value:,}</td>"
            f"<td>{f['shed'].value:,}</td><td>{f['server_error'].value:,}</td></tr>"
        )
    out.append("</tbody></table>")
    out.append(
        "<h2>By country</h2><table><thead><tr><th></th><th>visitors</th><th>share</th>"
        "<th>share last week</th><th>arrivals</th><th>last week</th><th>ratio</th>"
        "</tr></thead><tbody>"
    )
    for row in report.by_country[:25]:
        out.append(
            f"<tr><th scope='row'>{escape(row.country)}</th>"
            f"<td>{row.visitors.value:,}</td><td>{row.share:.1%}</td>"
            f"<td>{row.share_last_week:.1%}</td>{_figure_cells(row.arrivals)}</tr>"
        )
    out.append("</tbody></table><h2>Notes</h2><ul class='muted'>")
    out.extend(f"<li>{escape(note)}</li>" for note in report.notes)
    out.append("</ul></main></body></html>")
    return "\n".join(part for part in out if part)
