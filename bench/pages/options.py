"""The pages benchmark's options, from the command line and ``BENCH_*`` variables."""

from __future__ import annotations

import argparse
from dataclasses import dataclass

from bench.harness.entry import QUICK_HELP
from bench.harness.stats import env_number
from bench.pages.cases import CASES, Case

PAGE_PATH = "/en/eta"
PUBLIC_ORIGIN = "http://127.0.0.1:8000"
A_OVER_B_TARGET = 0.8


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
    quick: bool = False  # a smoke test: nothing is written
    retry_deadline: float = 0.0  # time.monotonic() after which disturbed runs are not retried


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
    parser.add_argument("--quick", action="store_true", help=QUICK_HELP + " (1 run of 1 s)")
    args = parser.parse_args(argv)
    if args.quick:
        args.runs, args.duration, args.warmup, args.retries = 1, 1.0, 0.0, 0
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
        quick=args.quick,
    )
