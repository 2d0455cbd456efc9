"""A report as plain-text tables for the terminal (``northgate report``)."""

from __future__ import annotations

from collections.abc import Sequence

from northgate.analytics.report.model import Figure, Report

MAX_COUNTRIES = 15


def _ratio(figure: Figure) -> str:
    ratio = figure.ratio
    if ratio is None:
        return "new" if figure.value else "-"
    return f"{ratio:.2f}x"


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows, strict=True)]

    def line(cells: Sequence[str]) -> str:
        first, *rest = cells
        return "  ".join(
            [str(first).ljust(widths[0])]
            + [str(cell).rjust(width) for cell, width in zip(rest, widths[1:], strict=True)]
        )

    rule = "  ".join("-" * width for width in widths)
    return "\n".join([line(headers), rule, *(line(row) for row in rows)])


def _figure_row(name: str, figure: Figure) -> list[str]:
    return [name, f"{figure.value:,}", f"{figure.last_week:,}", _ratio(figure)]


def render_text(report: Report) -> str:
    parts = [f"Northgate analytics: {report.description}"]
    parts[0] += f"\nSame time last week: {report.last_week_description}"
    headers = ["", "now", "last week", "ratio"]
    parts.append(
        table(headers, [_figure_row(k.replace("_", " "), f) for k, f in report.totals.items()])
    )
    parts.append(
        "By outcome\n"
        + table(
            headers, [_figure_row(k.replace("_", " "), f) for k, f in report.by_outcome.items()]
        )
    )
    section_rows = []
    for section, figures in report.by_section.items():
        arrivals, visitors = figures["arrivals"], figures["visitors"]
        away = sum(figures[o].value for o in ("queued", "shed", "server_error"))
        section_rows.append(
            [
                section,
                f"{arrivals.value:,}",
                f"{arrivals.last_week:,}",
                _ratio(arrivals),
                f"{visitors.value:,}",
                f"{away:,}",
            ]
        )
    parts.append(
        "By section\n"
        + table(["", "arrivals", "last week", "ratio", "visitors", "turned away"], section_rows)
    )
    country_rows = [
        [
            row.country,
            f"{row.visitors.value:,}",
            f"{row.share:.1%}",
            f"{row.share_last_week:.1%}",
            f"{row.arrivals.value:,}",
            f"{row.arrivals.last_week:,}",
            _ratio(row.arrivals),
        ]
        for row in report.by_country[:MAX_COUNTRIES]
    ]
    parts.append(
        "By country (share of visitors)\n"
        + table(
            ["", "visitors", "share", "last week", "arrivals", "last week", "ratio"], country_rows
        )
    )
    flags = report.anomalies
    parts.append("Anomalies\n" + ("\n".join(f"  ! {flag}" for flag in flags) or "  none"))
    parts.append("Notes\n" + "\n".join(f"  - {note}" for note in report.notes))
    return "\n\n".join(parts) + "\n"
