"""Overload: offer 1x, 5x, 10x and 20x the measured capacity of the eTA submission path to
a real ``northgate serve``, with the admission gate and without it.

The path is the REAL one: ``POST /api/v1/applications`` with a complete, valid application
(validated, saved in SQLite with a reference, follow-up job scheduled: 201 Created), served
by ``northgate serve --workers 1`` (granian, SQLite in a fresh var dir, embedded worker and
analytics tap on, as shipped) pinned to core 1; this generator runs on core 0. Operator
limits for the event: admission rate ceiling 1000/s (far above one core: the learned
concurrency limit alone sets the outflow), ``max_active`` unbounded (an API submission keeps
its pass to pay next), concurrency floor 1 (the default 2 is already twice this path's knee).

What "offered load" means here (a waiting room turns arrivals into a line)
  Arrivals are new applicants, Poisson on a schedule made in advance, at N x capacity. Each
  one is a fresh API client with its own empty cookie jar: no pass. The gate answers it 201
  (admitted: pass issued and the application saved in the same request) or 503 +
  Retry-After with its place in line (``x-northgate-gate: queued``) or 503 + Retry-After
  (``shed``). A client told to wait keeps its jar (the ``ng_visitor`` cookie: its place) and
  comes back after Retry-After, as a polite API client does; those *polls* are not new
  arrivals. Polls are only sent inside the phase; whoever is still in line at the end gives
  up. Connections are kept alive and shared, as a reverse proxy's upstream pool would; a
  client's identity is its cookie jar, not its TCP connection.

Measured, per phase
  Open loop: every request's latency is taken from its *intended* send time (no coordinated
  omission) into an HdrHistogram. Outcomes: ``created`` (201), ``queued``, ``shed`` (503 +
  Retry-After from the gate), ``error NNN`` (any other answer), ``timeout`` (none in 5 s),
  ``failed`` (connection error).

  goodput = requests answered 201 Created (application saved) within the latency target
  (2 x the unloaded p99 of the same path) of their intended send time, per second of the
  phase, as a share of the measured capacity. Capacity = the best rate of 201s with 1, 2 or
  4 clients in a closed loop, gate disabled; unloaded = 1 client. Before each gated phase
  both are measured again on the same server, the gate switched off at run time for 7 s:
  the machine's speed drifts by 15-30 % over minutes, and a phase is compared with what
  the same process did moments before (the rates offered are N x that). Targets (issue 4):
  goodput >= 90 % at 10x and 20x, admitted (201) p99 <= 2 x unloaded p99, no 5xx other
  than the gate's 503 + Retry-After, no timeouts.

  Also: server CPU per answer (/proc, whole process tree), the generator's own CPU and how
  late it sent, noise (CPU that other processes took on either core, interrupts included,
  as common.py counts it), the gate's concurrency limit once a second (``/ops/gate``), and
  at the end the server CPU of one "wait in line" answer measured alone, with the bound it
  puts on goodput at each load: the core spends refusals/s x that cost on answers that are
  not work. A phase whose generator sent late (lag p99 over a quarter of the latency
  target) or used 90 % of its core, or with noise over 10 %, describes the generator or
  the neighbours, not the server: it is marked invalid (``valid``, ``invalid_because``, and
  INVALID in the table); a gated one is run once more and the better run kept.

Without the gate there is one fresh server per overloaded phase (the previous one is still
working through its backlog); with it, one server, warmed up (1x, then 2x so the limit is
learned), the line emptied between phases. About 4 minutes with the default 10 s phases.

Usage: .venv/bin/python bench/overload.py [--duration S] ; writes bench/results/overload.json
       .venv/bin/python bench/overload.py --quick       ; smoke test (~1.5 min), writes nothing
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvloop
from hdrh.histogram import HdrHistogram  # type: ignore[import-untyped]

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.journey.test_api import ANSWERS

from common import (
    LOAD_CPU,
    PROJECT_DIR,
    SERVER_CPU,
    VENV_BIN,
    BenchError,
    CoreTimes,
    Server,
    core_times,
    free_port,
    machine_info,
    require_tools,
    start_server,
    terminate_raises,
    wait_for_quiet,
    wait_ready,
    write_results,
)

SECRET = "overload-bench-secret-key-0123456789abcdef"  # noqa: S105 (a throwaway test key)
ADMIN = "overload-bench-admin"
PATH = "/api/v1/applications"
TIMEOUT = 5.0
MAX_CONNECTIONS = 256
MULTIPLES = (1, 5, 10, 20)
NOISE_LIMIT = 0.1
INVALID_RETRIES = 1  # a gated phase found invalid is run once more, and the better kept
# A phase is invalid when its figures describe the generator rather than the server: its
# requests went out late by more than this share of the latency target (p99), which then
# counts against the server's latency and goodput, or the generator used this much of its
# core (it could not keep the schedule), or other processes took more than NOISE_LIMIT.
LAG_LIMIT_SHARE = 0.25
GENERATOR_CPU_LIMIT = 0.9


# The same complete application the API tests submit, so the two cannot drift apart.
BODY = json.dumps({"answers": ANSWERS}).encode()


def request_bytes(cookie: str | None = None) -> bytes:
    lines = [f"POST {PATH} HTTP/1.1", "Host: 127.0.0.1", "Accept: application/json",
             "Content-Type: application/json", f"Content-Length: {len(BODY)}"]  # fmt: skip
    if cookie:
        lines.append(f"Cookie: {cookie}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + BODY


FRESH = request_bytes()


# --------------------------------------------------------------------------- HTTP client


@dataclass
class Answer:
    status: int
    gate: str | None
    retry_after: int | None
    visitor: str | None  # the ng_visitor cookie set by this answer
    body: bytes


class Pool:
    """Keep-alive HTTP/1.1 connections to one server; opens more when all are busy."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
        self.open = 0
        self.freed = asyncio.Condition()

    async def request(self, raw: bytes) -> Answer:
        conn = await self._acquire()
        reader, writer = conn
        try:
            writer.write(raw)
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            status = int(lines[0].split()[1])
            length, gate, retry, visitor = 0, None, None, None
            for line in lines[1:]:
                name, _, value = line.partition(":")
                name, value = name.strip().lower(), value.strip()
                if name == "content-length":
                    length = int(value)
                elif name == "x-northgate-gate":
                    gate = value
                elif name == "retry-after":
                    retry = int(value)
                elif name == "set-cookie" and value.startswith("ng_visitor="):
                    visitor = value.split(";", 1)[0]
            body = await reader.readexactly(length)
        except BaseException:
            writer.close()
            self.open -= 1
            async with self.freed:
                self.freed.notify()
            raise
        self.idle.append(conn)
        async with self.freed:
            self.freed.notify()
        return Answer(status, gate, retry, visitor, body)

    async def _acquire(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        while True:
            if self.idle:
                return self.idle.pop()
            if self.open < MAX_CONNECTIONS:
                self.open += 1
                try:
                    return await asyncio.open_connection("127.0.0.1", self.port)
                except BaseException:
                    self.open -= 1
                    raise
            async with self.freed:
                await self.freed.wait()

    def close(self) -> None:
        for _reader, writer in self.idle:
            writer.close()
        self.idle.clear()


async def admin(port: int, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    """One request to the gate's operator endpoint (its own connection)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    data = json.dumps(body).encode() if body is not None else b""
    writer.write(
        f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {ADMIN}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n"
        f"Connection: close\r\n\r\n".encode()
        + data
    )
    raw = await asyncio.wait_for(reader.read(), TIMEOUT)
    writer.close()
    head, _, payload = raw.partition(b"\r\n\r\n")
    if b" 200 " not in head.split(b"\r\n", 1)[0]:
        raise BenchError(f"{method} {path}: {head.decode('latin-1')}")
    return json.loads(payload)


# --------------------------------------------------------------------------- load


def histogram() -> Any:
    return HdrHistogram(1, 60_000_000, 3)


@dataclass
class Tally:
    counts: dict[str, int] = field(default_factory=dict)
    arrivals: int = 0
    polls: int = 0
    created_at_once: int = 0  # 201 on the applicant's first request
    created_after_waiting: int = 0  # 201 on a later poll
    still_waiting: int = 0  # in line when the phase ended
    created: Any = field(default_factory=histogram)  # latency of 201 answers
    refused: Any = field(default_factory=histogram)  # latency of queued/shed answers
    in_line: Any = field(default_factory=histogram)  # arrival -> 201, for those who waited
    lag: Any = field(default_factory=histogram)  # actual send time - intended send time
    first_error: str = ""

    def add(self, outcome: str, micros: int) -> None:
        self.counts[outcome] = self.counts.get(outcome, 0) + 1
        target = self.created if outcome == "created" else self.refused
        target.record_value(max(1, micros))


async def send_one(pool: Pool, raw: bytes, intended: float, tally: Tally) -> Answer | None:
    delay = intended - time.perf_counter()
    if delay > 0:
        await asyncio.sleep(delay)
    tally.lag.record_value(max(1, int((time.perf_counter() - intended) * 1e6)))
    try:
        answer = await asyncio.wait_for(pool.request(raw), TIMEOUT)
    except TimeoutError:
        tally.add("timeout", int(TIMEOUT * 1e6))
        return None
    except (OSError, asyncio.IncompleteReadError, ValueError) as error:
        tally.add("failed", int((time.perf_counter() - intended) * 1e6))
        tally.first_error = tally.first_error or repr(error)
        return None
    micros = int((time.perf_counter() - intended) * 1e6)
    if answer.status == 201:
        tally.add("created", micros)
    elif answer.status == 503 and answer.gate in ("queued", "shed") and answer.retry_after:
        tally.add(answer.gate, micros)
    else:
        tally.add(f"error {answer.status}", micros)
        if not tally.first_error:
            tally.first_error = f"{answer.status}: {answer.body[:300]!r}"
    return answer


async def applicant(pool: Pool, arrival: float, end: float, tally: Tally) -> None:
    """One new applicant: submit; if told to wait, come back after Retry-After with the
    cookie jar (the place in line), until admitted or the phase ends."""
    tally.arrivals += 1
    raw, intended, first = FRESH, arrival, True
    while True:
        answer = await send_one(pool, raw, intended, tally)
        if answer is None:
            return
        if answer.status == 201:
            if first:
                tally.created_at_once += 1
            else:
                tally.created_after_waiting += 1
                tally.in_line.record_value(max(1, int((intended - arrival) * 1e6)))
            return
        if answer.retry_after is None or answer.status != 503:
            return
        next_time = intended + answer.retry_after
        if next_time >= end:
            tally.still_waiting += 1
            return
        if answer.visitor:
            raw = request_bytes(answer.visitor)
        intended, first = next_time, False
        tally.polls += 1


async def open_loop(port: int, rate: float, seconds: float, seed: int = 7) -> Tally:
    rng = random.Random(seed)
    pool, tally = Pool(port), Tally()
    start = time.perf_counter() + 0.2
    end = start + seconds
    t, tasks = start, []
    while True:
        t += rng.expovariate(rate)
        if t >= end:
            break
        tasks.append(asyncio.create_task(applicant(pool, t, end, tally)))
        if len(tasks) % 100 == 0:  # schedule about half a second ahead
            await asyncio.sleep(max(0.0, t - time.perf_counter() - 0.5))
    await asyncio.gather(*tasks)
    pool.close()
    return tally


async def closed_loop(port: int, concurrency: int, seconds: float) -> Tally:
    """``concurrency`` fresh clients, each sending its next request when the last is done."""
    pool, tally = Pool(port), Tally()
    end = time.perf_counter() + seconds

    async def client() -> None:
        while time.perf_counter() < end:
            await send_one(pool, FRESH, time.perf_counter(), tally)

    await asyncio.gather(*(client() for _ in range(concurrency)))
    pool.close()
    return tally


# --------------------------------------------------------------------------- figures


def _count_at_most(hist: Any, limit_us: float) -> int:
    return sum(
        item.count_added_in_this_iter_step
        for item in hist.get_recorded_iterator()
        if item.value_iterated_to <= limit_us
    )


def _ms(hist: Any, percentile: float) -> float | None:
    if hist.get_total_count() == 0:
        return None
    value: int = hist.get_value_at_percentile(percentile)
    return round(value / 1000, 2)


@dataclass
class Usage:
    server_s: float
    load_s: float
    wall_s: float
    cores: dict[int, CoreTimes]


def usage_now(server: Server) -> Usage:
    own = resource.getrusage(resource.RUSAGE_SELF)
    return Usage(
        server.cpu_seconds(), own.ru_utime + own.ru_stime, time.perf_counter(), core_times()
    )


def noise(before: Usage, after: Usage) -> float:
    """The largest share of the window that other processes (or steal) took on either
    core: a busy neighbour makes the figures untrustworthy (common.Window.noise). Busy
    time includes interrupts (common.CoreTimes.busy): a neighbour's loopback traffic is
    charged there."""
    wall = after.wall_s - before.wall_s
    server_core = after.cores[SERVER_CPU] - before.cores[SERVER_CPU]
    load_core = after.cores[LOAD_CPU] - before.cores[LOAD_CPU]
    foreign = max(
        server_core.busy - (after.server_s - before.server_s),
        load_core.busy - (after.load_s - before.load_s),
        server_core.steal,
        load_core.steal,
    )
    return round(max(0.0, foreign) / wall, 3) if wall else 0.0


def summary(
    tally: Tally,
    seconds: float,
    capacity: float,
    target_us: float,
    before: Usage,
    after: Usage,
) -> dict[str, Any]:
    created = tally.counts.get("created", 0)
    good = _count_at_most(tally.created, target_us)
    answered = sum(tally.counts.values())
    refusals = tally.counts.get("queued", 0) + tally.counts.get("shed", 0)
    errors = sum(v for k, v in tally.counts.items() if k.startswith("error") or k == "failed")
    other_5xx = sum(v for k, v in tally.counts.items() if k.startswith("error 5"))
    server_s, wall = after.server_s - before.server_s, after.wall_s - before.wall_s
    generator_share = round((after.load_s - before.load_s) / wall, 3) if wall else None
    lag_p99 = _ms(tally.lag, 99)
    phase_noise = noise(before, after)
    problems = invalid_because(lag_p99, target_us / 1000, generator_share, phase_noise)
    return {
        "offered_arrivals_per_s": round(tally.arrivals / seconds, 1),
        "requests": answered,
        "polls": tally.polls,
        "counts": dict(sorted(tally.counts.items())),
        "created_per_s": round(created / seconds, 1),
        "created_at_once": tally.created_at_once,
        "created_after_waiting": tally.created_after_waiting,
        "still_in_line_at_end": tally.still_waiting,
        "goodput_per_s": round(good / seconds, 1),
        "goodput_share_of_capacity": round(good / seconds / capacity, 3),
        "created_p50_ms": _ms(tally.created, 50),
        "created_p99_ms": _ms(tally.created, 99),
        "refusal_p50_ms": _ms(tally.refused, 50),
        "refusal_p99_ms": _ms(tally.refused, 99),
        "time_in_line_p50_s": _s(tally.in_line, 50),
        "time_in_line_p99_s": _s(tally.in_line, 99),
        "refusals_per_s": round(refusals / seconds, 1),
        "errors": errors,
        "other_5xx": other_5xx,
        "timeouts": tally.counts.get("timeout", 0),
        "first_error": tally.first_error or None,
        "server_cpu_s": round(server_s, 2),
        "server_core_busy": round(server_s / wall, 3) if wall else None,
        "server_cpu_us_per_answer": round(server_s / answered * 1e6, 1) if answered else None,
        "generator_cpu_share": generator_share,
        "generator_lag_p99_ms": lag_p99,
        "generator_lag_limit_ms": round(LAG_LIMIT_SHARE * target_us / 1000, 2),
        "measured_over_s": round(wall, 2),
        "noise": phase_noise,
        "valid": not problems,
        "invalid_because": problems,
    }


def invalid_because(
    lag_p99_ms: float | None, target_ms: float, generator_share: float | None, noise: float
) -> list[str]:
    """Why a phase's figures cannot be trusted (empty: they can)."""
    problems = []
    if lag_p99_ms is not None and lag_p99_ms > LAG_LIMIT_SHARE * target_ms:
        problems.append(
            f"generator late: p99 {lag_p99_ms} ms > {LAG_LIMIT_SHARE:.0%} of the "
            f"{target_ms:.1f} ms latency target"
        )
    if generator_share is not None and generator_share >= GENERATOR_CPU_LIMIT:
        problems.append(f"generator saturated: {generator_share:.0%} of its core")
    if noise > NOISE_LIMIT:
        problems.append(f"noise {noise:.0%} > {NOISE_LIMIT:.0%}")
    return problems


def better(row: dict[str, Any], kept: dict[str, Any] | None) -> bool:
    """Of two attempts at one phase: the valid one, else the quieter one."""
    if kept is None:
        return True
    return (not row["valid"], row["noise"]) < (not kept["valid"], kept["noise"])


def _s(hist: Any, percentile: float) -> float | None:
    if hist.get_total_count() == 0:
        return None
    value: int = hist.get_value_at_percentile(percentile)
    return round(value / 1e6, 2)


def line(name: str, row: dict[str, Any]) -> str:
    limit = row.get("gate", {}).get("concurrency_limit", {})
    limit_text = f" limit {limit.get('median')}" if limit else ""
    return (
        f"{name:<12} offered {row['offered_arrivals_per_s']:>6.0f}/s  created "
        f"{row['created_per_s']:>5.1f}/s  goodput {row['goodput_per_s']:>5.1f}/s "
        f"({row['goodput_share_of_capacity']:>5.1%})  p50/p99 {row['created_p50_ms']}/"
        f"{row['created_p99_ms']} ms  refused {row['refusals_per_s']:.0f}/s  err "
        f"{row['errors']} t/o {row['timeouts']}  core {row['server_core_busy']:.0%}"
        f"  gen {row['generator_cpu_share']:.0%} lag p99 {row['generator_lag_p99_ms']} ms"
        f"{limit_text}  noise {row['noise']:.0%}"
        + ("" if row["valid"] else "  INVALID: " + "; ".join(row["invalid_because"]))
    )


# --------------------------------------------------------------------------- servers


def serve(name: str, log_dir: Path, *, gate: bool) -> tuple[Server, int]:
    """A migrated ``northgate serve --workers 1`` on a free port, pinned to core 1."""
    port = free_port()
    var = log_dir / name
    env = {
        **os.environ,
        "NORTHGATE_VAR_DIR": str(var),
        "NORTHGATE_NODE_MODULES": str(PROJECT_DIR / "node_modules"),
        "NORTHGATE_SECRET_KEY": SECRET,
        "NORTHGATE_GATE_ADMIN_TOKEN": ADMIN,
        "NORTHGATE_GATE_ENABLED": "true" if gate else "false",
        "NORTHGATE_GATE_MODE": "adaptive",
        # Operator limits for this event: the admission rate is only a ceiling far above
        # what one core can do, so the learned concurrency limit alone sets the outflow;
        # each API submission keeps its pass (it pays next), so max_active must not bind.
        "NORTHGATE_GATE_ADMISSIONS_PER_MINUTE": "60000",
        "NORTHGATE_GATE_MAX_ACTIVE": "1000000",
        "NORTHGATE_GATE_LIMIT_FLOOR": "1",
    }
    northgate = str(VENV_BIN / "northgate")
    done = subprocess.run([northgate, "--log-level", "warning", "migrate"], env=env,
                          capture_output=True, text=True, timeout=60, check=False)  # fmt: skip
    if done.returncode != 0:
        raise BenchError(f"northgate migrate failed:\n{done.stdout}{done.stderr}")
    command = [northgate, "--log-level", "warning", "serve", "--workers", "1", "--port", str(port)]
    server = start_server(name, command, log_dir=log_dir, env=env)
    wait_ready(server, f"http://127.0.0.1:{port}/readyz")
    server.check_pinned()
    return server, port


async def sample_gate(port: int, samples: list[dict[str, Any]], stop: asyncio.Event) -> None:
    """The gate's gauges once a second (they are refreshed by its one-second tick)."""
    while not stop.is_set():
        try:
            report = await admin(port, "GET", "/ops/gate")
            samples.append(report["gauges"])
        except (OSError, TimeoutError, BenchError):
            pass
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 1.0)


def gate_figures(samples: list[dict[str, Any]], report: dict[str, Any]) -> dict[str, Any]:
    def spread(name: str) -> dict[str, float] | None:
        values = [s[name] for s in samples if name in s]
        if not values:
            return None
        return {"min": min(values), "median": statistics.median(values), "max": max(values)}

    limits = [s["concurrency_limit"] for s in samples if "concurrency_limit" in s]
    return {
        "concurrency_limit": spread("concurrency_limit"),
        "seconds_at_limit": {str(k): limits.count(k) for k in sorted(set(limits))},
        "in_flight_at_tick": spread("in_flight"),
        "waiting": spread("waiting"),
        "admission_rate_per_second": spread("admission_rate_per_second"),
        "latency_baseline_ms": spread("latency_baseline_ms"),
        "counters": report.get("counters", {}),
    }


async def phase(
    server: Server, port: int, multiple: float, capacity: float, target_us: float,
    seconds: float, *, gated: bool,
) -> dict[str, Any]:  # fmt: skip
    samples: list[dict[str, Any]] = []
    stop = asyncio.Event()
    sampler = asyncio.create_task(sample_gate(port, samples, stop)) if gated else None
    before = usage_now(server)
    tally = await open_loop(port, capacity * multiple, seconds)
    after = usage_now(server)
    row = summary(tally, seconds, capacity, target_us, before, after)
    if sampler is not None:
        stop.set()
        await sampler
        row["gate"] = gate_figures(samples, await admin(port, "GET", "/ops/gate"))
    return row


async def capacity_here(port: int, scale: float = 1.0) -> dict[str, Any]:
    """Capacity and unloaded latency of this very server, just before a gated phase: the
    gate is switched off at run time (``/ops/gate/limits``), 1 then 2 closed-loop clients
    submit, and it is switched back on. The machine's speed drifts by 15-30 % over minutes
    (CALIBRATION.md), so a phase is compared with what the same process did moments before.
    """
    await admin(port, "POST", "/ops/gate/limits", {"enabled": False})
    try:
        started = time.perf_counter()
        one = await closed_loop(port, 1, 4 * scale)
        middle = time.perf_counter()
        two = await closed_loop(port, 2, 3 * scale)
        ended = time.perf_counter()
    finally:
        await admin(port, "POST", "/ops/gate/limits", {"enabled": True})
    at_one = one.counts.get("created", 0) / (middle - started)
    at_two = two.counts.get("created", 0) / (ended - middle)
    p99 = one.created.get_value_at_percentile(99) / 1000
    return {
        "capacity_per_s": round(max(at_one, at_two), 1),
        "at_one_in_flight_per_s": round(at_one, 1),
        "at_two_in_flight_per_s": round(at_two, 1),
        "unloaded_p50_ms": _ms(one.created, 50),
        "unloaded_p99_ms": round(p99, 2),
        "latency_target_ms": round(2 * p99, 2),
    }


async def refusal_cost(server: Server, port: int, seconds: float) -> dict[str, Any]:
    """Server CPU of one "wait in line" answer, alone: nobody can be admitted (max_active
    1) and 32 fresh clients ask as fast as they can."""
    await admin(port, "POST", "/ops/gate/limits", {"max_active": 1})
    await asyncio.sleep(1.2)
    before = usage_now(server)
    tally = await closed_loop(port, 32, seconds)
    after = usage_now(server)
    await admin(port, "POST", "/ops/gate/limits", {"max_active": 1_000_000})
    await admin(port, "POST", "/ops/gate/reset")
    answers = sum(tally.counts.values())
    queued = tally.counts.get("queued", 0)
    if queued < answers * 0.99:
        raise BenchError(f"refusal cost: expected only queued answers, got {tally.counts}")
    server_s = after.server_s - before.server_s
    return {
        "answers": answers,
        "answers_per_s": round(answers / (after.wall_s - before.wall_s), 1),
        "server_core_busy": round(server_s / (after.wall_s - before.wall_s), 3),
        "server_cpu_us_per_queued_answer": round(server_s / answers * 1e6, 1),
        "p50_ms": _ms(tally.refused, 50),
    }


# --------------------------------------------------------------------------- run


async def run(duration: float, log_dir: Path, scale: float = 1.0) -> dict[str, Any]:
    """The whole benchmark; ``scale`` shortens every measurement but the phases (a smoke
    test uses 0.25 with 1 s phases)."""
    results: dict[str, Any] = {"phases": {}}
    phases = results["phases"]
    # ---- gate disabled: capacity, unloaded latency, then the overload phases
    server, port = serve("ungated", log_dir, gate=False)
    try:
        first = await closed_loop(port, 1, 0.5)
        if first.counts.get("created", 0) == 0:
            raise BenchError(f"the submission path does not answer 201: {first.first_error}")
        await closed_loop(port, 1, 2 * scale)  # warm-up
        unloaded = await closed_loop(port, 1, 5 * scale)
        best = 0.0
        runs: dict[str, Any] = {}
        for concurrency in (1, 2, 4):
            before = usage_now(server)
            tally = await closed_loop(port, concurrency, 4 * scale)
            after = usage_now(server)
            created = tally.counts.get("created", 0)
            rate = created / (after.wall_s - before.wall_s)
            runs[str(concurrency)] = {
                "created_per_s": round(rate, 1),
                "p50_ms": _ms(tally.created, 50),
                "p99_ms": _ms(tally.created, 99),
                "server_cpu_us_per_201": round((after.server_s - before.server_s) / created * 1e6)
                if created
                else None,
            }
            best = max(best, rate)
        capacity = best
        p50 = unloaded.created.get_value_at_percentile(50)
        p99 = unloaded.created.get_value_at_percentile(99)
        target = 2 * p99
        results["capacity_per_s"] = round(capacity, 1)
        results["capacity_runs_by_concurrency"] = runs
        results["unloaded_ms"] = {"p50": p50 / 1000, "p99": p99 / 1000,
                                  "samples": unloaded.created.get_total_count()}  # fmt: skip
        results["latency_target_ms"] = target / 1000
        print(f"capacity {capacity:.1f}/s {runs}\nunloaded p50 {p50 / 1000:.1f} ms, "
              f"p99 {p99 / 1000:.1f} ms; latency target {target / 1000:.1f} ms")  # fmt: skip
        phases["no-gate 1x"] = await phase(server, port, 1, capacity, target, duration,
                                           gated=False)  # fmt: skip
        print(line("no-gate 1x", phases["no-gate 1x"]))
    finally:
        server.stop()
    for multiple in MULTIPLES[1:]:
        # A fresh server each time: the last one is still working through its backlog.
        server, port = serve(f"ungated-{multiple}x", log_dir, gate=False)
        try:
            await closed_loop(port, 1, scale)  # warm-up
            name = f"no-gate {multiple}x"
            phases[name] = await phase(server, port, multiple, capacity, target, duration,
                                       gated=False)  # fmt: skip
            print(line(name, phases[name]))
        finally:
            server.stop()
    # ---- gate enabled: one server; the line is emptied between phases
    server, port = serve("gated", log_dir, gate=True)
    try:
        # Warm-up: the limiter measures the no-load latency at 1x, then comes down from its
        # initial limit (20) under 2x, so that the phases start from a learned limit.
        await open_loop(port, capacity, 3 * scale, seed=1)
        await open_loop(port, 2 * capacity, 8 * scale, seed=2)
        for multiple in MULTIPLES:
            name = f"gate {multiple}x"
            for attempt in range(1 + INVALID_RETRIES):
                here = await capacity_here(port, scale)
                await admin(port, "POST", "/ops/gate/reset")
                await asyncio.sleep(1.0)
                row = await phase(server, port, multiple, here["capacity_per_s"],
                                  1000 * here["latency_target_ms"], duration,
                                  gated=True)  # fmt: skip
                row["measured_here"] = here
                print(f"  here: capacity {here['capacity_per_s']}/s (1 in flight "
                      f"{here['at_one_in_flight_per_s']}/s), unloaded p99 "
                      f"{here['unloaded_p99_ms']} ms")  # fmt: skip
                print(line(name, row))
                if better(row, phases.get(name)):
                    phases[name] = row | {"attempts": attempt + 1}
                if row["valid"]:
                    break
                print(f"  {name}: invalid ({'; '.join(row['invalid_because'])}); again")
        await asyncio.sleep(1.0)
        cost = await refusal_cost(server, port, 3 * scale)
    finally:
        server.stop()
    results["queued_answer_cost"] = cost
    print(f"one queued answer: {cost['server_cpu_us_per_queued_answer']} us of server CPU "
          f"({cost['answers_per_s']}/s at {cost['server_core_busy']:.0%} of the core)")  # fmt: skip
    # What the cost of turning people away leaves for the work, at each load: the core
    # spends refusals/s x cost on answers that are not goodput. The bound on goodput is
    # that share of the capacity, or of the rate reached with one request in flight (the
    # limit the gate learns when a second one only doubles latency).
    us = cost["server_cpu_us_per_queued_answer"]
    verdict: dict[str, Any] = {}
    for multiple in MULTIPLES:
        name = f"gate {multiple}x"
        row = phases[name]
        here = row["measured_here"]
        one = here["at_one_in_flight_per_s"] / here["capacity_per_s"]
        left = max(0.0, 1 - row["refusals_per_s"] * us / 1e6)
        row["core_left_for_submissions"] = round(left, 3)
        row["goodput_bound_share"] = {
            "at_best_concurrency": round(left, 3),
            "at_one_in_flight": round(left * one, 3),
        }
        print(f"{name:<12} refusals {row['refusals_per_s']:.0f}/s x {us} us = "
              f"{1 - left:.1%} of the core: goodput bound {left:.1%} of capacity "
              f"({left * one:.1%} with one in flight)")  # fmt: skip
        if multiple >= 10:
            p99 = row["created_p99_ms"]
            verdict[name] = {
                "phase_valid": row["valid"],
                "goodput_share": row["goodput_share_of_capacity"],
                "goodput_at_least_90_percent": row["goodput_share_of_capacity"] >= 0.9,
                "created_p99_ms": p99,
                "latency_target_ms": here["latency_target_ms"],
                "p99_within_2x_unloaded": p99 is not None and p99 <= here["latency_target_ms"],
            }
    gated = [phases[f"gate {m}x"] for m in MULTIPLES]
    verdict["no_errors"] = all(row["errors"] == 0 for row in gated)
    verdict["no_timeouts"] = all(row["timeouts"] == 0 for row in gated)
    # A target met or missed in an invalid phase says nothing about the server.
    verdict["invalid_phases"] = [name for name, row in phases.items() if not row["valid"]]
    results["targets"] = verdict
    print(f"targets: {json.dumps(verdict)}")
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per phase")
    parser.add_argument(
        "--quick", action="store_true", help="smoke test: 1 s phases, no results written"
    )
    args = parser.parse_args()
    duration, scale = (1.0, 0.25) if args.quick else (args.duration, 1.0)
    require_tools("taskset")
    os.sched_setaffinity(0, {LOAD_CPU})
    busy = wait_for_quiet(0.1, max_wait_s=5 if args.quick else 120)
    print(f"other processes keep {busy:.0%} of the CPUs busy at the start")
    started = time.monotonic()
    with terminate_raises(), tempfile.TemporaryDirectory(prefix="bench-overload-") as tmp:
        results = uvloop.run(run(duration, Path(tmp), scale))
    results["path"] = f"POST {PATH} (real: validate, save in SQLite, schedule follow-up)"
    results["definitions"] = {
        "offered_load": "new applicants per second (Poisson, open loop), each a fresh client "
        "with an empty cookie jar; queued clients come back after Retry-After with their "
        "jar (polls, not new arrivals) until admitted or the phase ends",
        "goodput": "requests answered 201 Created (application saved) within "
        "latency_target_ms of their intended send time, per second of the phase, as a "
        "share of capacity_per_s",
        "capacity": "best rate of 201s with 1, 2 or 4 closed-loop clients, gate disabled; "
        "for a gated phase, with 1 or 2 clients on the same server just before it (its "
        "measured_here), which sets both its offered rate and its goodput share",
        "latency_target": "2 x the unloaded p99 (one client, gate disabled; for a gated "
        "phase, measured just before it)",
        "errors": "answers other than 201 and the gate's 503 + Retry-After, plus "
        "connection failures",
        "goodput_bound_share": "1 - refusals_per_s x queued_answer_cost (the core left for "
        "submissions), times the capacity reached with one request in flight for "
        "at_one_in_flight",
        "noise": "largest share of the phase that other processes (or steal) took on either "
        "core, interrupt time included; figures with noise above 0.1 are not trustworthy",
        "valid": f"false when the generator's lag p99 exceeded {LAG_LIMIT_SHARE:.0%} of the "
        f"phase's latency target, or it used {GENERATOR_CPU_LIMIT:.0%} or more of its core, "
        f"or noise exceeded {NOISE_LIMIT}: the figures then describe the generator or the "
        "neighbours, not the server (invalid_because says which)",
    }
    results["duration_s_per_phase"] = duration
    results["wall_s"] = round(time.monotonic() - started, 1)
    results["machine"] = machine_info(packages=("granian", "hdrhistogram", "uvloop"))
    if args.quick:
        print(f"quick smoke run in {results['wall_s']} s: nothing written")
    else:
        print(f"wrote {write_results('overload', results)} in {results['wall_s']} s")


if __name__ == "__main__":
    try:
        main()
    except BenchError as error:
        raise SystemExit(f"overload: {error}") from error
