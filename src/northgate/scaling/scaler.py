"""Scaling this host to N nodes without losing a request.

Out: start the new nodes, wait until each is ready (/readyz, directly), add them to the
upstream file, reload nginx gracefully, then send probes through nginx until each new
node has answered one (the node names itself in X-Northgate-Node). A node joins the
rotation only once it is ready, so no visitor meets a node still starting.

In: take the highest nodes out of the upstream file, reload nginx and wait until every old
nginx worker has exited (each finishes the requests it holds, on any node, first), then
stop the nodes (SIGTERM: the server finishes what it holds). Passes are signed with the
shared secret and the line lives in Redis, so a visitor admitted by a drained node carries
on on the others.

Each change is recorded in the history file, with the seconds from decision to done.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx

from northgate.core.routes import path
from northgate.scaling import NODE_HEADER, history, upstream
from northgate.scaling.history import ScalingEvent
from northgate.scaling.nginx import Nginx, StillDraining
from northgate.scaling.nodes import Nodes

PROBE_TIMEOUT = httpx.Timeout(2.0)


class ScaleFailed(RuntimeError):
    pass


@dataclass
class Scaler:
    host: str
    base_port: int
    upstream_file: Path
    history_file: Path
    nginx: Nginx
    nginx_url: str
    nodes: Nodes
    ready_timeout: float = 60.0
    drain_timeout: float = 60.0
    say: Callable[[str], None] = print
    now: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))

    def in_rotation(self) -> list[int]:
        return upstream.read_ports(self.upstream_file)

    def scale_to(self, count: int) -> ScalingEvent | None:
        """Bring the rotation to ``count`` nodes; the event, or None if already there."""
        if count < 1:
            raise ScaleFailed("at least one node: the upstream cannot be empty")
        decided, at = time.monotonic(), self.now()
        current = self.in_rotation()
        if count == len(current):
            return None
        if count > len(current):
            ports = self._scale_out(current, count)
        else:
            ports = self._scale_in(current, count)
        event = ScalingEvent(at, len(current), count, time.monotonic() - decided, tuple(ports))
        history.append(self.history_file, event)
        return event

    def _scale_out(self, current: list[int], count: int) -> list[int]:
        new = _free_ports(self.base_port, current, count - len(current))
        started: list[int] = []
        try:
            for port in new:
                self.say(f"starting node {self.host}:{port}")
                self.nodes.start(port)
                started.append(port)
            self._wait_ready(new)
            ports = [*current, *new]
            self._rotate(ports)
        except StillDraining:
            raise  # in rotation: they stay
        except BaseException:
            # Not in rotation (not ready, or nginx refused the new file, which _rotate put
            # back): nobody is sent to them, so they go.
            for port in started:
                self.nodes.stop(port)
            raise
        if self.nginx.running():
            self._verify(new)
        else:
            self.say(f"nginx is not running: {self.upstream_file} lists {ports}; start it")
        return ports

    def _scale_in(self, current: list[int], count: int) -> list[int]:
        keep, leaving = current[:count], current[count:]
        self.say(f"draining {', '.join(f'{self.host}:{p}' for p in leaving)}")
        try:
            self._rotate(keep)
        except StillDraining as error:
            raise ScaleFailed(
                f"{error}: {leaving} are out of rotation but still running; stop them"
                " once nginx's old workers have exited"
            ) from error
        for port in leaving:
            self.nodes.stop(port)
            self.say(f"stopped node {self.host}:{port}")
        return keep

    def _rotate(self, ports: Sequence[int]) -> None:
        """Write the upstream file and reload; put the old file back if nginx refuses it."""
        previous = self.upstream_file.read_text() if self.upstream_file.exists() else None
        upstream.write(self.upstream_file, self.host, ports)
        if not self.nginx.running():
            return
        try:
            seconds = self.nginx.reload(self.drain_timeout)
        except StillDraining:
            raise  # the new file is in force
        except Exception:
            # Refused by `nginx -t`, or not reloaded: nginx still runs the old file.
            if previous is not None:
                upstream.write(self.upstream_file, self.host, upstream.ports_in(previous))
            raise
        self.say(f"nginx reloaded; its old workers finished in {seconds:.1f} s")

    def _wait_ready(self, ports: Sequence[int]) -> None:
        waiting = set(ports)
        deadline = time.monotonic() + self.ready_timeout
        with httpx.Client(timeout=PROBE_TIMEOUT) as client:
            while waiting:
                for port in sorted(waiting):
                    try:
                        url = f"http://{self.host}:{port}{path('ops.readyz')}"
                        ready = client.get(url).status_code == 200
                    except httpx.HTTPError:
                        ready = False
                    if ready:
                        waiting.discard(port)
                        self.say(f"node {self.host}:{port} is ready")
                if waiting and time.monotonic() > deadline:
                    raise ScaleFailed(
                        f"not ready after {self.ready_timeout:.0f} s: {sorted(waiting)}"
                    )
                if waiting:
                    time.sleep(0.2)

    def _verify(self, ports: Sequence[int]) -> None:
        """Probe through nginx until every new node has answered one: it takes traffic."""
        unseen = {f"{self.host}:{port}" for port in ports}
        deadline = time.monotonic() + self.ready_timeout
        with httpx.Client(base_url=self.nginx_url, timeout=PROBE_TIMEOUT) as client:
            while unseen:
                with contextlib.suppress(httpx.HTTPError):
                    unseen.discard(client.get(path("ops.healthz")).headers.get(NODE_HEADER, ""))
                if unseen and time.monotonic() > deadline:
                    raise ScaleFailed(f"nginx sent no probe to {sorted(unseen)}")
        self.say(f"verified: {', '.join(f'{self.host}:{p}' for p in ports)} answer through nginx")


def _free_ports(base: int, taken: Sequence[int], count: int) -> list[int]:
    """The ``count`` lowest ports from ``base`` up that are not in rotation."""
    found: list[int] = []
    port = base
    while len(found) < count:
        if port not in taken:
            found.append(port)
        port += 1
    return found
