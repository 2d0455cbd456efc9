"""How fast is one information page served, and how close is Northgate to its floor?

Cases (server pinned to core 1, wrk pinned to core 0, plain GET without gzip):

  a  Northgate, whole stack (`northgate serve --workers 1`, granian: the default server)
  b  bare ASGI function sending the same bytes and headers (bench/bare_app.py), granian
  c  nginx, 1 worker, serving the `northgate export-static` output
  d  Northgate on uvicorn
  e  bare ASGI function on uvicorn

Each run goes through every case in turn (interleaved, the starting case rotating from run
to run) with a warm-up before each measurement; medians over runs are reported. The page is
fetched from Northgate at run time, so the figures follow the page's current size.

Usage: .venv/bin/python bench/pages.py [--runs N] [--duration S] [--warmup S] [--cases a,b]
Environment: BENCH_RUNS, BENCH_DURATION, BENCH_WARMUP, BENCH_CONNECTIONS override defaults.
Writes bench/results/pages.json (see bench/README.md).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bare_app import PAGE_ENV, write_page
from common import (
    BENCH_DIR,
    PROJECT_DIR,
    SERVER_CPU,
    VENV_BIN,
    BenchError,
    Fetched,
    Server,
    check_wrk,
    env_number,
    free_port,
    host_busy_share,
    http_get,
    loopback_url,
    machine_info,
    measure_window,
    median,
    ratio,
    require_tools,
    run_wrk,
    start_server,
    terminate_raises,
    wait_for_quiet,
    wait_ready,
    write_results,
)

PAGE_PATH = "/en/eta"
A_OVER_B_TARGET = 0.8
# Headers the server adds by itself: the bare app must not send them twice.
SERVER_HEADERS = frozenset({"date", "server", "connection", "keep-alive", "transfer-encoding"})
STARTUP_TIMEOUT_S = 90.0
QUIET_WAIT_S = 30.0  # longest wait for a quiet host before retrying a disturbed run
COMMAND_TIMEOUT_S = 180


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


@dataclass
class Options:
    runs: int
    duration: float
    warmup: float
    connections: int
    cases: list[Case]
    path: str
    fail_under_target: bool
    noise_limit: float
    retries: int
    retry_deadline: float = 0.0  # time.monotonic() after which disturbed runs are not retried


@dataclass
class Measured:
    case: Case
    server: Server
    headers: list[tuple[str, str]]
    runs: list[dict[str, Any]] = field(default_factory=list)


def parse_options(argv: list[str] | None) -> Options:
    parser = argparse.ArgumentParser(description="Benchmark one page (see bench/README.md).")
    parser.add_argument(
        "--runs",
        type=int,
        default=int(env_number("BENCH_RUNS", 3)),
        help="measured runs per case [BENCH_RUNS, default 3]",
    )
    parser.add_argument(
        "--duration",
        type=float,
        default=env_number("BENCH_DURATION", 8),
        help="seconds per measured run [BENCH_DURATION, default 8]",
    )
    parser.add_argument(
        "--warmup",
        type=float,
        default=env_number("BENCH_WARMUP", 2),
        help="warm-up seconds before each run [BENCH_WARMUP, default 2]",
    )
    parser.add_argument(
        "--connections",
        type=int,
        default=int(env_number("BENCH_CONNECTIONS", 64)),
        help="wrk connections [BENCH_CONNECTIONS, default 64]",
    )
    parser.add_argument(
        "--cases", default="a,b,c,d,e", help="comma-separated subset of a,b,c,d,e [default: all]"
    )
    parser.add_argument("--path", default=PAGE_PATH, help=f"page to fetch [default {PAGE_PATH}]")
    parser.add_argument(
        "--fail-under-target",
        action="store_true",
        help=f"exit 2 when a/b requests/s is below {A_OVER_B_TARGET}",
    )
    parser.add_argument(
        "--noise-limit",
        type=float,
        default=env_number("BENCH_NOISE_LIMIT", 0.05),
        help="largest share of a run other processes (or steal) may take on "
        "either core before the run is retried [default 0.05]",
    )
    parser.add_argument(
        "--retries",
        type=int,
        default=int(env_number("BENCH_RETRIES", 2)),
        help="retries of a disturbed run; kept and flagged if still noisy "
        "[BENCH_RETRIES, default 2]",
    )
    args = parser.parse_args(argv)
    keys = [key.strip() for key in args.cases.split(",") if key.strip()]
    unknown = [key for key in keys if key not in {case.key for case in CASES}]
    if unknown or not keys:
        parser.error(f"unknown cases {unknown}; choose from a,b,c,d,e")
    if not 1 <= args.runs <= 20:
        parser.error("--runs must be between 1 and 20")
    if not 1 <= args.duration <= 120:
        parser.error("--duration must be between 1 and 120 seconds")
    if not 0 <= args.warmup <= 60:
        parser.error("--warmup must be between 0 and 60 seconds")
    if not 1 <= args.connections <= 1000:
        parser.error("--connections must be between 1 and 1000")
    if not 0 <= args.retries <= 5:
        parser.error("--retries must be between 0 and 5")
    if not 0 < args.noise_limit <= 1:
        parser.error("--noise-limit must be in (0, 1]")
    if not args.path.startswith("/"):
        parser.error("--path must start with /")
    return Options(
        runs=args.runs,
        duration=args.duration,
        warmup=args.warmup,
        connections=args.connections,
        cases=[case for case in CASES if case.key in keys],
        path=args.path,
        fail_under_target=args.fail_under_target,
        noise_limit=args.noise_limit,
        retries=args.retries,
    )


# --------------------------------------------------------------------------- set-up


def northgate_env(work: Path) -> dict[str, str]:
    """The parent's environment without any NORTHGATE_* setting, plus this run's own."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("NORTHGATE_")}
    var_dir = work / "var"
    var_dir.mkdir(mode=0o700, exist_ok=True)
    env["NORTHGATE_VAR_DIR"] = str(var_dir)
    env["NORTHGATE_NODE_MODULES"] = str(PROJECT_DIR / "node_modules")
    env["PYTHONUNBUFFERED"] = "1"
    return env


def northgate(env: dict[str, str], *args: str) -> None:
    command = [str(VENV_BIN / "northgate"), *args]
    try:
        done = subprocess.run(
            command,
            env=env,
            cwd=PROJECT_DIR,
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired as error:
        raise BenchError(f"{' '.join(command)} took over {COMMAND_TIMEOUT_S} s") from error
    if done.returncode != 0:
        raise BenchError(f"{' '.join(command)} failed:\n{done.stdout}{done.stderr}")


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
            str(BENCH_DIR / "bare_app.py"),
            "--server",
            server_name,
            "--port",
            str(port),
            "--workers",
            "1",
        ]
        return start_server(case.name, command, log_dir=work, env={**env, PAGE_ENV: str(page_file)})
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


# --------------------------------------------------------------------------- measuring


def measure_once(
    measured: Measured, everyone: list[Measured], options: Options, run_index: int
) -> dict[str, Any]:
    """Warm up, then one measured wrk run; retried when a neighbour disturbed it."""
    server = measured.server
    label = measured.case.label
    idle = [m.server for m in everyone if m is not measured]
    discarded: list[dict[str, Any]] = []
    for attempt in range(options.retries + 1):
        if server.popen.poll() is not None:
            raise BenchError(
                f"{server.name} {server.exit_reason()} during the runs:\n{server.log_tail()}"
            )
        if options.warmup > 0:
            warm = run_wrk(server.url, duration=options.warmup, connections=options.connections)
            check_wrk(warm, f"{label} warm-up")
        result, window = measure_window(
            server,
            idle,
            lambda: run_wrk(server.url, duration=options.duration, connections=options.connections),
        )
        check_wrk(result, label)
        record = {
            "run": run_index + 1,
            "attempt": attempt + 1,
            "requests": result.requests,
            "seconds": result.seconds,
            "requests_per_s": result.requests_per_s,
            "latency_ms": result.latency_ms,
            "non_2xx_3xx": result.non_2xx_3xx,
            "socket_errors": result.socket_errors,
            "read": result.read_bytes,
            **window.figures(result.requests),
        }
        if window.noise() <= options.noise_limit:
            break
        if attempt < options.retries and time.monotonic() < options.retry_deadline:
            print(
                f"  ... {label}: {window.noise():.0%} of the run went to other work "
                f"(limit {options.noise_limit:.0%}); again",
                flush=True,
            )
            discarded.append({k: record[k] for k in ("requests_per_s", "noise")})
            wait_for_quiet(options.noise_limit, max_wait_s=QUIET_WAIT_S)
    record["noisy"] = window.noise() > options.noise_limit
    record["discarded_noisy_attempts"] = discarded
    return record


def summarize(measured: Measured) -> dict[str, Any]:
    """Medians over the runs no neighbour disturbed (over all runs if every one was)."""
    clean = [r for r in measured.runs if not r["noisy"]]
    runs = clean or measured.runs
    return {
        "runs_total": len(measured.runs),
        "runs_used": [r["run"] for r in runs],
        "requests_per_s": round(median([r["requests_per_s"] for r in runs]), 1),
        "p50_ms": round(median([r["latency_ms"]["p50"] for r in runs]), 3),
        "p99_ms": round(median([r["latency_ms"]["p99"] for r in runs]), 3),
        "server_cpu_us_per_request": round(
            median([r["server_cpu_us_per_request"] for r in runs]), 2
        ),
        "server_core_busy": round(median([r["server_core_busy"] for r in runs]), 3),
        "requests_per_s_runs": [round(r["requests_per_s"], 1) for r in measured.runs],
        "max_noise": max(r["noise"] for r in runs),
        "noisy_runs": sum(1 for r in measured.runs if r["noisy"]),
    }


def ratios(medians: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Ratios of requests/s (higher is better for the numerator) and the matching CPU ratios.

    The CPU ratio is inverted (``cpu_b / cpu_a``) so that both read the same way: 1.0 means
    "as efficient as the reference", 0.5 "twice the CPU per request".
    """
    pairs = {
        "a/b": ("northgate-granian", "bare-granian"),
        "a/c": ("northgate-granian", "nginx"),
        "a/d": ("northgate-granian", "northgate-uvicorn"),
        "b/e": ("bare-granian", "bare-uvicorn"),
        "d/e": ("northgate-uvicorn", "bare-uvicorn"),
    }
    out: dict[str, dict[str, Any]] = {}
    for label, (top, bottom) in pairs.items():
        if top in medians and bottom in medians:
            rps = ratio(medians[top]["requests_per_s"], medians[bottom]["requests_per_s"])
            cpu = ratio(
                medians[bottom]["server_cpu_us_per_request"],
                medians[top]["server_cpu_us_per_request"],
            )
            # Reliable when both medians rest on at least one undisturbed run.
            clean = all(medians[n]["noisy_runs"] < medians[n]["runs_total"] for n in (top, bottom))
            out[label] = {
                "requests_per_s": round(rps, 3) if rps is not None else None,
                "cpu_efficiency": round(cpu, 3) if cpu is not None else None,
                "reliable": clean,
            }
    return out


def print_report(
    measured: list[Measured],
    medians: dict[str, dict[str, Any]],
    ratio_table: dict[str, dict[str, Any]],
    page_bytes: int,
    options: Options,
) -> None:
    print()
    print(
        f"GET {options.path} ({page_bytes} bytes, no gzip), wrk -t1 -c{options.connections} "
        f"-d{round(options.duration)}s, medians of {options.runs} run(s)"
    )
    header = (
        f"{'case':<31}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'CPU us/req':>12}"
        f"{'core busy':>11}{'noise':>7}   req/s per run"
    )
    print(header)
    print("-" * len(header))
    for m in measured:
        s = medians[m.case.name]
        per_run = " ".join(f"{r['requests_per_s']:,.0f}{'*' if r['noisy'] else ''}" for r in m.runs)
        print(
            f"{m.case.label:<31}{s['requests_per_s']:>10,.0f}{s['p50_ms']:>9.2f}"
            f"{s['p99_ms']:>9.2f}{s['server_cpu_us_per_request']:>12.1f}"
            f"{s['server_core_busy']:>10.0%}{s['max_noise']:>7.0%}   {per_run}"
        )
    print()
    notes = {
        "a/b": f"Northgate stack vs bare ASGI on granian (target >= {A_OVER_B_TARGET})",
        "a/c": "Northgate vs nginx serving the exported files",
        "a/d": "Northgate on granian vs on uvicorn (> 1: granian is faster)",
        "b/e": "bare ASGI on granian vs on uvicorn",
        "d/e": "Northgate stack vs bare ASGI on uvicorn",
    }
    print(f"{'ratio':<6}{'req/s':>8}{'CPU eff.':>10}   meaning")
    for label, values in ratio_table.items():
        rps, cpu = values["requests_per_s"], values["cpu_efficiency"]
        flag = ""
        if not values["reliable"]:
            flag = "  UNRELIABLE: every run disturbed"
        elif label == "a/b" and rps is not None:
            flag = "  OK" if rps >= A_OVER_B_TARGET else "  BELOW TARGET"
        print(
            f"{label:<6}{rps if rps is not None else float('nan'):>8.2f}"
            f"{cpu if cpu is not None else float('nan'):>10.2f}   {notes[label]}{flag}"
        )
    if "nginx" in medians and medians["nginx"]["server_core_busy"] < 0.9:
        print(
            "\nnginx left core 1 partly idle: wrk (one thread on core 0) was the bottleneck, "
            "so nginx's req/s is a lower bound; compare CPU us/req instead."
        )
    print("* = disturbed by other processes even after retries; left out of the medians.")
    print("CPU eff. = reference CPU per request / this CPU per request (the steadier figure).")
    print(
        "core busy = server CPU / wall time on core 1; noise = worst share of a run taken by "
        "other processes or steal on either core."
    )
    noisy = {name: s["noisy_runs"] for name, s in medians.items() if s["noisy_runs"]}
    if noisy:
        print(
            f"WARNING: runs still disturbed after retries, left out of the medians: {noisy}. "
            "Another process competed for the cores; when every run of a case was disturbed "
            "(noise column > limit), do not trust that case."
        )


def main(argv: list[str] | None = None) -> int:
    options = parse_options(argv)
    require_tools(
        "wrk", "taskset", *(["nginx"] if any(c.name == "nginx" for c in options.cases) else [])
    )
    started = time.monotonic()
    per_case = options.warmup + options.duration
    # Retries may at most double the time spent under load.
    options.retry_deadline = started + 60 + len(options.cases) * options.runs * per_case * 2
    print(
        f"pages: {len(options.cases)} case(s) x {options.runs} run(s) x "
        f"({options.warmup:g}+{options.duration:g} s) ~ "
        f"{len(options.cases) * options.runs * per_case / 60:.1f} min of load, plus start-up",
        flush=True,
    )
    info = machine_info()
    info["busy_share_before_start"] = round(host_busy_share(1.0), 3)
    if info["busy_share_before_start"] > options.noise_limit:
        print(
            f"  warning: {info['busy_share_before_start']:.0%} of the CPUs is busy with other "
            "processes; runs they disturb are retried and flagged",
            flush=True,
        )
    servers: list[Server] = []
    with terminate_raises(), tempfile.TemporaryDirectory(prefix="northgate-bench-") as tmp:
        work = Path(tmp)
        # nginx workers drop to an unprivileged user when started as root: let them read.
        work.chmod(0o755)
        try:
            env = northgate_env(work)
            northgate(env, "migrate")
            static = work / "static"
            northgate(env, "export-static", str(static))
            for path in [static, *static.rglob("*")]:
                path.chmod(0o755 if path.is_dir() else 0o644)

            # A Northgate case first: it supplies the reference bytes for the others.
            ordered = sorted(options.cases, key=lambda c: not c.name.startswith("northgate-"))
            page_file = work / "page.json"
            reference: Fetched | None = None
            measured: list[Measured] = []
            for case in ordered:
                if reference is None and not case.name.startswith("northgate-"):
                    reference = fetch_reference(work, env, options.path)
                if case.name.startswith("bare-") and not page_file.exists():
                    assert reference is not None
                    write_page(page_file, reference.status, bare_headers(reference), reference.body)
                server = start_case(case, work, env, static, reference, page_file, options.path)
                servers.append(server)
                fetched = wait_ready(server, server.url, timeout=STARTUP_TIMEOUT_S)
                if reference is None:
                    reference = fetched
                check_same_page(case.label, fetched, reference)
                server.check_pinned(SERVER_CPU)
                measured.append(Measured(case, server, fetched.headers))
                print(f"  started {case.label} (pid {server.pid}) at {server.url}", flush=True)
            assert reference is not None
            measured.sort(key=lambda m: m.case.key)

            for run_index in range(options.runs):
                # Interleave: every case once per run; rotate who goes first.
                shift = run_index % len(measured)
                for m in measured[shift:] + measured[:shift]:
                    record = measure_once(m, measured, options, run_index)
                    m.runs.append(record)
                    print(
                        f"  run {run_index + 1}/{options.runs} {m.case.label:<31}"
                        f"{record['requests_per_s']:>10,.0f} req/s  "
                        f"p99 {record['latency_ms']['p99']:.2f} ms  "
                        f"{record['server_cpu_us_per_request']:.1f} us/req",
                        flush=True,
                    )

            for m in measured:  # still the same page at the end?
                check_same_page(m.case.label, http_get(m.server.url), reference)
        finally:
            for server in reversed(servers):
                server.stop()

    medians = {m.case.name: summarize(m) for m in measured}
    ratio_table = ratios(medians)
    print_report(measured, medians, ratio_table, len(reference.body), options)
    results = {
        "benchmark": "pages",
        "page": {
            "path": options.path,
            "bytes": len(reference.body),
            "headers": bare_headers(reference),
        },
        "settings": {
            "runs": options.runs,
            "duration_s": options.duration,
            "warmup_s": options.warmup,
            "wrk": f"taskset -c 0 wrk -t1 -c{options.connections} -d{round(options.duration)}s "
            "--latency",
            "server_cpu": SERVER_CPU,
            "a_over_b_target": A_OVER_B_TARGET,
        },
        "machine": info,
        "cases": {
            m.case.name: {
                "key": m.case.key,
                "label": m.case.label,
                "pid": m.server.pid,
                "response_headers": m.headers,
                "median": medians[m.case.name],
                "runs": m.runs,
            }
            for m in measured
        },
        "ratios": ratio_table,
        "elapsed_s": round(time.monotonic() - started, 1),
    }
    path = write_results("pages", results)
    print(f"\nwrote {path.relative_to(PROJECT_DIR)} in {results['elapsed_s']:.0f} s")
    a_over_b = ratio_table.get("a/b", {})
    if options.fail_under_target and a_over_b:
        if not a_over_b["reliable"]:
            print("a/b could not be measured: the host was busy", file=sys.stderr)
            return 3
        if a_over_b["requests_per_s"] < A_OVER_B_TARGET:
            return 2
    return 0


def fetch_reference(work: Path, env: dict[str, str], path: str) -> Fetched:
    """The page as Northgate serves it, from a short-lived server (when no Northgate case runs)."""
    server = start_case(CASES[0], work, env, work, None, work / "page.json", path)
    try:
        return wait_ready(server, server.url, timeout=STARTUP_TIMEOUT_S)
    finally:
        server.stop()


if __name__ == "__main__":
    try:
        exit_code = main()
    except BenchError as error:
        print(f"\nBENCHMARK FAILED: {error}", file=sys.stderr)
        exit_code = 1
    except KeyboardInterrupt:
        print("\ninterrupted; every server stopped", file=sys.stderr)
        exit_code = 130
    except SystemExit as stop:  # argparse, or SIGTERM/SIGHUP via common.terminate_raises
        exit_code = stop.code if isinstance(stop.code, int) else 1
        if exit_code > 128:
            print("\nstopped by a signal; every server stopped", file=sys.stderr)
    sys.exit(exit_code)
