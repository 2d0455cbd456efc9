"""What `northgate scale` does, from the settings: the CLI command only parses flags."""

from __future__ import annotations

import os
from collections.abc import Callable

from northgate.scaling import upstream
from northgate.scaling.advice import nodes_needed, utilisation
from northgate.scaling.nginx import Nginx
from northgate.scaling.nodes import Nodes, ProcessNodes, SystemdNodes, systemd_running
from northgate.scaling.scaler import Scaler
from northgate.settings import Settings


def advise(settings: Settings, capacity: float | None = None) -> tuple[str, int | None]:
    """A sentence for the operator, and the advised number of nodes (None without a
    forecast peak to compute it from). ``capacity``: arrivals/s one node sustains, by
    default the measured capacity in the settings (capacity_node_arrivals_per_minute)."""
    now = len(upstream.read_ports(settings.scale_upstream_file))
    peak = settings.scale_forecast_peak
    per_node = capacity if capacity is not None else settings.capacity_node_arrivals_per_minute / 60
    if peak is None:
        return (
            f"{now} node(s) in rotation. For advice give the forecast peak"
            " (--peak, arrivals per second).",
            None,
        )
    count = nodes_needed(peak, per_node, settings.scale_headroom)
    at_peak = f"{utilisation(peak, per_node, now):.0%}" if now else "no node"
    return (
        f"Peak {peak:g} arrivals/s, {per_node:g} per node, {settings.scale_headroom:.0%}"
        f" kept spare: {count} node(s) needed; {now} in rotation ({at_peak} at the peak).",
        count,
    )


def nodes_for(settings: Settings) -> Nodes:
    runner = settings.scale_runner
    if runner == "systemd" or (runner == "auto" and systemd_running()):
        return SystemdNodes()
    return ProcessNodes(settings.var_dir / "scale", settings.host, os.environ)


def scaler(settings: Settings, say: Callable[[str], None]) -> Scaler:
    return Scaler(
        host=settings.host,
        base_port=settings.port,
        upstream_file=settings.scale_upstream_file,
        history_file=settings.scale_history_path,
        nginx=Nginx(settings.scale_nginx_command, settings.scale_nginx_pid_file),
        nginx_url=settings.scale_nginx_url,
        nodes=nodes_for(settings),
        ready_timeout=settings.scale_ready_timeout_seconds,
        say=say,
    )
