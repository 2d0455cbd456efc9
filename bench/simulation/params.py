"""The model's parameters: what a node can do, what a visitor costs, how 2016 was set up.

Every figure is a parameter, loaded from JSON, so that the replay's measurements can replace
the defaults when the model is calibrated against it (issue 19: within 15 %). The defaults
come from the benchmarks in ``bench/results/`` and from the incident (``from_bench_results``
says which figure and why).
"""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path as FilePath
from typing import Any

from northgate.replay.curve import (
    CAPACITY_2016_PER_H,
    FIXED_H,
    SERVERS_2016,
    SERVERS_2016_AFTER_FIX,
    WARNING_H,
    Path,
    path_shares,
)

#: Dynamic requests a visitor's path sends to an application node. Information pages are
#: three page views: served by the edge in Northgate (static export behind nginx), by the
#: application servers in 2016. The application is one question per page, check answers,
#: payment and confirmation.
REQUESTS_PER_PATH: dict[str, int] = {
    Path.INFORMATION: 3,
    Path.TRIAGE: 4,
    Path.APPLICATION: 14,
    Path.STATUS: 2,
    Path.GIVE_UP: 2,
}


@dataclasses.dataclass(frozen=True)
class Node:
    """One application node: requests per second at its best concurrency (``slots``)."""

    capacity_per_s: float
    slots: int

    @property
    def service_s(self) -> float:
        """One request's time on a slot: at full use, ``slots`` of them take this long."""
        return self.slots / self.capacity_per_s


@dataclasses.dataclass(frozen=True)
class Config2016:
    servers: int = SERVERS_2016
    servers_after_fix: int = SERVERS_2016_AFTER_FIX
    fix_hour: float = FIXED_H
    slots_per_server: int = 8  # worker threads; the capacity is set by capacity_per_s
    backlog_per_server: int = 128  # Linux's somaxconn default of the time
    timeout_s: float = 30.0  # the load balancer or the browser gives up on a silent server
    serve_abandoned: bool = True  # a timed-out request still in the backlog is still served
    retry_probability: float = 0.5  # a visitor shown an error tries again (reload)
    retry_after_s: float = 30.0
    max_attempts: int = 3


@dataclasses.dataclass(frozen=True)
class Gate:
    """Northgate's edge line and its early warning and scale-out."""

    patience_s: float = 3600.0  # mean time a visitor keeps their place before leaving
    warning_utilisation: float = 0.8
    warning_clears_at: float = 0.7  # the warning stands until the load falls below this
    trend_minutes: int = 15  # the forecast's window: a least-squares line through it
    horizon_minutes: float = 30.0  # warn when saturation is forecast within this
    provisioning_minutes: float = 5.0  # `northgate scale` until the node takes traffic
    target_utilisation: float = 0.7  # scale out until the forecast load is this share
    min_nodes: int = 1
    max_nodes: int = 64


@dataclasses.dataclass(frozen=True)
class Params:
    requests_per_path: dict[str, int]
    node: Node  # a Northgate node as measured
    server_2016: Node  # a 2016 server, derived from the incident
    config_2016: Config2016
    gate: Gate
    sources: dict[str, str]

    def requests(self, path: str) -> int:
        return self.requests_per_path[path]

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Params:
        return cls(
            requests_per_path={str(k): int(v) for k, v in data["requests_per_path"].items()},
            node=Node(**data["node"]),
            server_2016=Node(**data["server_2016"]),
            config_2016=Config2016(**data["config_2016"]),
            gate=Gate(**data["gate"]),
            sources=dict(data.get("sources", {})),
        )

    @classmethod
    def load(cls, path: FilePath) -> Params:
        return cls.from_json(json.loads(path.read_text()))


def mean_requests(hour: float, requests_per_path: dict[str, int], edge: bool) -> float:
    """Node requests per visitor at ``hour``; with ``edge``, information pages cost none."""
    return sum(
        share * (0 if edge and path == Path.INFORMATION else requests_per_path[path])
        for path, share in path_shares(hour).items()
    )


def server_2016(slots: int, requests_per_path: dict[str, int]) -> Node:
    """A 2016 server: three of them ran at 80 % at 17:00 (``CAPACITY_2016_PER_H`` visitors
    an hour of that hour's path mix), so one serves a third of that in requests."""
    per_visitor = mean_requests(WARNING_H, requests_per_path, edge=False)
    capacity = CAPACITY_2016_PER_H / 3600 * per_visitor / SERVERS_2016
    return Node(capacity_per_s=round(capacity, 2), slots=slots)


def from_bench_results(results: FilePath) -> Params:
    """Defaults from the benchmarks: a node's capacity is ``bench.overload``'s
    ``capacity_per_s`` (POST /api/v1/applications, validate + save + schedule, one worker,
    the best of 1, 2 or 4 clients), at the concurrency that reached it (its ``slots``). Every
    dynamic request is costed as that one, the dearest of the journey, so the node count is
    an upper bound. ``bench.submit``'s figure on PostgreSQL (``median.applications_per_s``)
    is the same within 5 %, and is recorded beside it."""
    overload = json.loads((results / "overload.json").read_text())
    submit = json.loads((results / "submit.json").read_text())
    runs = overload["capacity_runs_by_concurrency"]
    best = max(runs, key=lambda k: runs[k]["created_per_s"])
    node = Node(capacity_per_s=float(overload["capacity_per_s"]), slots=int(best))
    config = Config2016()
    return Params(
        requests_per_path=dict(REQUESTS_PER_PATH),
        node=node,
        server_2016=server_2016(config.slots_per_server, REQUESTS_PER_PATH),
        config_2016=config,
        gate=Gate(),
        sources={
            "node.capacity_per_s": "bench/results/overload.json capacity_per_s",
            "node.slots": f"bench/results/overload.json capacity_runs_by_concurrency: {best}",
            "node.submit_on_postgresql_per_s": str(submit["median"]["applications_per_s"]),
            "server_2016": "derived: 3 servers at 80 % at 17:00 = 100,000 visitors/h "
            "(northgate.replay.curve.CAPACITY_2016_PER_H) of that hour's path mix",
        },
    )


def nodes_for(rate_per_s: float, node: Node, utilisation: float) -> int:
    """Nodes that serve ``rate_per_s`` requests a second at ``utilisation`` of capacity."""
    return max(1, math.ceil(rate_per_s / (node.capacity_per_s * utilisation)))
