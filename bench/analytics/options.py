"""The analytics benchmark's options and targets."""

from __future__ import annotations

import argparse

from bench.harness.entry import QUICK_HELP
from bench.harness.paths import VENV_BIN
from bench.harness.stats import env_number

OVERHEAD_TARGET = 0.05
READINESS_SLACK = 1_000  # wait_ready polls every 0.1 s during start-up
STARTUP_TIMEOUT_S = 90.0
# How the benchmark runs parts of itself in child processes (pinned, or under valgrind).
SELF = (str(VENV_BIN / "python"), "-m", "bench.analytics")


def parse_options(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Cost of the analytics tap (bench/README.md).")
    parser.add_argument(
        "--runs", type=int, default=int(env_number("BENCH_RUNS", 10)), help="pairs of servers"
    )
    parser.add_argument("--bursts", type=int, default=int(env_number("BENCH_BURSTS", 3)))
    parser.add_argument("--duration", type=float, default=env_number("BENCH_DURATION", 3))
    parser.add_argument("--warmup", type=float, default=env_number("BENCH_WARMUP", 2))
    parser.add_argument("--connections", type=int, default=int(env_number("BENCH_CONNECTIONS", 64)))
    parser.add_argument("--noise-limit", type=float, default=env_number("BENCH_NOISE_LIMIT", 0.05))
    parser.add_argument("--retries", type=int, default=int(env_number("BENCH_RETRIES", 2)))
    parser.add_argument("--in-process", type=int, metavar="REQUESTS", help=argparse.SUPPRESS)
    parser.add_argument("--count-child", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--drive", nargs=2, type=int, help=argparse.SUPPRESS)
    parser.add_argument(
        "--control",
        action="store_true",
        help="the pairs only, both servers without the tap: the method's own bias (A/A)",
    )
    parser.add_argument(
        "--quick", action="store_true", help=QUICK_HELP + " (2 pairs of 1 burst of 1 s)"
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.runs, args.bursts, args.duration, args.warmup, args.retries = 2, 1, 1.0, 0.0, 0
    if not 2 <= args.runs <= 40 or not 1 <= args.bursts <= 10:
        parser.error("runs (pairs) 2-40, bursts 1-10")
    if not 1 <= args.duration <= 120 or not 0 <= args.warmup <= 60:
        parser.error("duration 1-120 s, warm-up 0-60 s")
    return args
