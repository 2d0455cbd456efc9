"""What else ran on the two cores while a measurement ran (/proc/stat): a busy neighbour
makes the figures untrustworthy, so every measurement records its share as noise.
"""

from __future__ import annotations

import resource
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, TypeVar

from bench.harness.processes import CLK_TCK, LOAD_CPU, SERVER_CPU, Server

T = TypeVar("T")


@dataclass(frozen=True)
class CoreTimes:
    """Seconds one CPU spent, from /proc/stat (cumulative since boot)."""

    user_system: float  # user + nice + system: time charged to processes
    interrupts: float  # irq + softirq: loopback networking lands here, charged to no process
    idle: float  # idle + iowait
    steal: float  # taken by the hypervisor for other guests

    @property
    def busy(self) -> float:
        """Time not idle and not stolen. Interrupt time is included: on this kernel the
        softirq work of loopback networking shows up in the busy process's own stime too,
        so leaving it out would hide that much of a neighbour's work."""
        return self.user_system + self.interrupts

    def __sub__(self, other: CoreTimes) -> CoreTimes:
        return CoreTimes(
            self.user_system - other.user_system,
            self.interrupts - other.interrupts,
            self.idle - other.idle,
            self.steal - other.steal,
        )


def core_times() -> dict[int, CoreTimes]:
    times: dict[int, CoreTimes] = {}
    for line in Path("/proc/stat").read_text().splitlines():
        name, *values = line.split()
        if not name.startswith("cpu") or name == "cpu":
            continue
        user, nice, system, idle, iowait, irq, softirq, steal = (int(v) for v in values[:8])
        times[int(name[3:])] = CoreTimes(
            (user + nice + system) / CLK_TCK,
            (irq + softirq) / CLK_TCK,
            (idle + iowait) / CLK_TCK,
            steal / CLK_TCK,
        )
    return times


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


@dataclass(frozen=True)
class Window:
    """What the two cores did while one measurement ran.

    ``foreign`` is the core's busy time not explained by the processes we account for: on
    the server core, the servers we started; on the load core, the load generator (counted
    when it exits, so it must run to completion inside the window). A busy neighbour (tests,
    a build, another benchmark) shows up here and makes the measurement untrustworthy. On a
    quiet host it stays within a few percent of the window.
    """

    seconds: float
    server_cpu_s: float
    idle_servers_cpu_s: float
    load_cpu_s: float
    server_core: CoreTimes
    load_core: CoreTimes
    server_core_foreign_s: float
    load_core_foreign_s: float

    def noise(self) -> float:
        """The largest share of the window lost to others (foreign work or steal), 0..1."""
        if self.seconds <= 0:
            return 0.0
        return (
            max(
                self.server_core_foreign_s,
                self.load_core_foreign_s,
                self.server_core.steal,
                self.load_core.steal,
            )
            / self.seconds
        )

    def figures(self, requests: int) -> dict[str, Any]:
        """The per-run figures every wrk benchmark records for ``requests`` completed."""
        return {
            "server_cpu_us_per_request": round(self.server_cpu_s / requests * 1e6, 2),
            "server_core_busy": round(self.server_cpu_s / self.seconds, 3),
            "noise": round(self.noise(), 3),
            "window": self.to_json(),
        }

    def to_json(self) -> dict[str, Any]:
        def core(times: CoreTimes) -> dict[str, float]:
            return {name: round(value, 3) for name, value in asdict(times).items()}

        return {
            "seconds": round(self.seconds, 3),
            "server_cpu_s": round(self.server_cpu_s, 3),
            "idle_servers_cpu_s": round(self.idle_servers_cpu_s, 3),
            "load_cpu_s": round(self.load_cpu_s, 3),
            "server_core": core(self.server_core),
            "load_core": core(self.load_core),
            "server_core_foreign_s": round(self.server_core_foreign_s, 3),
            "load_core_foreign_s": round(self.load_core_foreign_s, 3),
            "noise": round(self.noise(), 3),
        }


def measure_window(
    server: Server,
    idle_servers: Sequence[Server],
    load: Callable[[], T],
    *,
    server_cpu: int = SERVER_CPU,
    load_cpu: int = LOAD_CPU,
) -> tuple[T, Window]:
    """Run ``load()`` (e.g. a wrk run) and account for the CPU time of both cores meanwhile."""
    idle_before = sum(s.cpu_seconds() for s in idle_servers)
    cores_before = core_times()
    server_before = server.cpu_seconds()
    children_before = children_cpu()
    started = time.monotonic()
    result = load()
    seconds = time.monotonic() - started
    children_after = children_cpu()
    server_after = server.cpu_seconds()
    cores_after = core_times()
    idle_after = sum(s.cpu_seconds() for s in idle_servers)
    server_core = cores_after[server_cpu] - cores_before[server_cpu]
    load_core = cores_after[load_cpu] - cores_before[load_cpu]
    server_s = server_after - server_before
    idle_s = idle_after - idle_before
    load_s = children_after - children_before
    window = Window(
        seconds=seconds,
        server_cpu_s=server_s,
        idle_servers_cpu_s=idle_s,
        load_cpu_s=load_s,
        server_core=server_core,
        load_core=load_core,
        server_core_foreign_s=max(0.0, server_core.busy - server_s - idle_s),
        load_core_foreign_s=max(0.0, load_core.busy - load_s),
    )
    return result, window


def host_busy_share(seconds: float = 1.0) -> float:
    """Share of all cores busy with processes over ``seconds`` of doing nothing ourselves."""
    before = core_times()
    time.sleep(seconds)
    after = core_times()
    busy = sum((after[c] - before[c]).user_system for c in after)
    return busy / (seconds * len(after))


def wait_for_quiet(limit: float, *, max_wait_s: float = 30.0, window_s: float = 1.0) -> float:
    """Wait (at most ``max_wait_s``) for a ``window_s`` in which other processes keep the
    CPUs busy less than ``limit`` of the time; return the last share seen."""
    deadline = time.monotonic() + max_wait_s
    share = host_busy_share(window_s)
    while share > limit and time.monotonic() < deadline:
        share = host_busy_share(window_s)
    return share
