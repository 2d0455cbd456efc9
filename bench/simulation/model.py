"""The night as a SimPy model: 2016's servers, and Northgate's edge, line and scale-out.

One job per visitor: the node time of the visitor's whole path (their requests times a
request's service time) on one slot. A node's capacity is ``slots`` jobs' worth of
requests at once; work, not connections, is what the night ran out of, and one job per
visitor keeps 3.5 million visitors within a few minutes of CPU.

**2016**: every visitor (information pages too) goes to the servers, balanced over one
pool. A visitor waits in the accept backlog; beyond the backlog they are refused at once,
past ``timeout_s`` they see an error, and the server still serves their dead request when
it reaches it (``serve_abandoned``): that is how a server at its maximum serves almost
nobody. An error brings some visitors back (``retry_probability``). The servers double at
``fix_hour``.

**Northgate**: information visitors are served by the edge and never reach a node. The
others go through the gate: admitted while a slot is free, else they take a place at the
end of the line and are admitted in order as slots free; nobody times out, some give up
after their patience. Once a minute the early warning looks at the offered work: it warns
at ``warning_utilisation`` of the nodes' capacity, or when the trend over ``trend_minutes``
reaches capacity within ``horizon_minutes``, and then orders enough nodes for the forecast
load at ``target_utilisation``; they take traffic ``provisioning_minutes`` later.

Capacity that comes later is modelled by a pool sized for the most it will ever have,
whose missing slots are held by placeholder jobs released when the capacity arrives.
"""

from __future__ import annotations

import dataclasses
import math
import random
from collections.abc import Iterable
from typing import Any

import simpy

from bench.simulation.params import Config2016, Gate, Node, Params
from northgate.replay.arrivals import Arrival
from northgate.replay.curve import Curve, Path

MINUTE_S = 60.0


@dataclasses.dataclass
class Minutes:
    """Per-minute figures of one run (index = minute from the start)."""

    n: int
    offered: list[int] = dataclasses.field(init=False)  # arrivals, retries too
    served: list[int] = dataclasses.field(init=False)  # visitors served (in time)
    queued: list[int] = dataclasses.field(init=False)  # waiting at the minute's end
    shed: list[int] = dataclasses.field(init=False)  # left the line unserved
    errors: list[int] = dataclasses.field(init=False)  # refused or timed out
    busy_s: list[float] = dataclasses.field(init=False)  # slot-seconds at work
    slots: list[int] = dataclasses.field(init=False)  # slots in service
    nodes: list[int] = dataclasses.field(init=False)
    eta_s: list[float] = dataclasses.field(init=False)  # the wait the line shows
    waits: list[list[float]] = dataclasses.field(init=False)  # by minute of admission

    def __post_init__(self) -> None:
        n = self.n
        self.offered, self.served, self.queued = [0] * n, [0] * n, [0] * n
        self.shed, self.errors, self.slots, self.nodes = [0] * n, [0] * n, [0] * n, [0] * n
        self.busy_s, self.eta_s = [0.0] * n, [0.0] * n
        self.waits = [[] for _ in range(n)]

    def minute(self, t: float) -> int:
        return min(self.n - 1, max(0, int(t // MINUTE_S)))

    def add_busy(self, start: float, duration: float) -> None:
        """Spread a job's slot time over the minutes it spans (none past the run's end)."""
        t, end = start, min(start + duration, self.n * MINUTE_S)
        while t < end:
            m = min(self.n - 1, int(t // MINUTE_S))
            edge = min(end, (m + 1) * MINUTE_S)
            self.busy_s[m] += edge - t
            t = edge

    def utilisation(self) -> list[float]:
        return [
            b / (s * MINUTE_S) if s else 0.0 for b, s in zip(self.busy_s, self.slots, strict=True)
        ]


@dataclasses.dataclass
class Result:
    name: str
    minutes: Minutes
    events: list[dict[str, Any]]  # warnings, orders, nodes taking traffic, the 2016 fix
    visitors: int  # distinct visitors (retries not counted)
    failed_visitors: int  # distinct visitors who never got served

    def summary(self) -> dict[str, Any]:
        m = self.minutes
        waits = sorted(w for ws in m.waits for w in ws)
        util = m.utilisation()
        return {
            "visitors": self.visitors,
            "offered": sum(m.offered),
            "served": sum(m.served),
            "shed": sum(m.shed),
            "errors": sum(m.errors),
            "failed_visitors": self.failed_visitors,
            "max_queued": max(m.queued, default=0),
            "queued_at_end": m.queued[-1] if m.n else 0,
            "wait_p50_s": _quantile(waits, 0.50),
            "wait_p99_s": _quantile(waits, 0.99),
            "max_eta_s": max(m.eta_s, default=0.0),
            "max_utilisation": max(util, default=0.0),
            "max_nodes": max(m.nodes, default=0),
            "minutes_with_errors": sum(1 for e in m.errors if e),
        }


def _quantile(ordered: list[float], q: float) -> float:
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class _Pool:
    """Slots of ``per_unit`` each for up to ``most`` units, ``units`` of them there now."""

    def __init__(self, env: simpy.Environment, units: int, most: int, per_unit: int) -> None:
        self.env = env
        self.per_unit = per_unit
        self.resource = simpy.Resource(env, capacity=most * per_unit)
        self.units = units
        self._held: list[simpy.resources.resource.Request] = []
        for _ in range((most - units) * per_unit):
            req = self.resource.request()
            self._held.append(req)  # granted at once: the pool is empty at the start

    def add(self, units: int) -> None:
        for _ in range(min(units * self.per_unit, len(self._held))):
            self.resource.release(self._held.pop())
        self.units += units

    @property
    def slots(self) -> int:
        return self.units * self.per_unit

    @property
    def waiting(self) -> int:
        return len(self.resource.queue)

    @property
    def in_service(self) -> int:
        return self.resource.count - len(self._held)


def _job_s(arrival: Arrival, params: Params, node: Node, edge: bool) -> float:
    if edge and arrival.path == Path.INFORMATION:
        return 0.0
    return params.requests(arrival.path) * node.service_s


def _arrive_all(
    env: simpy.Environment, stream: Iterable[Arrival], visit: Any, minutes: Minutes
) -> Any:
    for arrival in stream:
        delay = arrival.intended_time - env.now
        if delay > 0:
            yield env.timeout(delay)
        minutes.offered[minutes.minute(env.now)] += 1
        visit(arrival)


def _tick(env: simpy.Environment, minutes: Minutes, each: Any) -> Any:
    """At the end of every minute, record the state and let ``each`` act."""
    for m in range(minutes.n):
        yield env.timeout((m + 1) * MINUTE_S - env.now)
        each(m)


def run_2016(params: Params, curve: Curve, stream: Iterable[Arrival], seed: int = 0) -> Result:
    """2016: three servers, six after the fix, no admission control."""
    cfg: Config2016 = params.config_2016
    node = params.server_2016
    env = simpy.Environment()
    minutes = Minutes(math.ceil(curve.duration_s / MINUTE_S))
    pool = _Pool(env, cfg.servers, max(cfg.servers, cfg.servers_after_fix), cfg.slots_per_server)
    rng = random.Random(seed)
    events: list[dict[str, Any]] = []
    counts = {"visitors": 0, "failed": 0}

    def fail(arrival: Arrival, attempt: int) -> None:
        minutes.errors[minutes.minute(env.now)] += 1
        if attempt < cfg.max_attempts and rng.random() < cfg.retry_probability:
            env.process(retry(arrival, attempt + 1))
        else:
            counts["failed"] += 1

    def retry(arrival: Arrival, attempt: int) -> Any:
        yield env.timeout(cfg.retry_after_s)
        minutes.offered[minutes.minute(env.now)] += 1
        env.process(visit(arrival, attempt))

    def visit(arrival: Arrival, attempt: int) -> Any:
        if pool.waiting >= cfg.backlog_per_server * pool.units:
            fail(arrival, attempt)  # backlog full: refused at once, no work done
            return
        arrived = env.now
        req = pool.resource.request()
        got = yield req | env.timeout(cfg.timeout_s)
        timed_out = req not in got
        if timed_out:
            fail(arrival, attempt)
            if not cfg.serve_abandoned:
                req.cancel()
                return
            yield req  # still in the backlog: served later, for nobody
        job = _job_s(arrival, params, node, edge=False)
        minutes.add_busy(env.now, job)
        if not timed_out:
            minutes.waits[minutes.minute(env.now)].append(env.now - arrived)
        yield env.timeout(job)
        pool.resource.release(req)
        if not timed_out:
            minutes.served[minutes.minute(env.now)] += 1

    def first(arrival: Arrival) -> None:
        counts["visitors"] += 1
        env.process(visit(arrival, 1))

    def fix() -> Any:
        yield env.timeout(max(0.0, curve.run_time(cfg.fix_hour)))
        pool.add(cfg.servers_after_fix - cfg.servers)
        events.append({"t_s": env.now, "event": "servers doubled", "nodes": pool.units})

    def record(m: int) -> None:
        minutes.queued[m] = pool.waiting
        minutes.slots[m] = pool.slots
        minutes.nodes[m] = pool.units

    env.process(_arrive_all(env, stream, first, minutes))
    env.process(_tick(env, minutes, record))
    if curve.run_time(cfg.fix_hour) < curve.duration_s:
        env.process(fix())
    env.run(until=minutes.n * MINUTE_S + 1e-6)  # the last tick too
    return Result("2016", minutes, events, counts["visitors"], counts["failed"])


def run_northgate(
    params: Params,
    curve: Curve,
    stream: Iterable[Arrival],
    node: Node,
    nodes: int,
    scale_out: bool = True,
    seed: int = 0,
    name: str = "northgate",
) -> Result:
    """Northgate: information at the edge, the rest through the line to ``nodes`` nodes."""
    gate: Gate = params.gate
    env = simpy.Environment()
    minutes = Minutes(math.ceil(curve.duration_s / MINUTE_S))
    most = max(nodes, gate.max_nodes) if scale_out else nodes
    pool = _Pool(env, nodes, most, node.slots)
    rng = random.Random(seed)
    events: list[dict[str, Any]] = []
    counts = {"visitors": 0, "failed": 0, "ordered": 0}
    work_offered = [0.0] * minutes.n  # slot-seconds of work arriving, by minute
    state = {"warning": False}
    line = {"work": 0.0}  # slot-seconds of work waiting in the line

    def visit(arrival: Arrival, job: float) -> Any:
        work_offered[minutes.minute(env.now)] += job
        arrived = env.now
        req = pool.resource.request()
        patience = rng.expovariate(1 / gate.patience_s)
        line["work"] += job
        got = yield req | env.timeout(patience)
        line["work"] -= job
        if req not in got:
            req.cancel()
            minutes.shed[minutes.minute(env.now)] += 1
            counts["failed"] += 1
            return
        minutes.waits[minutes.minute(env.now)].append(env.now - arrived)
        minutes.add_busy(env.now, job)
        yield env.timeout(job)
        pool.resource.release(req)
        minutes.served[minutes.minute(env.now)] += 1

    def start(arrival: Arrival) -> None:
        counts["visitors"] += 1
        job = _job_s(arrival, params, node, edge=True)
        if job == 0.0:
            minutes.served[minutes.minute(env.now)] += 1  # the edge's cached pages
        else:
            env.process(visit(arrival, job))

    def provision(count: int) -> Any:
        yield env.timeout(gate.provisioning_minutes * MINUTE_S)
        pool.add(count)
        counts["ordered"] -= count
        events.append({"t_s": env.now, "event": "nodes in service", "nodes": pool.units})

    def record(m: int) -> None:
        minutes.queued[m] = pool.waiting
        minutes.slots[m] = pool.slots
        minutes.nodes[m] = pool.units
        # The ETA the line shows: its length over the admissions of the last minute.
        admitted = len(minutes.waits[m])
        minutes.eta_s[m] = pool.waiting / admitted * MINUTE_S if admitted else 0.0
        warn(m)

    def warn(m: int) -> None:
        """Early warning on the offered work, and the scale-out it triggers."""
        capacity = pool.slots * MINUTE_S  # slot-seconds a minute
        window = work_offered[max(0, m - gate.trend_minutes + 1) : m + 1]
        now_load = window[-1] / capacity
        # A trend needs its whole window: over two or three minutes it is noise.
        slope = _slope(window) if len(window) == gate.trend_minutes else 0.0
        to_saturation = (capacity - window[-1]) / slope if slope > 0 else math.inf
        rising = now_load >= gate.warning_utilisation or to_saturation <= gate.horizon_minutes
        # Hysteresis: a warning stands until the load is well below its threshold, so a load
        # hovering at 80 % warns once, not every other minute.
        warning = rising or (state["warning"] and now_load >= gate.warning_clears_at)
        if warning and not state["warning"]:
            events.append(
                {
                    "t_s": env.now,
                    "event": "early warning",
                    "utilisation": round(now_load, 3),
                    "minutes_to_saturation": None
                    if math.isinf(to_saturation)
                    else round(to_saturation, 1),
                }
            )
        state["warning"] = warning
        if not (scale_out and warning) or counts["ordered"]:
            return
        ahead = gate.provisioning_minutes + gate.horizon_minutes
        forecast = max(window[-1], window[-1] + slope * ahead)
        per_node = node.slots * MINUTE_S * gate.target_utilisation
        # The line must drain too: its work spread over the same horizon.
        forecast += line["work"] / ahead
        wanted = min(gate.max_nodes, max(gate.min_nodes, math.ceil(forecast / per_node)))
        extra = wanted - pool.units
        if extra > 0:
            counts["ordered"] = extra
            events.append({"t_s": env.now, "event": "scale out ordered", "nodes": wanted})
            env.process(provision(extra))

    env.process(_arrive_all(env, stream, start, minutes))
    env.process(_tick(env, minutes, record))
    env.run(until=minutes.n * MINUTE_S + 1e-6)  # the last tick too
    return Result(name, minutes, events, counts["visitors"], counts["failed"])


def _slope(values: list[float]) -> float:
    """Least-squares slope of ``values`` against their index."""
    n = len(values)
    if n < 2:
        return 0.0
    mean_x = (n - 1) / 2
    mean_y = sum(values) / n
    num = sum((i - mean_x) * (v - mean_y) for i, v in enumerate(values))
    den = sum((i - mean_x) ** 2 for i in range(n))
    return num / den
