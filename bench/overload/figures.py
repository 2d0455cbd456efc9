"""What a phase's tally and CPU accounting say: goodput, latency, errors, noise, validity."""

from __future__ import annotations

import resource
import statistics
import time
from dataclasses import dataclass
from typing import Any

from bench.harness.noise import CoreTimes, core_times
from bench.harness.processes import LOAD_CPU, SERVER_CPU, Server
from bench.overload.load import Tally
from bench.overload.settings import GENERATOR_CPU_LIMIT, LAG_LIMIT_SHARE, NOISE_LIMIT


def count_at_most(hist: Any, limit_us: float) -> int:
    return sum(
        item.count_added_in_this_iter_step
        for item in hist.get_recorded_iterator()
        if item.value_iterated_to <= limit_us
    )


def ms_at(hist: Any, percentile: float) -> float | None:
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
    core: a busy neighbour makes the figures untrustworthy (bench.harness.noise.Window). Busy
    time includes interrupts (bench.harness.noise.CoreTimes.busy): a neighbour's loopback traffic is
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
    good = count_at_most(tally.created, target_us)
    answered = sum(tally.counts.values())
    refusals = tally.counts.get("queued", 0) + tally.counts.get("shed", 0)
    errors = sum(v for k, v in tally.counts.items() if k.startswith("error") or k == "failed")
    other_5xx = sum(v for k, v in tally.counts.items() if k.startswith("error 5"))
    server_s, wall = after.server_s - before.server_s, after.wall_s - before.wall_s
    generator_share = round((after.load_s - before.load_s) / wall, 3) if wall else None
    lag_p99 = ms_at(tally.lag, 99)
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
        "created_p50_ms": ms_at(tally.created, 50),
        "created_p99_ms": ms_at(tally.created, 99),
        "refusal_p50_ms": ms_at(tally.refused, 50),
        "refusal_p99_ms": ms_at(tally.refused, 99),
        "time_in_line_p50_s": s_at(tally.in_line, 50),
        "time_in_line_p99_s": s_at(tally.in_line, 99),
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


def s_at(hist: Any, percentile: float) -> float | None:
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
