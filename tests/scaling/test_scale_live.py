"""`northgate scale` on a real host: nginx with the example configuration and the edge's
Lua, PostgreSQL, Redis and real `northgate serve` nodes, scaled 1 -> 3 -> 1 by the command
while visitors and an airline's API client keep coming. Not one request fails, not one
submitted application is lost, and the time from decision to serving is printed.
"""

from __future__ import annotations

import itertools
import re
import shlex
import socket
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from northgate.scaling import NODE_HEADER, history, upstream
from northgate.scaling.nginx import Nginx
from northgate.scaling.nodes import ProcessNodes
from northgate.testing.samples import COMPLETE_ANSWERS
from tests.deploy.test_nginx import edge_keys, nginx_binary, running_nginx
from tests.edge.lua.harness import export_static, settings_env
from tests.support.live import run_northgate
from tests.support.servers import PostgresServer, RedisServer, free_port

pytestmark = pytest.mark.nginx

HOST = "127.0.0.1"
PROVISIONING_TARGET_SECONDS = 60.0


def free_ports(count: int) -> int:
    """A first port with the ``count - 1`` after it free too (the nodes' ports)."""
    for _ in range(50):
        base = free_port()
        if base + count > 65535:
            continue
        try:
            for port in range(base, base + count):
                with socket.socket() as probe:
                    probe.bind((HOST, port))
        except OSError:
            continue
        return base
    raise AssertionError("no run of free ports")


@dataclass
class Traffic:
    """Visitors and an API client, each in a thread, until stopped."""

    url: str
    failures: list[str] = field(default_factory=list)
    submitted: dict[str, str] = field(default_factory=dict)  # id -> reference
    requests: int = 0
    retried: list[str] = field(default_factory=list)  # sent again on a connection closed idle
    stopping: threading.Event = field(default_factory=threading.Event)

    def _visitor(self) -> None:
        paths = itertools.cycle(["/en/eta/apply", "/healthz", "/fr/ave/demande"])
        with httpx.Client(base_url=self.url, timeout=10) as client:
            while not self.stopping.is_set():
                self._expect(client, 200, "GET", next(paths))

    def _airline(self) -> None:
        with httpx.Client(base_url=self.url, timeout=10) as client:
            while not self.stopping.is_set():
                response = self._expect(
                    client,
                    201,
                    "POST",
                    "/api/v1/applications",
                    json={"answers": COMPLETE_ANSWERS},
                    headers={"Idempotency-Key": uuid.uuid4().hex},
                )
                if response is not None:
                    body = response.json()
                    self.submitted[body["id"]] = body["reference"]

    def _expect(
        self, client: httpx.Client, status: int, method: str, path: str, **options: Any
    ) -> httpx.Response | None:
        """The answer, or None with the failure noted: a refused connection, a reset, a
        502/503 from nginx, anything but the expected status.

        One retry, as browsers and HTTP clients make it (RFC 9112, 9.3.1), when a kept-alive
        connection was closed before any answer: an old nginx worker closes its idle
        connections when a reload retires it, and a request sent at that instant crosses
        the close. The request never reached a node; the airline's retry carries the same
        Idempotency-Key, so even a POST that did would not be applied twice.
        """
        self.requests += 1
        try:
            try:
                response = client.request(method, path, **options)
            except httpx.RemoteProtocolError:
                self.retried.append(f"{method} {path}")
                response = client.request(method, path, **options)
        except httpx.HTTPError as error:
            self.failures.append(f"{method} {path}: {error!r}")
            return None
        if response.status_code != status:
            self.failures.append(f"{method} {path}: {response.status_code} {response.text[:200]}")
            return None
        return response

    @property
    def threads(self) -> list[threading.Thread]:
        return [threading.Thread(target=self._visitor), threading.Thread(target=self._airline)]


def scale(env: dict[str, str], count: int) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "northgate", "scale", "--to", str(count)],
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_scale_out_and_in_with_traffic_running(
    tmp_path: Path,
    postgres_server: PostgresServer,
    redis_server: RedisServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    base_port = free_ports(3)
    database = postgres_server.create_database(f"scale_{uuid.uuid4().hex[:12]}")
    nginx_dir = tmp_path / "nginx"
    env = settings_env(
        tmp_path,
        redis_server.url,
        NORTHGATE_DATABASE_URL=database,
        NORTHGATE_PORT=str(base_port),
        # A line of its own on the session's shared Redis: another test's line, left
        # closed, would otherwise hold this traffic in the waiting room.
        NORTHGATE_GATE_EVENT=f"scale{uuid.uuid4().hex[:8]}",
    )
    run_northgate(env, "migrate")
    site = export_static(tmp_path / "static", env)
    keys = edge_keys(tmp_path / "edge-keys.json", env)
    nodes = ProcessNodes(tmp_path / "var" / "scale", HOST, env)
    ports = [base_port, base_port + 1, base_port + 2]
    stoppers: list[threading.Thread] = []
    traffic: Traffic | None = None
    try:
        # The first node, as systemd would have started it.
        nodes.start(base_port)
        with running_nginx(nginx_dir, site, [base_port], keys=keys, workers=2) as server:
            # How an operator reaches this nginx: its prefix, configuration and pid file.
            command = shlex.join(
                [
                    nginx_binary(),
                    "-p", str(nginx_dir),
                    "-e", str(nginx_dir / "error.log"),
                    "-c", str(nginx_dir / "nginx.conf"),
                    "-g", f"pid {nginx_dir / 'nginx.pid'};",
                ]
            )  # fmt: skip
            nginx = Nginx(command, nginx_dir / "nginx.pid")
            upstream_file = nginx_dir / "upstream.conf"
            # running_nginx lists a single node twice; the rotation is that one node.
            upstream.write(upstream_file, HOST, [base_port])
            nginx.reload(timeout=30)
            scale_env = {
                **env,
                "NORTHGATE_SCALE_RUNNER": "process",
                "NORTHGATE_SCALE_UPSTREAM_FILE": str(upstream_file),
                "NORTHGATE_SCALE_NGINX_COMMAND": command,
                "NORTHGATE_SCALE_NGINX_PID_FILE": str(nginx_dir / "nginx.pid"),
                "NORTHGATE_SCALE_NGINX_URL": server.url,
            }
            wait_until_ready(server.url)

            traffic = Traffic(server.url)
            stoppers = traffic.threads
            for thread in stoppers:
                thread.start()
            time.sleep(2)
            out = scale(scale_env, 3)
            assert upstream.read_ports(upstream_file) == ports, out
            # The new nodes outlive the command that started them.
            for port in ports[1:]:
                direct = httpx.get(f"http://{HOST}:{port}/healthz", timeout=2)
                assert direct.headers[NODE_HEADER] == f"{HOST}:{port}"
            time.sleep(3)  # traffic over three nodes
            back = scale(scale_env, 1)
            assert upstream.read_ports(upstream_file) == [base_port], back
            time.sleep(2)
            traffic.stopping.set()
            for thread in stoppers:
                thread.join(30)

            # Every submitted application is there, read back through nginx.
            with server.client() as client:
                for application, reference in traffic.submitted.items():
                    found = client.get(f"/api/v1/applications/{application}")
                    assert found.status_code == 200, found.text
                    assert found.json()["reference"] == reference
            requests_log = (nginx_dir / "northgate-requests.log").read_text()
    finally:
        if traffic is not None:
            traffic.stopping.set()
            for thread in stoppers:
                thread.join(30)
        for port in ports:
            nodes.stop(port)

    assert traffic.failures == [], traffic.failures[:10]
    assert len(traffic.submitted) >= 10, traffic.submitted
    # The database holds exactly the applications the client was told about.
    assert query(database, "SELECT count(*) FROM eta_applications") == str(len(traffic.submitted))
    # And both changes, for the ops page.
    changes = (
        "SELECT string_agg(nodes_before || '>' || nodes_after, ',' ORDER BY id) FROM scaling_events"
    )
    assert query(database, changes) == "1>3,3>1"
    # The nodes the command started took visitors' and the API's traffic, not only probes.
    for port in ports[1:]:
        served = re.findall(rf'"(/[^"]*)" 20[01] .*upstream={HOST}:{port} ', requests_log)
        assert set(served) - {"/healthz"}, port
    # The drained nodes are stopped; the first one still serves.
    for port in ports[1:]:
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"http://{HOST}:{port}/healthz", timeout=2)
    events = history.read(tmp_path / "var" / "scaling.jsonl")
    assert [(e.from_nodes, e.to_nodes, e.ports) for e in events] == [
        (1, 3, tuple(ports)),
        (3, 1, (base_port,)),
    ]
    provisioning = events[0].seconds
    with capsys.disabled():  # the figure, in `make test`'s output too
        print(
            f"\nscale 1 -> 3: {provisioning:.1f} s from decision to serving through nginx;"
            f" 3 -> 1 (drained, stopped): {events[1].seconds:.1f} s;"
            f" {traffic.requests} requests ({len(traffic.retried)} sent again on a connection"
            f" nginx closed at a reload), {len(traffic.submitted)} applications, 0 failed, 0 lost"
        )
    assert provisioning <= PROVISIONING_TARGET_SECONDS


def query(database_url: str, sql: str) -> str:
    done = subprocess.run(
        ["psql", database_url, "-tAc", sql], capture_output=True, text=True, timeout=30, check=True
    )
    return done.stdout.strip()


def wait_until_ready(url: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError("the first node never became ready")
