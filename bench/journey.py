"""Benchmark `journey`: server CPU and wall time per complete eTA journey, step by step, on
PostgreSQL and SQLite, beside a floor measured in the same run.

    .venv/bin/python -m bench.journey             # 3 runs x 20 journeys per backend: ~2 min
    BENCH_RUNS=5 BENCH_JOURNEYS=40 .venv/bin/python -m bench.journey
    .venv/bin/python -m bench.journey --backends sqlite
    .venv/bin/python -m bench.journey --quick     # smoke test: 1 run of 2 journeys, nothing written

One journey is what a browser does from "Do I need an eTA?" to the e-mails: the triage page
(GET, POST), "Start now" (GET, POST), every question page (GET, POST), check your answers
(GET, POST: the submission), the pay page (GET, POST), the sandbox gateway's card page
(GET, POST), the return from the gateway, the confirmation page, then the jobs the payment
scheduled, run by ``northgate worker``: the decision and the e-mails (receipt, approval).

The server (``northgate serve``, one granian worker, gate on, analytics off, embedded worker
off) and the worker run on core 1; this process walks the journeys from core 0, one request
at a time (concurrency 1). Each request's server CPU is read to the nanosecond from the
scheduler (bench/harness/schedstat.py) before and after it, as is PostgreSQL's. The worker
is stopped (SIGSTOP) while the pages are walked and let go afterwards: its CPU, and the
database's meanwhile, are the jobs' cost.

The floor, measured in the same run: (1) the bare ASGI app (bench/bare_app.py, on the same
granian) answering a captured journey page, walked the same way, CPU per request; (2)
pgbench inserting one 1 KB row per transaction into the same PostgreSQL, one client on
core 1: CPU per insert (pgbench's own, and PostgreSQL's) and time per insert. The floor of
a journey is one bare answer per request the journey makes plus one such insert per write
it needs (WRITES_NEEDED: one per state change, jobs included). Ratios floor / actual.

Other engineers share this machine's two cores: the figures are noisy. Every run records
the load average and the share of the cores others took (``noise``); compare only figures
of one run. Figures go to bench/results/journey.json.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import signal
import sqlite3
import subprocess
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from bench.bare_app import write_page
from bench.harness.entry import QUICK_HELP, run_main
from bench.harness.errors import BenchError
from bench.harness.net import free_port, loopback_url
from bench.harness.noise import children_cpu, core_times, wait_for_quiet
from bench.harness.northgate import northgate, northgate_env, serve_command
from bench.harness.paths import PROJECT_DIR, VENV_BIN
from bench.harness.processes import (
    LOAD_CPU,
    SERVER_CPU,
    Server,
    cpu_seconds,
    keep_to_bench_cores,
    require_tools,
    start_server,
    terminate_raises,
    wait_ready,
)
from bench.harness.records import machine_info, write_results
from bench.harness.schedstat import TaskClock
from bench.harness.stats import env_number, median, ratio
from northgate.core.lang import Lang
from northgate.testing.journey import (
    ADULT_FORM,
    APPROVED_CARD,
    TRIAGE_FORM,
    csrf_of,
    step_form,
)
from northgate.testing.postgres import PostgresServer
from northgate.ui.journey_urls import url

LANG: Lang = "en"
PGBENCH_SCRIPT = "INSERT INTO bench_rows (payload) VALUES (repeat('x', 1000));\n"
NOISE_LIMIT = 0.10
QUESTION_STEP = "question pages"
JOBS_STEP = "jobs: decision + e-mails"
# The writes a journey needs, one per state change (what a minimal design would commit):
# the draft, each question page's answers, the submission (its follow-up job in the same
# transaction), the payment attempt, the gateway's charge, the settlement, the decision,
# and the two e-mails' records (receipt, approval). Question pages are counted as walked.
WRITES_BESIDES_QUESTIONS = {
    "start": 1,
    "check answers + submit": 1,
    "pay": 1,
    "sandbox gateway": 1,
    "payment return": 1,
    JOBS_STEP: 3,
}
MAILS_PER_JOURNEY = 2  # receipt and approval


@dataclass
class Sample:
    """One request: its step, wall time and the CPU the server and database spent on it."""

    step: str
    wall_s: float
    server_s: float
    db_s: float


@dataclass
class Walker:
    """Sends one request at a time and charges the CPU spent meanwhile to its step."""

    server: TaskClock
    database: TaskClock | None
    samples: list[Sample] = field(default_factory=list)

    def send(
        self, client: httpx.Client, step: str, method: str, path: str, expect: int, **kw: Any
    ) -> httpx.Response:
        db_before = self.database.seconds() if self.database else 0.0
        server_before = self.server.seconds()
        started = time.perf_counter()
        response = client.request(method, path, **kw)
        wall = time.perf_counter() - started
        server_s = self.server.seconds() - server_before
        db_s = (self.database.seconds() - db_before) if self.database else 0.0
        if response.status_code != expect:
            raise BenchError(
                f"{method} {path} ({step}): HTTP {response.status_code}, expected {expect}:\n"
                f"{response.text[:400]}"
            )
        self.samples.append(Sample(step, wall, server_s, db_s))
        return response


def walk_journey(walker: Walker, client: httpx.Client) -> int:
    """One journey, triage to confirmation; returns the question pages it answered."""
    send = walker.send
    triage = url("triage", LANG)
    send(client, "triage", "GET", triage, 200)
    send(client, "triage", "POST", triage, 200, data=TRIAGE_FORM)
    start = url("start", LANG)
    page = send(client, "start", "GET", start, 200)
    response = send(client, "start", "POST", start, 303, data={"csrf_token": csrf_of(page.text)})
    review = url("review", LANG)
    questions = 0
    while (location := response.headers["location"]) != review:
        page = send(client, QUESTION_STEP, "GET", location, 200)
        data = step_form(urlsplit(location).path, ADULT_FORM, LANG)
        response = send(
            client,
            QUESTION_STEP,
            "POST",
            location,
            303,
            data={"csrf_token": csrf_of(page.text), **data},
        )
        questions += 1
        if questions > 60:
            raise BenchError("the journey did not reach check your answers")
    page = send(client, "check answers + submit", "GET", review, 200)
    send(
        client,
        "check answers + submit",
        "POST",
        review,
        303,
        data={"csrf_token": csrf_of(page.text)},
    )
    pay = url("pay", LANG)
    page = send(client, "pay", "GET", pay, 200)
    response = send(client, "pay", "POST", pay, 303, data={"csrf_token": csrf_of(page.text)})
    gateway = response.headers["location"]
    send(client, "sandbox gateway", "GET", gateway, 200)
    response = send(client, "sandbox gateway", "POST", gateway, 303, data=APPROVED_CARD)
    response = send(client, "payment return", "GET", response.headers["location"], 303)
    send(client, "confirmation", "GET", response.headers["location"], 200)
    return questions


def sqlite_writable(path: Path) -> bool:
    """Whether no one holds SQLite's write lock (a frozen worker must not)."""
    connection = sqlite3.connect(path, timeout=0)
    try:
        connection.execute("BEGIN IMMEDIATE")
        connection.rollback()
        return True
    except sqlite3.OperationalError:
        return False
    finally:
        connection.close()


def freeze_worker_idle(worker: Server, sqlite_path: Path | None) -> None:
    """SIGSTOP the worker at a moment it holds no SQLite lock (it polls every 0.5 s)."""
    for _ in range(50):
        os.killpg(worker.pid, signal.SIGSTOP)
        if sqlite_path is None or sqlite_writable(sqlite_path):
            return
        os.killpg(worker.pid, signal.SIGCONT)
        time.sleep(0.05)
    raise BenchError("the worker never let go of the SQLite write lock")


def wait_for_mails(mail_dir: Path, count: int, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while len(list(mail_dir.glob("*.eml"))) < count:
        if time.monotonic() > deadline:
            found = len(list(mail_dir.glob("*.eml")))
            raise BenchError(f"{found} e-mails after {timeout_s:.0f} s, expected {count}")
        time.sleep(0.02)


def foreign_share(run: Callable[[], Any], ours: list[int]) -> tuple[Any, dict[str, Any]]:
    """Run ``run()`` and the share of the two cores that processes not ours took meanwhile."""
    cpus = (SERVER_CPU, LOAD_CPU)
    ours_before = sum(cpu_seconds(pid) for pid in ours)
    self_before = resource.getrusage(resource.RUSAGE_SELF)
    children_before = children_cpu()
    cores_before = core_times()
    started = time.monotonic()
    result = run()
    seconds = time.monotonic() - started
    cores = {cpu: core_times()[cpu] - cores_before[cpu] for cpu in cpus}
    self_after = resource.getrusage(resource.RUSAGE_SELF)
    mine = (self_after.ru_utime - self_before.ru_utime) + (
        self_after.ru_stime - self_before.ru_stime
    )
    accounted = (
        sum(cpu_seconds(pid) for pid in ours)
        - ours_before
        + mine
        + children_cpu()
        - children_before
    )
    busy = sum(cores[cpu].busy for cpu in cpus)
    foreign = max(0.0, busy - accounted)
    return result, {
        "seconds": round(seconds, 3),
        "cores_busy_s": round(busy, 3),
        "accounted_cpu_s": round(accounted, 3),
        "foreign_s": round(foreign, 3),
        "noise": round(foreign / seconds, 3) if seconds > 0 else 0.0,
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


@dataclass
class Backend:
    """One ``northgate serve`` and its ``northgate worker`` on one database."""

    name: str
    env: dict[str, str]
    var_dir: Path
    sqlite_path: Path | None
    postmaster: int | None
    server: Server | None = None
    worker: Server | None = None
    port: int = 0

    def start(self, log_dir: Path) -> None:
        northgate(self.env, "migrate")
        self.port = free_port()
        self.server = start_server(
            f"northgate-{self.name}", serve_command(self.port), log_dir=log_dir, env=self.env
        )
        wait_ready(self.server, loopback_url(self.port, "/readyz"))
        self.server.check_pinned()
        self.worker = start_server(
            f"worker-{self.name}",
            [str(VENV_BIN / "northgate"), "worker"],
            log_dir=log_dir,
            env=self.env,
        )

    def stop(self) -> None:
        for process in (self.worker, self.server):
            if process is not None:
                with suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGCONT)
                process.stop()


def run_journeys(backend: Backend, journeys: int, expected_mails: int) -> dict[str, Any]:
    """``journeys`` journeys walked one after another, then their jobs; per-step figures."""
    assert backend.server is not None and backend.worker is not None
    server_clock = TaskClock([backend.server.pid])
    db_roots = [backend.postmaster] if backend.postmaster else []
    walker = Walker(server_clock, TaskClock(db_roots) if db_roots else None)
    questions = 0

    def walk() -> None:
        nonlocal questions
        freeze_worker_idle(backend.worker, backend.sqlite_path)  # type: ignore[arg-type]
        try:
            for _ in range(journeys):
                server_clock.refresh()
                if walker.database:
                    walker.database.refresh()
                base = loopback_url(backend.port, "")
                with httpx.Client(base_url=base, follow_redirects=False, timeout=30) as client:
                    questions = walk_journey(walker, client)
        except BaseException:
            os.killpg(backend.worker.pid, signal.SIGCONT)  # type: ignore[union-attr]
            raise

    ours = [backend.server.pid, backend.worker.pid, *db_roots]
    worker_clock = TaskClock([backend.worker.pid])
    db_clock = TaskClock(db_roots) if db_roots else None
    idle_rate = worker_idle_rate(worker_clock)  # before any job of this run is due
    _, walk_window = foreign_share(walk, ours)

    # The jobs: the worker, frozen since walk() began, is let go, decides and sends; its
    # CPU and the database's meanwhile, less its idle polling, are their cost.
    if db_clock:
        db_clock.refresh()
    db_before = db_clock.seconds() if db_clock else 0.0
    worker_before = worker_clock.seconds()
    started = time.perf_counter()
    mail_dir = backend.var_dir / "mail"

    def jobs() -> None:
        os.killpg(backend.worker.pid, signal.SIGCONT)  # type: ignore[union-attr]
        wait_for_mails(mail_dir, expected_mails, timeout_s=60 + journeys)

    _, jobs_window = foreign_share(jobs, ours)
    jobs_wall = time.perf_counter() - started
    worker_s = max(0.0, worker_clock.seconds() - worker_before - idle_rate * jobs_wall)
    db_s = (db_clock.seconds() - db_before) if db_clock else 0.0
    walker.samples.append(
        Sample(JOBS_STEP, jobs_wall / journeys, worker_s / journeys, db_s / journeys)
    )
    # The jobs' sample stands for all journeys at once: weight it so that per-journey sums hold.
    return summarise(walker.samples, journeys, questions, walk_window, jobs_window)


def worker_idle_rate(clock: TaskClock, seconds: float = 1.0) -> float:
    """The worker's CPU per second while it only polls (no job due)."""
    before = clock.seconds()
    time.sleep(seconds)
    return (clock.seconds() - before) / seconds


def summarise(
    samples: list[Sample],
    journeys: int,
    questions: int,
    walk_window: dict[str, float],
    jobs_window: dict[str, float],
) -> dict[str, Any]:
    steps: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for sample in samples:
        share = 1.0 if sample.step == JOBS_STEP else 1.0 / journeys
        step = steps[sample.step]
        step["requests"] += share if sample.step != JOBS_STEP else 0.0
        step["server_cpu_ms"] += sample.server_s * 1e3 * share
        step["db_cpu_ms"] += sample.db_s * 1e3 * share
        step["wall_ms"] += sample.wall_s * 1e3 * share
    per_step = {
        name: {key: round(value, 3) for key, value in figures.items()}
        for name, figures in steps.items()
    }
    total = {
        key: round(sum(step[key] for step in steps.values()), 3)
        for key in ("requests", "server_cpu_ms", "db_cpu_ms", "wall_ms")
    }
    page_walls = [s.wall_s * 1e3 for s in samples if s.step != JOBS_STEP]
    return {
        "journeys": journeys,
        "question_pages": questions,
        "steps": per_step,
        "per_journey": total,
        "request_wall_ms": {"p50": _percentile(page_walls, 50), "p99": _percentile(page_walls, 99)},
        "walk_noise": walk_window,
        "jobs_noise": jobs_window,
        "noise": max(walk_window["noise"], jobs_window["noise"]),
    }


def _percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return round(ordered[index], 3)


def measure_bare(log_dir: Path, page: httpx.Response, requests: int) -> dict[str, float]:
    """The floor per request: the bare ASGI app on granian sending a captured journey page,
    asked ``requests`` times one at a time by the same client."""
    page_file = log_dir / "bare-page.json"
    headers = [(k, v) for k, v in page.headers.items() if k.lower() not in ("date", "server")]
    write_page(page_file, page.status_code, headers, page.content)
    port = free_port()
    env = northgate_env(log_dir / "bare-var", {"BENCH_BARE_PAGE": str(page_file)})
    env["PYTHONPATH"] = str(PROJECT_DIR)
    bare = start_server(
        "bare",
        [
            str(VENV_BIN / "python"),
            "-m",
            "bench.bare_app",
            "--server",
            "granian",
            "--port",
            str(port),
        ],
        log_dir=log_dir,
        env=env,
    )
    try:
        wait_ready(bare, loopback_url(port, "/"))
        bare.check_pinned()
        clock = TaskClock([bare.pid])
        walls, cpus = [], []
        with httpx.Client(base_url=loopback_url(port, ""), timeout=30) as client:
            for _ in range(requests):
                before = clock.seconds()
                started = time.perf_counter()
                client.get("/")
                walls.append(time.perf_counter() - started)
                cpus.append(clock.seconds() - before)
        return {
            "requests": requests,
            "cpu_us_per_request": round(sum(cpus) / requests * 1e6, 2),
            "wall_us_per_request": round(median(walls) * 1e6, 2),
        }
    finally:
        bare.stop()


def measure_pgbench(postgres: PostgresServer, work: Path, seconds: int) -> dict[str, float]:
    """One pgbench client on core 1 inserting one 1 KB row per transaction: time, its CPU
    and PostgreSQL's per insert (backends are reaped by the postmaster: its cutime)."""
    assert postgres.process is not None
    script = work / "insert.sql"
    script.write_text(PGBENCH_SCRIPT)
    postmaster = postgres.process.pid
    pg_before = cpu_seconds(postmaster)
    children_before = children_cpu()
    done = subprocess.run(
        ["taskset", "-c", str(SERVER_CPU), str(postgres.bindir / "pgbench"), "-n",
         "-h", "127.0.0.1", "-p", str(postgres.port), "-U", "postgres", "-c", "1",
         "-j", "1", "-T", str(seconds), "-M", "prepared", "-f", str(script), "pgbench"],
        capture_output=True, text=True, timeout=seconds + 60, check=False,
    )  # fmt: skip
    client_s = children_cpu() - children_before
    time.sleep(0.2)  # the backend exits and is reaped after pgbench disconnects
    pg_s = cpu_seconds(postmaster) - pg_before
    if done.returncode != 0:
        raise BenchError(f"pgbench failed: {done.stderr}")
    tps = re.search(r"tps = ([\d.]+) \(without initial connection time\)", done.stdout)
    count = re.search(r"number of transactions actually processed: (\d+)", done.stdout)
    if not tps or not count:
        raise BenchError(f"pgbench output not understood:\n{done.stdout}")
    inserts = int(count.group(1))
    return {
        "tps": float(tps.group(1)),
        "wall_us_per_insert": round(1e6 / float(tps.group(1)), 2),
        "client_cpu_us_per_insert": round(client_s / inserts * 1e6, 2),
        "postgres_cpu_us_per_insert": round(pg_s / inserts * 1e6, 2),
    }


def floor_of(
    journey: dict[str, Any], bare: dict[str, float], pg: dict[str, float]
) -> dict[str, Any]:
    """The floor of one journey: a bare answer per request, a pgbench insert per write."""
    requests = journey["per_journey"]["requests"]
    writes = journey["question_pages"] + sum(WRITES_BESIDES_QUESTIONS.values())
    server = requests * bare["cpu_us_per_request"] + writes * pg["client_cpu_us_per_insert"]
    database = writes * pg["postgres_cpu_us_per_insert"]
    wall = requests * bare["wall_us_per_request"] + writes * pg["wall_us_per_insert"]
    return {
        "requests": requests,
        "writes": writes,
        "server_cpu_ms": round(server / 1e3, 3),
        "db_cpu_ms": round(database / 1e3, 3),
        "wall_ms": round(wall / 1e3, 3),
    }


def median_run(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Medians over the quiet runs (all runs if none was quiet) of every per-step figure."""
    quiet = [run for run in runs if run["noise"] <= NOISE_LIMIT] or runs
    steps = {
        name: {
            key: round(median([run["steps"][name][key] for run in quiet]), 3)
            for key in quiet[0]["steps"][name]
        }
        for name in quiet[0]["steps"]
    }
    per_journey = {
        key: round(median([run["per_journey"][key] for run in quiet]), 3)
        for key in quiet[0]["per_journey"]
    }
    return {
        "runs_used": len(quiet),
        "reliable": any(run["noise"] <= NOISE_LIMIT for run in runs),
        "steps": steps,
        "per_journey": per_journey,
        "request_wall_ms_p99": median([run["request_wall_ms"]["p99"] for run in quiet]),
        "question_pages": quiet[0]["question_pages"],
    }


def report(name: str, result: dict[str, Any], floor: dict[str, Any]) -> dict[str, Any]:
    actual = result["per_journey"]
    ratios = {
        "server_cpu": ratio(floor["server_cpu_ms"], actual["server_cpu_ms"]),
        "server_plus_db_cpu": ratio(
            floor["server_cpu_ms"] + floor["db_cpu_ms"],
            actual["server_cpu_ms"] + actual["db_cpu_ms"],
        ),
        "wall": ratio(floor["wall_ms"], actual["wall_ms"]),
    }
    print(
        f"\n{name}: per journey ({result['question_pages']} question pages, "
        f"{actual['requests']:.0f} requests, medians of {result['runs_used']} runs)"
        + ("" if result["reliable"] else "  UNRELIABLE: every run was noisy")
    )
    print(f"  {'step':<28}{'requests':>9}{'server CPU ms':>15}{'DB CPU ms':>11}{'wall ms':>10}")
    for step, fig in result["steps"].items():
        print(
            f"  {step:<28}{fig['requests']:>9.0f}{fig['server_cpu_ms']:>15.2f}"
            f"{fig['db_cpu_ms']:>11.2f}{fig['wall_ms']:>10.2f}"
        )
    print(
        f"  {'journey':<28}{actual['requests']:>9.0f}{actual['server_cpu_ms']:>15.2f}"
        f"{actual['db_cpu_ms']:>11.2f}{actual['wall_ms']:>10.2f}"
    )
    print(
        f"  {'floor':<28}{floor['requests']:>9.0f}{floor['server_cpu_ms']:>15.2f}"
        f"{floor['db_cpu_ms']:>11.2f}{floor['wall_ms']:>10.2f}  ({floor['writes']} writes)"
    )
    shown = ", ".join(f"{k} {v:.3f}" for k, v in ratios.items() if v is not None)
    print(f"  floor / actual: {shown}; page request p99 {result['request_wall_ms_p99']:.2f} ms")
    return ratios


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help=QUICK_HELP + " (2 journeys)")
    parser.add_argument("--backends", default="postgresql,sqlite", help="comma-separated")
    args = parser.parse_args()
    require_tools("taskset", "psql")
    backends = [name.strip() for name in args.backends.split(",") if name.strip()]
    if not set(backends) <= {"postgresql", "sqlite"}:
        raise BenchError(f"unknown backends in {args.backends!r}")
    runs = 1 if args.quick else int(env_number("BENCH_RUNS", 3))
    journeys = 2 if args.quick else int(env_number("BENCH_JOURNEYS", 20))
    warmup = 1 if args.quick else 3
    os.sched_setaffinity(0, {LOAD_CPU})  # the generator: this process, on core 0
    busy = wait_for_quiet(0.1, max_wait_s=5 if args.quick else 30)
    load_at_start = list(os.getloadavg())
    print(
        f"other processes keep {busy:.0%} of the CPUs busy at the start; "
        f"load average {load_at_start[0]:.2f} (2 cores shared with others: figures are noisy)"
    )
    work = Path(tempfile.mkdtemp(prefix="northgate-bench-journey-"))
    postgres = PostgresServer()
    results: dict[str, Any] = {}
    with terminate_raises():
        try:
            postgres.start()
            if postgres.process is None:
                raise BenchError("PostgreSQL did not start")
            keep_to_bench_cores(postgres.process.pid)
            postgres.create_database("pgbench")
            subprocess.run(
                ["psql", "-h", "127.0.0.1", "-p", str(postgres.port), "-U", "postgres", "-q",
                 "-c", "CREATE TABLE bench_rows (id bigserial PRIMARY KEY, payload text)",
                 "pgbench"],
                check=True, capture_output=True,
            )  # fmt: skip
            captured: httpx.Response | None = None
            for name in backends:
                results[name] = measure_backend(name, postgres, work, runs, journeys, warmup)
                page = results[name].pop("_page")
                captured = captured or page
            assert captured is not None
            requests = round(next(iter(results.values()))["median"]["per_journey"]["requests"])
            bare = measure_bare(work, captured, requests * (2 if args.quick else 10))
            pg = measure_pgbench(postgres, work, 1 if args.quick else 3)
            print(
                f"floor: bare ASGI {bare['cpu_us_per_request']:.0f} us CPU per request; "
                f"pgbench (1 client) {pg['tps']:,.0f} inserts/s, client "
                f"{pg['client_cpu_us_per_insert']:.0f} us + PostgreSQL "
                f"{pg['postgres_cpu_us_per_insert']:.0f} us CPU per insert"
            )
            for name, result in results.items():
                result["floor"] = floor_of(result["median"], bare, pg)
                result["ratios_floor_over_actual"] = report(name, result["median"], result["floor"])
            data = {
                "benchmark": "journey",
                "what": "one complete eTA journey (triage to e-mails) over HTTP, one request at "
                "a time, server CPU and wall time per step, beside a floor measured in the run",
                "settings": {
                    "runs": runs,
                    "journeys_per_run": journeys,
                    "warmup_journeys": warmup,
                    "concurrency": 1,
                    "server": "northgate serve, 1 granian worker, gate on, analytics off, "
                    "embedded worker off; northgate worker beside it",
                    "pinning": f"server, worker, bare app and pgbench on core {SERVER_CPU}; "
                    f"generator on core {LOAD_CPU}; PostgreSQL on either",
                    "noise_limit": NOISE_LIMIT,
                    "writes_needed_besides_question_pages": WRITES_BESIDES_QUESTIONS,
                    "note": "two cores shared with other engineers' work: see load_average and "
                    "noise per run; compare only figures of one run",
                },
                "floor_parts": {"bare_asgi": bare, "pgbench_one_client": pg},
                "backends": results,
                "load_average_at_start": load_at_start,
                "load_average_at_end": list(os.getloadavg()),
                "machine": machine_info(),
            }
            if args.quick:
                print("quick smoke run: nothing written")
            else:
                print(f"wrote {write_results('journey', data)}")
        finally:
            postgres.stop()


def measure_backend(
    name: str, postgres: PostgresServer, work: Path, runs: int, journeys: int, warmup: int
) -> dict[str, Any]:
    var_dir = work / name
    settings = {
        "NORTHGATE_ANALYTICS_ENABLED": "false",
        "NORTHGATE_EMBEDDED_WORKER": "false",
        "NORTHGATE_GATE_ENABLED": "true",
    }
    sqlite_path: Path | None = var_dir / "northgate.db"
    postmaster = None
    if name == "postgresql":
        assert postgres.process is not None
        settings["NORTHGATE_DATABASE_URL"] = postgres.create_database(f"northgate_{os.getpid()}")
        sqlite_path = None
        postmaster = postgres.process.pid
    backend = Backend(name, northgate_env(var_dir, settings), var_dir, sqlite_path, postmaster)
    try:
        backend.start(work)
        mails = 0
        # Warm-up: every code path imported, every pool connection opened.
        mails += MAILS_PER_JOURNEY * warmup
        run_journeys(backend, warmup, mails)
        recorded = []
        for index in range(runs):
            mails += MAILS_PER_JOURNEY * journeys
            result = run_journeys(backend, journeys, mails)
            recorded.append(result)
            print(
                f"{name} run {index + 1}/{runs}: {result['per_journey']['server_cpu_ms']:.1f} ms "
                f"server CPU, {result['per_journey']['db_cpu_ms']:.1f} ms DB CPU, "
                f"{result['per_journey']['wall_ms']:.0f} ms wall per journey; noise "
                f"{result['noise']:.0%}, load {result['walk_noise']['load_average'][0]}"
            )
        with httpx.Client(base_url=loopback_url(backend.port, ""), timeout=30) as client:
            client.get(url("triage", LANG))  # a pass and a session, as a visitor has
            page = client.get(url("start", LANG))
        return {"runs": recorded, "median": median_run(recorded), "_page": page}
    finally:
        backend.stop()


if __name__ == "__main__":
    run_main(main)
