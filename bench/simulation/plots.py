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


def _hours(scenario: dict[str, Any], start_h: float, factor: float) -> list[float]:
    n = len(scenario["minutes"]["offered"])
    return [start_h + (m + 0.5) * 60 * factor / 3600 for m in range(n)]


def _per_hour(values: list[int], factor: float, scale: float) -> list[float]:
    """Per-minute counts as visitors an hour of the incident, at full scale."""
    return [v * 60 / factor / scale for v in values]


def night(
    scenario: dict[str, Any], title: str, start_h: float, factor: float, scale: float,
    out: FilePath,
) -> None:  # fmt: skip
    """Offered, served, errors or shed, the line, and the nodes, over the night."""
    m = scenario["minutes"]
    hours = _hours(scenario, start_h, factor)
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(9, 5.6), sharex=True, dpi=DPI)
    top.plot(hours, _per_hour(m["offered"], factor, scale), label="offered (retries too)", lw=1)
    top.plot(hours, _per_hour(m["served"], factor, scale), label="served", lw=1)
    if any(m["errors"]):
        top.plot(hours, _per_hour(m["errors"], factor, scale), label="errors", lw=1, color="red")
    if any(m["shed"]):
        top.plot(hours, _per_hour(m["shed"], factor, scale), label="left the line", lw=1)
    top.set_ylabel("visitors / hour")
    top.set_title(title, fontsize=10)
    top.legend(fontsize=7, loc="upper right")
    _hour_axis(top, hours[0], hours[-1])
    bottom.plot(hours, [q / scale for q in m["queued"]], label="waiting (line or backlog)", lw=1)
    bottom.set_ylabel("waiting")
    right = bottom.twinx()
    right.plot(hours, m["utilisation"], color="grey", lw=0.8, label="utilisation")
    right.plot(hours, [n / max(m["nodes"]) for n in m["nodes"]], color="green", lw=1,
               label=f"nodes (max {max(m['nodes'])})")  # fmt: skip
    right.set_ylim(0, 1.05)
    right.set_ylabel("utilisation; nodes / max", fontsize=8)
    for event in scenario["events"]:
        if event["event"] in ("early warning", "servers doubled"):
            h = start_h + event["t_s"] * factor / 3600
            bottom.axvline(h, color="orange", lw=0.8, ls="--")
    bottom.legend(fontsize=7, loc="upper left")
    right.legend(fontsize=7, loc="upper right")
    _hour_axis(bottom, hours[0], hours[-1])
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
    ax.set_xlabel("nodes (fixed, no scale-out), Tue 20:00 - Wed 02:00 at 200,000 visitors/h")
    ax.set_ylabel("minutes")
    ax.set_yscale("symlog", linthresh=1)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    ax.set_title("Nodes Northgate needs to hold the 2016 peak", fontsize=10)
    fig.tight_layout()
    fig.savefig(out, dpi=DPI)
    plt.close(fig)
