"""The five servers of the pages benchmark, started on free ports, and the checks that
they all send the same page.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bench.bare_app import PAGE_ENV
from bench.harness.errors import BenchError
from bench.harness.net import Fetched, free_port, loopback_url
from bench.harness.paths import PROJECT_DIR, VENV_BIN
from bench.harness.processes import Server, start_server, wait_ready

# Headers the server adds by itself: the bare app must not send them twice.
SERVER_HEADERS = frozenset({"date", "server", "connection", "keep-alive", "transfer-encoding"})


STARTUP_TIMEOUT_S = 90.0


@dataclass(frozen=True)
class Case:
    key: str
    name: str
    label: str


CASES = (
    Case("a", "northgate-granian", "(a) Northgate stack, granian"),
    Case("b", "bare-granian", "(b) bare ASGI, granian"),
    Case("c", "nginx", "(c) nginx, export-static"),
    Case("d", "northgate-uvicorn", "(d) Northgate stack, uvicorn"),
    Case("e", "bare-uvicorn", "(e) bare ASGI, uvicorn"),
)


def nginx_conf(work: Path, static: Path, port: int, reference: Fetched) -> Path:
    """A minimal nginx.conf: 1 worker, no access log, everything under ``work``."""
    nginx_dir = work / "nginx"
    nginx_dir.mkdir(exist_ok=True)
    temp = {name: nginx_dir / name for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi")}
    # Send what Northgate sends, as far as static files allow (nginx sets ETag and
    # Last-Modified itself, and adds Accept-Ranges).
    cache_control = reference.header("cache-control") or "public, max-age=300"
    vary = reference.header("vary")
    conf = f"""
worker_processes 1;
daemon off;
master_process on;
pid {nginx_dir / "nginx.pid"};
error_log {nginx_dir / "error.log"} warn;
events {{ worker_connections 1024; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    charset utf-8;
    access_log off;
    server_tokens off;
    sendfile on;
    tcp_nopush on;
    # Python servers do not cap requests per connection; nginx's default 1000 would make
    # wrk reconnect every 1000 requests and measure connection set-up as well.
    keepalive_requests 1000000;
    client_body_temp_path {temp["body"]};
    proxy_temp_path {temp["proxy"]};
    fastcgi_temp_path {temp["fastcgi"]};
    uwsgi_temp_path {temp["uwsgi"]};
    scgi_temp_path {temp["scgi"]};
    server {{
        listen 127.0.0.1:{port};
        root {static};
        location / {{
            try_files $uri/index.html =404;
            add_header Cache-Control "{cache_control}";
            {f'add_header Vary "{vary}";' if vary else ""}
        }}
    }}
}}
"""
    path = nginx_dir / "nginx.conf"
    path.write_text(conf)
    return path


def start_case(
    case: Case,
    work: Path,
    env: dict[str, str],
    static: Path,
    reference: Fetched | None,
    page_file: Path,
    path: str,
) -> Server:
    """Start the server for ``case`` on a free port; its ``url`` is the page's URL there."""
    server = _start_case(case, work, env, static, reference, page_file, port := free_port())
    server.url = loopback_url(port, path)
    return server


def _start_case(
    case: Case,
    work: Path,
    env: dict[str, str],
    static: Path,
    reference: Fetched | None,
    page_file: Path,
    port: int,
) -> Server:
    python = str(VENV_BIN / "python")
    if case.name.startswith("northgate-"):
        server_name = case.name.removeprefix("northgate-")
        command = [
            str(VENV_BIN / "northgate"),
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "1",
            "--server",
            server_name,
        ]
        return start_server(case.name, command, log_dir=work, env=env)
    if case.name.startswith("bare-"):
        server_name = case.name.removeprefix("bare-")
        command = [
            python,
            "-m",
            "bench.bare_app",
            "--server",
            server_name,
            "--port",
            str(port),
            "--workers",
            "1",
        ]
        return start_server(
            case.name,
            command,
            log_dir=work,
            env={**env, PAGE_ENV: str(page_file), "PYTHONPATH": str(PROJECT_DIR)},
        )
    if case.name == "nginx":
        if reference is None:
            raise BenchError("nginx needs the reference page first")
        conf = nginx_conf(work, static, port, reference)
        command = [
            "nginx",
            "-p",
            str(conf.parent),
            "-e",
            str(conf.parent / "error.log"),
            "-c",
            str(conf),
        ]
        return start_server(case.name, command, log_dir=work, env=env)
    raise BenchError(f"no such case {case.name}")


def bare_headers(fetched: Fetched) -> list[tuple[str, str]]:
    return [(name, value) for name, value in fetched.headers if name.lower() not in SERVER_HEADERS]


def check_same_page(name: str, fetched: Fetched, reference: Fetched) -> None:
    if fetched.status != 200:
        raise BenchError(f"{name}: HTTP {fetched.status} for the page")
    if fetched.header("content-encoding"):
        raise BenchError(f"{name}: sent a {fetched.header('content-encoding')} body to a plain GET")
    if fetched.body != reference.body:
        raise BenchError(
            f"{name}: served {len(fetched.body)} bytes, Northgate {len(reference.body)}, not the "
            "same page (did the content change during set-up? run again)"
        )


def fetch_reference(work: Path, env: dict[str, str], path: str) -> Fetched:
    """The page as Northgate serves it, from a short-lived server (when no Northgate case runs)."""
    server = start_case(CASES[0], work, env, work, None, work / "page.json", path)
    try:
        return wait_ready(server, server.url, timeout=STARTUP_TIMEOUT_S)
    finally:
        server.stop()
