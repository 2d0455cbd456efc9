"""A real nginx with the example configuration and the edge's Lua, Redis, and recording
nodes behind it: for tests of the line kept at the edge."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import redis

from northgate.edge.gate.edge_state import redis_keys
from northgate.edge.gate.passes import PassSigner
from northgate.edge.gate.places import Place, PlaceSigner
from tests.deploy.test_nginx import REPO
from tests.support.live import northgate_env

SECRET = "edge tests: a throwaway secret, 0123456789abcdef"
EVENT = "eta"


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]


class RecordingNode:
    """An application node that answers 200 and records every request it receives."""

    def __init__(self) -> None:
        self.requests: list[Seen] = []
        node = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                self.rfile.read(length)
                headers = {name.lower(): value for name, value in self.headers.items()}
                node.requests.append(Seen(self.command, self.path, headers))
                body = b"from the node"
                self.send_response(200)
                self.send_header("content-type", "text/plain")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            do_GET = do_POST = do_HEAD = do_PUT = do_DELETE = _answer

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = int(self.server.server_address[1])

    @contextmanager
    def running(self) -> Iterator[RecordingNode]:
        thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self.server.shutdown()
            self.server.server_close()
            thread.join(5)


def settings_env(base: Path, redis_url: str, **extra: str) -> dict[str, str]:
    return northgate_env(
        base,
        {
            "NORTHGATE_SECRET_KEY": SECRET,
            "NORTHGATE_GATE_EVENT": EVENT,
            "NORTHGATE_REDIS_URL": redis_url,
            **extra,
        },
    )


def export_static(target: Path, env: dict[str, str]) -> Path:
    result = subprocess.run(
        [sys.executable, "-m", "northgate", "export-static", str(target)],
        env={**env, "NORTHGATE_NODE_MODULES": str(REPO / "node_modules")},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return target


@dataclass
class Line:
    """The edge line's state in Redis, written as the Python gate publishes it."""

    client: redis.Redis
    event: str = EVENT
    gen: str = field(default_factory=lambda: secrets.token_hex(4))

    @property
    def keys(self) -> dict[str, str]:
        return redis_keys(self.event)

    def publish(self, *, free: bool, below: int, outflow: float = 0.0, waiting: int = 0) -> None:
        self.client.hset(
            self.keys["state"],
            mapping={
                "gen": self.gen, "free": int(free), "below": below, "outflow": outflow,
                "density": 1, "poll": 2, "at": int(time.time() * 1000), "edges": 1,
                "waiting": waiting,
            },
        )  # fmt: skip

    def new_generation(self) -> None:
        self.gen = secrets.token_hex(4)


def places() -> PlaceSigner:
    return PlaceSigner(SECRET.encode(), EVENT)


def passes() -> PassSigner:
    return PassSigner(SECRET.encode(), EVENT, ttl=1800, cap=4 * 3600)


def place_of(response: httpx.Response, now: int | None = None) -> Place | None:
    token = response.cookies.get("ng_place")
    if token is None:
        return None
    return places().verify(token, now or int(time.time()))


def wait_for(condition: object, timeout: float = 15.0, what: str = "the edge") -> None:
    """Until ``condition()`` is true (the edge reads Redis once a second)."""
    deadline = time.monotonic() + timeout
    while True:
        if callable(condition) and condition():
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not catch up within {timeout} s")
        time.sleep(0.2)


def json_body(response: httpx.Response) -> dict[str, object]:
    loaded: dict[str, object] = json.loads(response.content)
    return loaded


def nginx_pid(base: Path) -> int:
    return int((base / "nginx.pid").read_text().strip())


def reload_nginx(base: Path) -> None:
    """`nginx -s reload`: new workers, the old ones finish and exit."""
    os.kill(nginx_pid(base), 1)  # SIGHUP
