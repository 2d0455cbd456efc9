"""The production topology on loopback: Redis, one ``northgate serve`` node on core 1, and
nginx with the edge's Lua on core 0, its configuration generated from the example
(deploy/nginx/northgate.conf) by the same line-for-line replacements the tests make
(tests/deploy/test_nginx.py), without importing the tests."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError

from bench.edge.settings import ADMIN, EVENT, POLL_SECONDS, SECRET
from bench.harness.errors import BenchError
from bench.harness.net import free_port
from bench.harness.northgate import northgate, northgate_env, serve_command
from bench.harness.paths import PROJECT_DIR
from bench.harness.processes import LOAD_CPU, SERVER_CPU, Server, start_server, wait_ready

EXAMPLE = PROJECT_DIR / "deploy" / "nginx" / "northgate.conf"
LUA_DIR = PROJECT_DIR / "deploy" / "nginx" / "lua"
LUA_MODULES = ("ndk_http_module.so", "ngx_http_lua_module.so")
# The example's deployment-specific lines (each literal, on a line of its own).
EXAMPLE_ROOT = "root /srv/northgate/static;"
EXAMPLE_LISTEN = "listen 80;"
# The upstream's servers: a file `northgate scale` writes (northgate.scaling.upstream).
EXAMPLE_UPSTREAM = "include /etc/northgate/upstream.conf;"
# Where the edge's counters go (deploy/nginx/lua/northgate/counts.lua).
EXAMPLE_EDGE_LOG = (
    'init_worker_by_lua_block { require("northgate.edge").init_worker('
    '"/run/northgate/edge-log.sock") }'
)
EXAMPLE_REQUEST_LOG = (
    "access_log /var/log/nginx/northgate-requests.log northgate_requests buffer=64k flush=1s;"
)
EXAMPLE_ERROR_LOG = "error_log /var/log/nginx/northgate-error.log warn;"
EXAMPLE_LUA_PATH = 'lua_package_path "/srv/northgate/deploy/nginx/lua/?.lua;;";'
EXAMPLE_LUA_INIT = (
    'init_by_lua_block { require("northgate.edge").init("/etc/northgate/edge-keys.json",'
    ' "/srv/northgate/static") }'
)


def _nginx_binary() -> str:
    found = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin")
    if found is None:
        raise BenchError("nginx not found: apt-get install -y nginx-light libnginx-mod-http-lua")
    return found


def _built_with(binary: str, option: str) -> str | None:
    done = subprocess.run([binary, "-V"], capture_output=True, text=True, check=True, timeout=10)
    match = re.search(rf"--{option}=(\S+)", done.stderr)
    return match.group(1) if match else None


def configure(example: str, *, root: Path, port: int, upstream: int, logs: Path, keys: Path) -> str:
    """The example with its deployment lines replaced, its counting and request log kept:
    what an answer costs nginx in production."""
    replacements = [
        (EXAMPLE_ROOT, f"root {root};"),
        (EXAMPLE_LISTEN, f"listen 127.0.0.1:{port} backlog=4096;"),
        # One node listed twice, as the tests do: nginx then retries a failed connection
        # on it (proxy_next_upstream), where a one-server upstream would not.
        (EXAMPLE_UPSTREAM, f"server 127.0.0.1:{upstream}; server 127.0.0.1:{upstream};"),
        # As in production: the edge counts and hands its counters over once a second (here
        # to a socket nobody reads: the hand-over's cost is nginx's, the collector's is not),
        # and the operators' request log is buffered.
        (
            EXAMPLE_EDGE_LOG,
            EXAMPLE_EDGE_LOG.replace("/run/northgate/edge-log.sock", str(logs / "edge-log.sock")),
        ),
        (
            EXAMPLE_REQUEST_LOG,
            EXAMPLE_REQUEST_LOG.replace("/var/log/nginx", str(logs)),
        ),
        (EXAMPLE_ERROR_LOG, f"error_log {logs / 'northgate-error.log'} warn;"),
        (
            EXAMPLE_LUA_PATH,
            EXAMPLE_LUA_PATH.replace("/srv/northgate/deploy/nginx/lua", str(LUA_DIR)),
        ),
        (
            EXAMPLE_LUA_INIT,
            EXAMPLE_LUA_INIT.replace("/etc/northgate/edge-keys.json", str(keys)).replace(
                "/srv/northgate/static", str(root)
            ),
        ),
    ]
    lines = example.splitlines(keepends=True)
    for literal, value in replacements:
        found = [i for i, line in enumerate(lines) if line.strip() == literal]
        if len(found) != 1:
            raise BenchError(f"{EXAMPLE} must have exactly one line {literal!r}")
        lines[found[0]] = lines[found[0]].replace(literal, value)
    return "".join(lines)


def nginx_conf(base: Path, site: Path, upstream: int, keys: Path) -> tuple[Path, int]:
    binary = _nginx_binary()
    modules = Path(_built_with(binary, "modules-path") or "/usr/lib/nginx/modules")
    missing = [name for name in LUA_MODULES if not (modules / name).is_file()]
    if missing:
        raise BenchError(f"{missing} not in {modules}: apt-get install libnginx-mod-http-lua")
    conf_path = _built_with(binary, "conf-path")
    mime = Path(conf_path).parent / "mime.types" if conf_path else Path("/etc/nginx/mime.types")
    port = free_port()
    base.mkdir(parents=True, exist_ok=True)
    site_conf = configure(
        EXAMPLE.read_text(), root=site, port=port, upstream=upstream, logs=base, keys=keys
    )
    (base / "northgate.conf").write_text(site_conf)
    temp = "".join(
        f"    {kind}_temp_path {base / kind};\n"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    user = "user root;\n" if _is_root() else ""
    loads = "".join(f"load_module {modules / name};\n" for name in LUA_MODULES)
    # One worker: one core for the edge (the generator shares it).
    (base / "nginx.conf").write_text(
        f"{loads}{user}worker_processes 1;\nworker_rlimit_nofile 20000;\n"
        f"error_log {base / 'error.log'} warn;\npid {base / 'nginx.pid'};\n"
        "events { worker_connections 16000; }\n"
        f"http {{\n    include {mime};\n    default_type application/octet-stream;\n"
        f"    access_log off;\n{temp}    include {base / 'northgate.conf'};\n}}\n"
    )
    return base / "nginx.conf", port


def _is_root() -> bool:
    return os.geteuid() == 0


@dataclass
class Topology:
    node: Server
    node_port: int
    nginx: Server
    port: int  # nginx's: where visitors go
    redis: Server
    redis_port: int
    edge_line: bool  # False: the Python-only gate (nginx forwards, the node keeps the line)

    def redis_client(self) -> Redis:
        return Redis(host="127.0.0.1", port=self.redis_port)


def node_settings(redis_port: int) -> dict[str, str]:
    return {
        "NORTHGATE_SECRET_KEY": SECRET,
        "NORTHGATE_GATE_ADMIN_TOKEN": ADMIN,
        "NORTHGATE_GATE_EVENT": EVENT,
        "NORTHGATE_GATE_MODE": "adaptive",
        "NORTHGATE_GATE_POLL_SECONDS": str(POLL_SECONDS),
        "NORTHGATE_GATE_ABANDON_AFTER_SECONDS": str(int(3 * POLL_SECONDS)),
        # Operator limits for the event, as bench.overload: the learned concurrency limit
        # alone sets the outflow; a visitor keeps its pass to pay.
        "NORTHGATE_GATE_ADMISSIONS_PER_MINUTE": "60000",
        "NORTHGATE_GATE_MAX_ACTIVE": "1000000",
        "NORTHGATE_GATE_LIMIT_FLOOR": "1",
        "NORTHGATE_REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
        "NORTHGATE_TRUSTED_PROXIES": "127.0.0.1",
    }


def _start_redis(base: Path) -> tuple[Server, int]:
    binary = shutil.which("redis-server")
    if binary is None:
        raise BenchError("redis-server not found (apt-get install redis-server)")
    port = free_port()
    server = start_server(
        "redis",
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(base),
        ],
        log_dir=base,
        cpu=LOAD_CPU,
    )
    deadline = time.monotonic() + 15
    while True:
        try:
            Redis(host="127.0.0.1", port=port).ping()
            return server, port
        except RedisConnectionError as error:
            if server.popen.poll() is not None or time.monotonic() > deadline:
                raise BenchError(f"redis-server did not start:\n{server.log_tail()}") from error
            time.sleep(0.1)


@contextmanager
def topology(
    base: Path, *, edge_line: bool, extra: Mapping[str, str] | None = None
) -> Iterator[Topology]:
    """Everything started afresh under ``base``, stopped on the way out."""
    base.mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack:
        redis_server, redis_port = _start_redis(base)
        stack.callback(redis_server.stop)
        settings = {**node_settings(redis_port), **(extra or {})}
        env = northgate_env(base / "var", settings)
        northgate(env, "--log-level", "warning", "migrate", timeout=120)
        site = base / "static"
        northgate(env, "--log-level", "warning", "export-static", str(site), timeout=300)
        # The Python-only gate: the edge gets keys without Redis, so it checks passes and
        # leaves the line to the node (as before issue 16).
        keys_env = (
            env if edge_line else {k: v for k, v in env.items() if k != "NORTHGATE_REDIS_URL"}
        )
        keys = base / "edge-keys.json"
        northgate(keys_env, "--log-level", "warning", "edge-keys", str(keys), timeout=120)
        node_port = free_port()
        node = start_server("node", serve_command(node_port), log_dir=base, env=env, cpu=SERVER_CPU)
        stack.callback(node.stop)
        wait_ready(node, f"http://127.0.0.1:{node_port}/readyz")
        node.check_pinned(SERVER_CPU)
        conf, port = nginx_conf(base / "nginx", site, node_port, keys)
        nginx = start_server(
            "nginx",
            [_nginx_binary(), "-p", str(base / "nginx"), "-c", str(conf), "-g", "daemon off;"],
            log_dir=base,
            cpu=LOAD_CPU,
        )
        stack.callback(nginx.stop)
        wait_ready(nginx, f"http://127.0.0.1:{port}/en/eta")
        nginx.check_pinned(LOAD_CPU)
        yield Topology(node, node_port, nginx, port, redis_server, redis_port, edge_line)
