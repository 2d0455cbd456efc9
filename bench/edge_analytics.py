"""The edge's CPU per answer, and what counting the arrivals costs it (issue 16, item 7).

nginx with the example configuration (deploy/nginx/northgate.conf) and the edge's Lua, one
worker pinned to the server core, Redis holding a line that is not admitting freely, and
`northgate edge-log` collecting; wrk pinned to the other core. Per answer type (a page
served from a file, a waiting-room poll with a place, a new visitor given a place) and per
logging variant, the nginx worker's CPU (utime+stime from /proc) divided by the requests
wrk completed:

  none      no counting, no request log: what nginx spends to answer
  counts    the Lua counters only (log_by_lua, handed over once a second)
  example   the example as shipped: counters and the buffered operators' request log
  before    the example before this change: a syslog datagram per request to
            `northgate edge-log` and an unbuffered request log (a write per request)

All four nginx run at once and are measured in turn, round after round, so the machine's
drift falls on each alike; a round gives paired differences against "none". On a shared
machine those differences still swing by several microseconds (the kernel's loopback TCP,
about half of nginx's CPU here, varies with how busy wrk's core is), so the counting is
also measured directly: `counts.log()` called 200,000 times in a loop inside nginx, on a
real request and the real shared dict ("log_call"). Edge analytics' share of nginx's CPU
= that cost / the "none" cost of the answer.

    .venv/bin/python bench/edge_analytics.py --runs 5 --duration 3   # ~5 min
    .venv/bin/python bench/edge_analytics.py --runs 1 --duration 1 --quick   # smoke, no file
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: bench/ is a package of the project
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import redis

from bench.harness.entry import run_main
from bench.harness.errors import BenchError
from bench.harness.net import free_port
from bench.harness.northgate import northgate, northgate_env
from bench.harness.paths import PROJECT_DIR, VENV_BIN
from bench.harness.processes import (
    LOAD_CPU,
    SERVER_CPU,
    Server,
    cpu_seconds,
    require_tools,
    start_server,
    wait_ready,
)
from bench.harness.records import machine_info, write_results
from bench.harness.stats import median
from bench.harness.wrk import run_wrk
from northgate.edge.gate.edge_state import redis_keys

EXAMPLE = PROJECT_DIR / "deploy" / "nginx" / "northgate.conf"
LUA_DIR = PROJECT_DIR / "deploy" / "nginx" / "lua"
EVENT = "eta"
SECRET = "bench: a throwaway secret, 0123456789abcdef"  # noqa: S105 (a throwaway test key)
PAGE = "/en/eta"
ROOM = "/en/eta/apply"
TARGET_SHARE = 0.10
TARGET_ROOM_US = 25.0

# The example's literal lines a deployment replaces (as tests/deploy/test_nginx.py does).
LOG_BY_LUA = 'log_by_lua_block { require("northgate.edge").log() }'
REQUEST_LOG = (
    "access_log /var/log/nginx/northgate-requests.log northgate_requests buffer=64k flush=1s;"
)
EDGE_SOCKET = "/run/northgate/edge-log.sock"
OLD_EDGE_FORMAT = (
    "log_format northgate_edge '$msec\\t$status\\t$request_uri\\t$remote_addr\\t"
    "$http_x_forwarded_for\\t$http_user_agent\\t$sent_http_retry_after';"
)

VARIANTS = ("none", "counts", "example", "before")


def configure(variant: str, *, work: Path, site: Path, port: int, keys: Path, sock: Path) -> str:
    text = EXAMPLE.read_text()
    replacements = {
        "root /srv/northgate/static;": f"root {site};",
        "listen 80;": f"listen 127.0.0.1:{port};",
        "server 127.0.0.1:8000;": f"server 127.0.0.1:{free_port()};",
        "server 127.0.0.1:8001;": f"server 127.0.0.1:{free_port()};",
        "/srv/northgate/deploy/nginx/lua": str(LUA_DIR),
        "/etc/northgate/edge-keys.json": str(keys),
        "/srv/northgate/static": str(site),
        EDGE_SOCKET: str(sock),
        "/var/log/nginx/": f"{work}/",
    }
    counts_line = LOG_BY_LUA
    request_log = REQUEST_LOG.replace("/var/log/nginx/", f"{work}/")
    if variant in ("none", "before"):
        counts_line = ""
    if variant in ("none", "counts"):
        request_log = "access_log off;"
    elif variant == "before":
        request_log = (
            request_log.replace(" buffer=64k flush=1s", "")
            + f"\n    access_log syslog:server=unix:{sock},nohostname,tag=northgate"
            " northgate_edge if=$northgate_edge_only;"
        )
    for literal, value in replacements.items():
        if literal not in text:
            raise BenchError(f"{EXAMPLE} no longer holds {literal!r}")
        text = text.replace(literal, value)
    text = text.replace(LOG_BY_LUA, counts_line)
    if variant == "counts":
        port = free_port()
        LOG_CALL_URL[:] = [f"http://127.0.0.1:{port}"]
        text += LOG_CALL_SERVER % port
    text = text.replace(REQUEST_LOG.replace("/var/log/nginx/", f"{work}/"), request_log)
    return text


def nginx_binary() -> str:
    for candidate in ("/usr/sbin/nginx", "nginx"):
        if Path(candidate).exists() or candidate == "nginx":
            return candidate
    raise BenchError("nginx not found")


def lua_modules() -> str:
    version = subprocess.run(
        [nginx_binary(), "-V"], capture_output=True, text=True, check=True, timeout=10
    )
    match = re.search(r"--modules-path=(\S+)", version.stderr)
    directory = Path(match.group(1) if match else "/usr/lib/nginx/modules")
    return "".join(
        f"load_module {directory / name};\n"
        for name in ("ndk_http_module.so", "ngx_http_lua_module.so")
    )


@contextmanager
def running_nginx(variant: str, work: Path, site: Path, keys: Path, sock: Path) -> Iterator[str]:
    base = work / f"nginx-{variant}"
    base.mkdir(parents=True, exist_ok=True)
    port = free_port()
    (base / "northgate.conf").write_text(
        configure(variant, work=base, site=site, port=port, keys=keys, sock=sock)
    )
    temp_paths = "\n".join(
        f"    {kind}_temp_path {base / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    (base / "nginx.conf").write_text(
        f"{lua_modules()}{'user root;' if os.geteuid() == 0 else ''}\nworker_processes 1;\n"
        f"error_log {base / 'error.log'} error;\n"
        "events { worker_connections 1024; }\n"
        "http {\n"
        "    include /etc/nginx/mime.types;\n"
        "    default_type application/octet-stream;\n"
        "    sendfile on;\n"
        "    access_log off;\n"
        f"    {OLD_EDGE_FORMAT}\n"
        f"{temp_paths}\n"
        f"    include {base / 'northgate.conf'};\n"
        "}\n"
    )
    command = [
        nginx_binary(), "-p", str(base), "-e", str(base / "error.log"),
        "-c", str(base / "nginx.conf"), "-g", f"daemon off; pid {base / 'nginx.pid'};",
    ]  # fmt: skip
    server = start_server(f"nginx-{variant}", command, log_dir=base, cpu=SERVER_CPU)
    try:
        wait_ready(server, f"http://127.0.0.1:{port}{PAGE}", timeout=30)
        server.check_pinned(SERVER_CPU)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


def place_cookie(url: str) -> str:
    """A place in line, as a visitor's browser keeps it."""
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        # http, loopback only:
        with urllib.request.urlopen(url + ROOM, timeout=5) as response:  # noqa: S310
            for header in response.headers.get_all("Set-Cookie") or []:
                if str(header).startswith("ng_place="):
                    return str(header).split(";", 1)[0]
        time.sleep(0.3)
    raise BenchError("nginx gave no place in line: has it read the line from Redis?")


@contextmanager
def publishing(client: redis.Redis) -> Iterator[None]:
    """The line's state as the Python gate publishes it, kept fresh each second: not
    admitting freely, so nginx answers the room."""
    keys = redis_keys(EVENT)
    stop = threading.Event()

    def publish() -> None:
        while not stop.is_set():
            client.hset(
                keys["state"],
                mapping={
                    "gen": "bench", "free": 0, "below": 1, "outflow": 5.0, "density": 1,
                    "poll": 20, "at": int(time.time() * 1000), "edges": 1, "waiting": 10_000,
                },
            )  # fmt: skip
            stop.wait(1.0)

    thread = threading.Thread(target=publish, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(5)


def nginx_cpu(work: Path, variant: str) -> float:
    """The master's and its workers' CPU seconds (the master is idle)."""
    return cpu_seconds(int((work / f"nginx-{variant}" / "nginx.pid").read_text()))


def measure(
    url: str, work: Path, variant: str, collector: Server, *, duration: float, cookie: str | None
) -> dict[str, float]:
    script = None
    if cookie:
        script = work / f"cookie-{variant}.lua"
        script.write_text(f'wrk.headers["Cookie"] = "{cookie}"\n')
    before_nginx = nginx_cpu(work, variant)
    before_collector = collector.cpu_seconds()
    result = run_wrk(url, duration=duration, connections=32, script=script)
    after_nginx = nginx_cpu(work, variant)
    time.sleep(1.5)  # the last second's counters, handed over and read
    collector_cpu = collector.cpu_seconds() - before_collector
    if any(result.socket_errors.values()) or result.non_2xx_3xx:
        # Every answer measured here is a 200: anything else measures another answer.
        raise BenchError(
            f"{variant} {url}: {result.non_2xx_3xx} non-2xx answers, errors {result.socket_errors}"
        )
    return {
        "requests": result.requests,
        "requests_per_s": round(result.requests_per_s),
        "nginx_us_per_request": (after_nginx - before_nginx) / result.requests * 1e6,
        "collector_us_per_request": collector_cpu / result.requests * 1e6,
    }


ANSWERS = {
    "page": (PAGE, False),  # a page from a file
    "room_poll": (ROOM, True),  # a visitor in line polls with its place
    "new_visitor": (ROOM, False),  # a new visitor: a place signed and the room
}


def run(args: argparse.Namespace) -> dict[str, Any]:
    require_tools("wrk", "taskset", "redis-server")
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="edge-analytics-") as temp:
        work = Path(temp)
        redis_port = free_port()
        redis_server = start_server(
            "redis",
            ["redis-server", "--port", str(redis_port), "--save", "", "--appendonly", "no"],
            log_dir=work,
            cpu=LOAD_CPU,
        )
        try:
            redis_url = f"redis://127.0.0.1:{redis_port}/0"
            env = northgate_env(
                work / "var",
                {
                    "NORTHGATE_SECRET_KEY": SECRET,
                    "NORTHGATE_GATE_EVENT": EVENT,
                    "NORTHGATE_REDIS_URL": redis_url,
                },
            )
            site = work / "static"
            northgate(env, "export-static", str(site))
            keys = work / "edge-keys.json"
            northgate(env, "edge-keys", str(keys))
            northgate(env, "migrate")
            sock = work / "edge-log.sock"
            collector = start_server(
                "edge-log",
                [str(VENV_BIN / "northgate"), "edge-log", str(sock)],
                log_dir=work,
                env=env,
                cpu=LOAD_CPU,
            )
            deadline = time.monotonic() + 60
            while not sock.exists():
                if collector.popen.poll() is not None or time.monotonic() > deadline:
                    raise BenchError(f"edge-log did not start:\n{collector.log_tail()}")
                time.sleep(0.1)
            client = redis.Redis.from_url(redis_url)
            try:
                with publishing(client), ExitStack() as stack:
                    # Every variant's nginx at once (one worker each, all on the server
                    # core), measured in turn, round after round: the machine's drift
                    # (other load, frequency) falls on every variant alike, and each round
                    # gives a paired difference.
                    urls = {
                        variant: stack.enter_context(running_nginx(variant, work, site, keys, sock))
                        for variant in args.variants
                    }
                    cookies = {variant: place_cookie(url) for variant, url in urls.items()}
                    rounds: dict[str, dict[str, list[dict[str, float]]]] = {}
                    for round_number in range(args.runs):
                        for answer, (path, with_place) in ANSWERS.items():
                            for variant, url in urls.items():
                                measured = measure(
                                    url + path,
                                    work,
                                    variant,
                                    collector,
                                    duration=args.duration,
                                    cookie=cookies[variant] if with_place else None,
                                )
                                rounds.setdefault(answer, {}).setdefault(variant, []).append(
                                    measured
                                )
                                print(
                                    f"round {round_number + 1} {answer:12} {variant:8} "
                                    f"{measured['nginx_us_per_request']:6.2f} us nginx, "
                                    f"{measured['requests_per_s']} req/s",
                                    flush=True,
                                )
                    for answer, by_variant in rounds.items():
                        results[answer] = {v: summarise(r) for v, r in by_variant.items()}
                        results[answer]["paired"] = paired(by_variant)
                    if "counts" in urls:
                        results["log_call"] = log_call_cost()
            finally:
                client.close()
                collector.stop()
        finally:
            redis_server.stop()
    return results


def paired(by_variant: dict[str, list[dict[str, float]]]) -> dict[str, Any]:
    """Medians of the per-round differences against "none" (us of nginx CPU a request)."""
    if "none" not in by_variant:
        return {}
    base = [r["nginx_us_per_request"] for r in by_variant["none"]]
    found: dict[str, Any] = {}
    for variant, runs in by_variant.items():
        if variant == "none":
            continue
        diffs = [r["nginx_us_per_request"] - b for r, b in zip(runs, base, strict=True)]
        found[f"{variant}_minus_none_us"] = round(median(diffs), 2)
        found[f"{variant}_minus_none_runs"] = [round(d, 2) for d in diffs]
    return found


# counts.log(), called in a loop inside nginx on a real request (its variables, the real
# shared dict): the CPU of the counting itself, without the noise of a whole request.
LOG_CALL_SERVER = """
    server {
        listen 127.0.0.1:%d;
        location / {
            content_by_lua_block {
                local counts = require("northgate.counts")
                local n = tonumber(ngx.var.arg_n)
                local clock = os.clock
                for _ = 1, 1000 do counts.log() end -- warm up (JIT)
                local start = clock()
                for _ = 1, n do counts.log() end
                ngx.print(string.format("%%.4f", (clock() - start) / n * 1e6))
            }
        }
    }
"""


def log_call_cost() -> dict[str, Any]:
    """us of CPU per call of counts.log(), median of 5 loops of 200,000, from the extra
    server of the "counts" variant."""
    found = []
    for _ in range(5):
        with urllib.request.urlopen(  # noqa: S310 (http, loopback)
            f"{LOG_CALL_URL[0]}/?n=200000", timeout=60
        ) as response:
            found.append(float(response.read()))
    return {"us_per_call": round(median(found), 3), "runs_us": found}


LOG_CALL_URL: list[str] = []


def summarise(runs: list[dict[str, float]]) -> dict[str, Any]:
    return {
        "nginx_us_per_request": round(median([r["nginx_us_per_request"] for r in runs]), 2),
        "collector_us_per_request": round(median([r["collector_us_per_request"] for r in runs]), 3),
        "requests_per_s": round(median([r["requests_per_s"] for r in runs])),
        "runs_nginx_us": [round(r["nginx_us_per_request"], 2) for r in runs],
    }


def verdicts(results: dict[str, Any]) -> dict[str, Any]:
    """Counting's share of nginx's CPU per answer (paired rounds, and from the measured
    cost of one counts.log() call), and each answer's CPU against the 25 us target."""
    found: dict[str, Any] = {}
    log_call = results.get("log_call", {}).get("us_per_call")
    for answer in ANSWERS:
        by_variant = results.get(answer)
        if not by_variant:
            continue
        cost = {v: by_variant[v]["nginx_us_per_request"] for v in VARIANTS if v in by_variant}
        entry: dict[str, Any] = {}
        counting = by_variant.get("paired", {}).get("counts_minus_none_us")
        if "none" in cost and counting is not None:
            entry["counting_us_paired"] = counting
            entry["counting_share_paired"] = round(counting / cost["none"], 3)
        if "none" in cost and log_call is not None:
            entry["counting_share_by_log_call"] = round(log_call / cost["none"], 3)
            entry["within_share_target"] = log_call / cost["none"] <= TARGET_SHARE
        if "example" in cost:
            entry["example_us"] = cost["example"]
            entry["within_answer_target"] = cost["example"] <= TARGET_ROOM_US
        found[answer] = entry
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--duration", type=float, default=4.0)
    parser.add_argument("--variants", type=lambda s: s.split(","), default=list(VARIANTS))
    parser.add_argument("--quick", action="store_true", help="smoke test: nothing written")
    args = parser.parse_args()
    results = run(args)
    summary = verdicts(results)
    print(summary)
    if not args.quick:
        path = write_results(
            "edge-analytics",
            {
                "benchmark": "edge-analytics",
                "command": "python bench/edge_analytics.py " + " ".join(sys.argv[1:]),
                "settings": {
                    "runs": args.runs,
                    "duration_s": args.duration,
                    "wrk_connections": 32,
                    "nginx_workers": 1,
                    "server_cpu": SERVER_CPU,
                    "load_cpu": LOAD_CPU,
                    "share_target": TARGET_SHARE,
                    "answer_target_us": TARGET_ROOM_US,
                },
                "machine": machine_info(packages=()),
                "variants": {
                    "none": "no counting, no request log",
                    "counts": "the Lua counters only",
                    "example": "deploy/nginx/northgate.conf as shipped",
                    "before": "a syslog datagram per request and an unbuffered request log",
                },
                "answers": results,
                "verdicts": summary,
            },
        )
        print(f"written {path}")
    return 0


if __name__ == "__main__":
    run_main(main)
