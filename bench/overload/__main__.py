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
  as bench.harness.noise counts it), the gate's concurrency limit once a second (``/ops/gate``), and
  at the end the server CPU of one "wait in line" answer measured alone, with the bound it
  puts on goodput at each load: the core spends refusals/s x that cost on answers that are
  not work. A phase whose generator sent late (lag p99 over a quarter of the latency
  target) or used 90 % of its core, or with noise over 10 %, describes the generator or
  the neighbours, not the server: it is marked invalid (``valid``, ``invalid_because``, and
  INVALID in the table); a gated one is run once more and the better run kept.

Without the gate there is one fresh server per overloaded phase (the previous one is still
working through its backlog); with it, one server, warmed up (1x, then 2x so the limit is
learned), the line emptied between phases. About 4 minutes with the default 10 s phases.

Usage: .venv/bin/python -m bench.overload [--duration S] ; writes bench/results/overload.json
       .venv/bin/python -m bench.overload --quick       ; smoke test (~1.5 min), writes nothing
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import uvloop

from bench.harness.entry import run_main
from bench.harness.noise import wait_for_quiet
from bench.harness.processes import LOAD_CPU, require_tools, terminate_raises
from bench.harness.records import machine_info, write_results
from bench.overload.run import run
from bench.overload.settings import GENERATOR_CPU_LIMIT, LAG_LIMIT_SHARE, NOISE_LIMIT, PATH


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
    run_main(main)
