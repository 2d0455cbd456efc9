"""The scaler's decisions, with nodes and a balancer played by threads in this process:
which ports, in which order things happen, and what is left when a step fails. The real
thing (processes, nginx) is test_scale_live.py."""

from __future__ import annotations

import itertools
import os
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner

from northgate.cli import main
from northgate.scaling import NODE_HEADER, history, upstream
from northgate.scaling.command import nodes_for, scaler
from northgate.scaling.nginx import Nginx, ReloadFailed, StillDraining
from northgate.scaling.nodes import ProcessNodes, SystemdNodes
from northgate.scaling.scaler import ScaleFailed, Scaler
from northgate.settings import Settings
from tests.scaling.test_scale_live import HOST, free_ports


class Answering:
    """An HTTP server in a thread: ``answer(path)`` gives (status, headers)."""

    def __init__(self, port: int, answer: object) -> None:
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                status, headers = answer(self.path)  # type: ignore[operator]
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer((HOST, port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class ThreadNodes:
    """Nodes that are ready at once, or never (``broken``)."""

    def __init__(self, broken: set[int] | None = None) -> None:
        self.running: dict[int, Answering] = {}
        self.broken = broken or set()
        self.log: list[str] = []

    def start(self, port: int) -> None:
        status = 503 if port in self.broken else 200
        self.running[port] = Answering(port, lambda path: (status, {}))
        self.log.append(f"start {port}")

    def stop(self, port: int) -> None:
        self.running.pop(port).close()
        self.log.append(f"stop {port}")


class Balancer(Nginx):
    """nginx as the scaler sees it: round-robin over the upstream file as of the last
    reload, /healthz answered with the node's name."""

    def __init__(self, upstream_file: Path, port: int, *, up: bool = True) -> None:
        super().__init__("nginx", upstream_file.parent / "nginx.pid")
        self.upstream_file, self.up = upstream_file, up
        self.refuse = False
        self.slow = False  # old workers outlive the reload's wait
        self.reloads: list[list[int]] = []
        self.rotation: Iterator[int] = iter(())
        self.front = Answering(port, self.answer)

    def answer(self, path: str) -> tuple[int, dict[str, str]]:
        return 200, {NODE_HEADER: f"{HOST}:{next(self.rotation)}"}

    def running(self) -> bool:
        return self.up

    def check(self) -> None:
        if self.refuse:
            raise ReloadFailed("nginx: [emerg] refused")

    def reload(self, timeout: float) -> float:
        self.check()
        ports = upstream.read_ports(self.upstream_file)
        self.reloads.append(ports)
        self.rotation = itertools.cycle(ports)
        if self.slow:
            raise StillDraining("old workers still serve")
        return 0.0


@pytest.fixture
def ports() -> list[int]:
    base = free_ports(4)
    return [base, base + 1, base + 2, base + 3]


@pytest.fixture
def world(tmp_path: Path, ports: list[int]) -> Iterator[tuple[Scaler, ThreadNodes, Balancer]]:
    nodes = ThreadNodes()
    balancer = Balancer(tmp_path / "upstream.conf", ports[3])
    scaler = Scaler(
        host=HOST,
        base_port=ports[0],
        upstream_file=tmp_path / "upstream.conf",
        history_file=tmp_path / "scaling.jsonl",
        nginx=balancer,
        nginx_url=f"http://{HOST}:{ports[3]}",
        nodes=nodes,
        ready_timeout=3,
        say=lambda line: None,
    )
    yield scaler, nodes, balancer
    balancer.front.close()
    for port in list(nodes.running):
        nodes.stop(port)


def test_out_then_in(world: tuple[Scaler, ThreadNodes, Balancer], ports: list[int]) -> None:
    scaler, nodes, balancer = world
    nodes.start(ports[0])
    upstream.write(scaler.upstream_file, HOST, ports[:1])
    out = scaler.scale_to(3)
    assert out is not None and out.ports == tuple(ports[:3])
    assert balancer.reloads == [ports[:3]]
    assert scaler.scale_to(3) is None  # already there: nothing done, nothing recorded
    back = scaler.scale_to(1)
    assert back is not None and back.ports == (ports[0],)
    # Drained (out of the upstream, reloaded) before being stopped, highest first out.
    assert balancer.reloads[-1] == ports[:1]
    assert nodes.log[-2:] == [f"stop {ports[1]}", f"stop {ports[2]}"]
    assert [(e.from_nodes, e.to_nodes) for e in history.read(scaler.history_file)] == [
        (1, 3),
        (3, 1),
    ]


def test_a_node_never_ready_is_stopped_and_nothing_changes(
    world: tuple[Scaler, ThreadNodes, Balancer], ports: list[int]
) -> None:
    scaler, nodes, balancer = world
    nodes.broken = {ports[2]}
    upstream.write(scaler.upstream_file, HOST, ports[:1])
    with pytest.raises(ScaleFailed, match="not ready"):
        scaler.scale_to(3)
    assert upstream.read_ports(scaler.upstream_file) == ports[:1]
    assert balancer.reloads == []
    assert nodes.running == {}  # both new nodes stopped again
    assert history.read(scaler.history_file) == []


def test_a_configuration_nginx_refuses_is_put_back(
    world: tuple[Scaler, ThreadNodes, Balancer], ports: list[int]
) -> None:
    scaler, nodes, balancer = world
    upstream.write(scaler.upstream_file, HOST, ports[:1])
    balancer.refuse = True
    with pytest.raises(ReloadFailed):
        scaler.scale_to(2)
    assert upstream.read_ports(scaler.upstream_file) == ports[:1]
    assert nodes.running == {}


def test_nodes_are_not_stopped_while_old_workers_may_still_use_them(
    world: tuple[Scaler, ThreadNodes, Balancer], ports: list[int]
) -> None:
    scaler, nodes, balancer = world
    for port in ports[:2]:
        nodes.start(port)
    upstream.write(scaler.upstream_file, HOST, ports[:2])
    balancer.slow = True
    with pytest.raises(ScaleFailed, match="still running"):
        scaler.scale_to(1)
    assert sorted(nodes.running) == ports[:2]
    assert upstream.read_ports(scaler.upstream_file) == ports[:1]


def test_before_nginx_starts_only_the_file_is_written(
    world: tuple[Scaler, ThreadNodes, Balancer], ports: list[int]
) -> None:
    scaler, _, balancer = world
    balancer.up = False
    event = scaler.scale_to(2)
    assert event is not None and (event.from_nodes, event.to_nodes) == (0, 2)
    assert upstream.read_ports(scaler.upstream_file) == ports[:2]
    assert balancer.reloads == []


def test_never_zero(world: tuple[Scaler, ThreadNodes, Balancer]) -> None:
    with pytest.raises(ScaleFailed):
        world[0].scale_to(0)


def test_the_command_advises(tmp_path: Path) -> None:
    upstream.write(tmp_path / "upstream.conf", HOST, [8000, 8001])
    env = {
        "NORTHGATE_VAR_DIR": str(tmp_path / "var"),
        "NORTHGATE_SCALE_UPSTREAM_FILE": str(tmp_path / "upstream.conf"),
        "NORTHGATE_CAPACITY_NODE_ARRIVALS_PER_MINUTE": "6000",
    }
    # Flags land in the environment (as for every command): the bare call comes first.
    bare = CliRunner().invoke(main, ["scale"], env=env)
    assert bare.output.startswith("2 node(s) in rotation. For advice give the forecast peak")
    refused = CliRunner().invoke(main, ["scale", "--apply"], env=env)
    assert refused.exit_code == 2
    assert "--apply needs a forecast peak" in refused.output
    # One node's measured capacity from the settings (6000 a minute), or given.
    for flags in ([], ["--capacity", "100"]):
        advised = CliRunner().invoke(main, ["scale", "--peak", "1800", *flags], env=env)
        assert advised.exit_code == 0, advised.output
        assert advised.output == (
            "Peak 1800 arrivals/s, 100 per node, 20% kept spare: 23 node(s) needed;"
            " 2 in rotation (900% at the peak).\n"
        )


def test_the_runner_follows_the_settings(
    tmp_path: Path, make_settings: Callable[..., Settings]
) -> None:
    process = make_settings(scale_runner="process", scale_upstream_file=tmp_path / "u.conf")
    assert isinstance(nodes_for(process), ProcessNodes)
    built = scaler(process, say=lambda line: None)
    assert built.upstream_file == tmp_path / "u.conf"
    assert built.history_file == process.var_dir / "scaling.jsonl"
    assert isinstance(nodes_for(make_settings(scale_runner="systemd")), SystemdNodes)


@pytest.mark.servers
def test_systemd_nodes_are_the_template_s_instances(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`systemctl start|stop northgate@PORT.service`, seen by a stand-in systemctl."""
    calls = tmp_path / "calls"
    systemctl = tmp_path / "bin" / "systemctl"
    systemctl.parent.mkdir()
    systemctl.write_text(f'#!/bin/sh\necho "$@" >> {calls}\n')
    systemctl.chmod(0o755)
    monkeypatch.setenv("PATH", f"{systemctl.parent}:{os.environ['PATH']}")
    nodes = SystemdNodes()
    nodes.start(8002)
    nodes.stop(8002)
    assert calls.read_text().splitlines() == [
        "start northgate@8002.service",
        "stop northgate@8002.service",
    ]
