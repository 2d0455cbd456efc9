"""Charts as PNG, for incident reports: the same :class:`Chart` drawn by matplotlib.

matplotlib is imported on first use (it takes a moment and some memory), with the
object-oriented API and the Agg canvas only: no pyplot global state, safe in a thread.
"""

from __future__ import annotations

import io

from northgate.analytics.report.charts import OVERLAY_COLOUR, Chart, nice_ceiling


def render_png(chart: Chart, *, dpi: int = 120) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(9, 4.2), dpi=dpi, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    positions = list(range(len(chart.labels)))
    bottom = [0] * len(positions)
    for label, values in chart.stacks.items():
        axes.bar(
            positions,
            values,
            bottom=bottom,
            color=chart.colours[label],
            label=label.replace("_", " "),
            width=0.8,
        )
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    if chart.overlay is not None and any(chart.overlay):
        axes.plot(
            positions,
            chart.overlay,
            color=OVERLAY_COLOUR,
            linestyle="--",
            linewidth=1.5,
            label=chart.overlay_label,
        )
    peak = max([*bottom, *(chart.overlay or [])], default=0)
    axes.set_ylim(0, nice_ceiling(peak * 1.05))
    axes.set_ylabel(f"arrivals per {chart.title.rsplit(' ', 1)[-1]}")
    step = max(1, -(-len(positions) // 8))
    axes.set_xticks(positions[::step], chart.labels[::step])
    figure.suptitle(chart.title, x=0.01, ha="left", fontsize=11, fontweight="bold")
    axes.set_title(chart.description, loc="left", fontsize=8, color="#333333")
    axes.grid(axis="y", color="#dddddd")
    axes.set_axisbelow(True)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    figure.legend(
        loc="outside lower center", fontsize=8, frameon=False, ncols=min(len(chart.stacks) + 1, 8)
    )
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
