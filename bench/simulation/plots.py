"""The simulation's charts (PNG, small): the 2016 night, Northgate's, and the node count."""

from __future__ import annotations

from pathlib import Path as FilePath
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
from matplotlib.axes import Axes

DPI = 72
DAYS = ("Tue", "Wed", "Thu")


def clock(hour: float) -> str:
    """'Tue 23:00' for hours from Tuesday 8 November 2016, 00:00."""
    day = DAYS[int(hour // 24)] if 0 <= hour < 72 else f"{hour:+.0f}h"
    return f"{day} {int(hour % 24):02d}:00"


def _hour_axis(ax: Axes, start_h: float, end_h: float) -> None:
    ticks = [h for h in range(int(start_h), int(end_h) + 1) if h % 6 == 0]
    ax.set_xticks(ticks, [clock(h) for h in ticks], fontsize=7)
    ax.set_xlim(start_h, end_h)
    ax.grid(alpha=0.3)


BIN = 10  # minutes a plotted point stands for: per-minute counts are mostly Poisson noise


def _binned(values: list[float], how: str = "mean") -> list[float]:
    chunks = [values[i : i + BIN] for i in range(0, len(values), BIN)]
    if how == "max":
        return [max(c) for c in chunks]
    return [sum(c) / len(c) for c in chunks]


def _hours(n: int, start_h: float, factor: float) -> list[float]:
    """The incident's hour at the middle of each plotted bin."""
    return [start_h + (i + 0.5 * min(BIN, n - i)) * 60 * factor / 3600 for i in range(0, n, BIN)]


def _per_hour(values: list[int], factor: float, scale: float) -> list[float]:
    """Per-minute counts as visitors an hour of the incident, at full scale."""
    return _binned([v * 60 / factor / scale for v in values])


def night(
    scenario: dict[str, Any], title: str, start_h: float, factor: float, scale: float,
    out: FilePath,
) -> None:  # fmt: skip
    """Offered, served, errors or shed; the line; utilisation and nodes, over the night."""
    m = scenario["minutes"]
    hours = _hours(len(m["offered"]), start_h, factor)
    fig, (top, middle, bottom) = plt.subplots(
        3, 1, figsize=(9, 6.5), sharex=True, dpi=DPI, height_ratios=(3, 2, 2)
    )
    top.plot(hours, _per_hour(m["served"], factor, scale), label="served", lw=1.2)
    if any(m["errors"]):
        top.plot(hours, _per_hour(m["errors"], factor, scale), label="errors", lw=1.2, c="red")
    if any(m["shed"]):
        top.plot(hours, _per_hour(m["shed"], factor, scale), label="left the line", lw=1.2)
    top.plot(hours, _per_hour(m["offered"], factor, scale), label="offered (reloads too)",
             lw=0.8, c="black", ls="--")  # fmt: skip
    top.set_ylabel("visitors / hour")
    top.set_title(title, fontsize=10)
    top.legend(fontsize=7, loc="upper right")
    middle.plot(hours, _binned([q / scale for q in m["queued"]], "max"), lw=1.2,
                label="waiting: line or backlog (max)")  # fmt: skip
    middle.set_ylabel("visitors", fontsize=8)
    if any(m["eta_s"]):
        eta = middle.twinx()
        eta.plot(hours, _binned([e / 60 for e in m["eta_s"]], "max"), c="purple", lw=0.8,
                 label="ETA shown (max, min)")  # fmt: skip
        eta.set_ylabel("minutes", fontsize=8)
        eta.legend(fontsize=7, loc="upper right")
    middle.legend(fontsize=7, loc="upper left")
    bottom.plot(hours, _binned(m["utilisation"]), c="grey", lw=1, label="utilisation")
    bottom.set_ylim(0, 1.05)
    bottom.set_ylabel("utilisation", fontsize=8)
    count = bottom.twinx()
    count.step(hours, _binned(m["nodes"], "max"), c="green", lw=1.2, where="mid", label="nodes")
    count.set_ylim(0, max(m["nodes"]) + 1)
    count.set_ylabel("nodes", fontsize=8)
    for event in scenario["events"]:
        if event["event"] in ("early warning", "servers doubled", "nodes in service"):
            h = start_h + event["t_s"] * factor / 3600
            color = "orange" if event["event"] == "early warning" else "green"
            bottom.axvline(h, color=color, lw=0.8, ls="--")
    bottom.legend(fontsize=7, loc="upper left")
    count.legend(fontsize=7, loc="upper right")
    for ax in (top, middle, bottom):
        _hour_axis(ax, start_h, hours[-1])
    fig.tight_layout()
    fig.savefig(out, dpi=DPI)
    plt.close(fig)


def nodes(sweeps: dict[str, list[dict[str, Any]]], out: FilePath) -> None:
    """Time in line (p99) and the longest ETA shown, by node count, for each node kind."""
    fig, ax = plt.subplots(figsize=(7, 4), dpi=DPI)
    for label, rows in sweeps.items():
        xs = [r["nodes"] for r in rows]
        ax.plot(xs, [r["wait_p99_s"] / 60 for r in rows], marker="o", label=f"{label}: p99 wait")
        ax.plot(xs, [r["max_eta_s"] / 60 for r in rows], marker="x", ls="--",
                label=f"{label}: longest ETA shown")  # fmt: skip
    most = max((r["nodes"] for rows in sweeps.values() for r in rows), default=1)
    ax.set_xticks(range(1, most + 1))
    ax.set_xlabel("nodes (fixed, no scale-out), Tue 20:00 - Wed 02:00 at 200,000 visitors/h")
    ax.set_ylabel("minutes")
    ax.set_yscale("symlog", linthresh=1)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    ax.set_title("Nodes Northgate needs to hold the 2016 peak", fontsize=10)
    fig.tight_layout()
    fig.savefig(out, dpi=DPI)
    plt.close(fig)
