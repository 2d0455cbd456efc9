"""Load generation with ``wrk``: pinned to the load core, bounded in time, parsed."""

from __future__ import annotations

import re
import subprocess
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench.harness.errors import BenchError
from bench.harness.net import require_loopback
from bench.harness.processes import LOAD_CPU


@dataclass
class WrkResult:
    requests: int
    seconds: float
    requests_per_s: float
    latency_ms: dict[str, float]  # "p50", "p75", "p90", "p99", "avg", "max"
    non_2xx_3xx: int
    socket_errors: dict[str, int]
    read_bytes: str
    raw: str = field(repr=False)

    def to_json(self, *, raw: bool = False) -> dict[str, Any]:
        data = asdict(self)
        if not raw:
            del data["raw"]
        return data


_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}
_DURATION = r"([\d.]+)(us|ms|s|m|h)"


def _ms(number: str, unit: str) -> float:
    return float(number) * _UNITS_MS[unit]


def parse_wrk(text: str) -> WrkResult:
    """Parse the output of ``wrk --latency`` (wrk 4.x)."""
    totals = re.search(r"^\s*(\d+) requests in ([\d.]+)(us|ms|s|m|h), (\S+) read", text, re.M)
    rps = re.search(r"^Requests/sec:\s+([\d.]+)", text, re.M)
    if totals is None or rps is None:
        raise BenchError(f"cannot parse wrk output:\n{text}")
    latency: dict[str, float] = {}
    for pct, number, unit in re.findall(r"^\s+(50|75|90|99)%\s+" + _DURATION, text, re.M):
        latency[f"p{pct}"] = _ms(number, unit)
    if "p99" not in latency:
        raise BenchError(f"no latency distribution in wrk output (was --latency given?):\n{text}")
    thread_latency = re.search(
        r"^\s+Latency\s+" + _DURATION + r"\s+" + _DURATION + r"\s+" + _DURATION, text, re.M
    )
    if thread_latency is not None:
        groups = thread_latency.groups()
        latency["avg"] = _ms(groups[0], groups[1])
        latency["max"] = _ms(groups[4], groups[5])
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text
    )
    socket_errors = dict.fromkeys(("connect", "read", "write", "timeout"), 0)
    if errors is not None:
        socket_errors = dict(zip(socket_errors, map(int, errors.groups()), strict=True))
    return WrkResult(
        requests=int(totals.group(1)),
        seconds=_ms(totals.group(2), totals.group(3)) / 1000.0,
        requests_per_s=float(rps.group(1)),
        latency_ms=latency,
        non_2xx_3xx=int(non_2xx.group(1)) if non_2xx else 0,
        socket_errors=socket_errors,
        read_bytes=totals.group(4),
        raw=text,
    )


def run_wrk(
    url: str,
    *,
    duration: float,
    connections: int = 64,
    threads: int = 1,
    cpu: int = LOAD_CPU,
    timeout_s: int = 2,
    script: Path | None = None,
) -> WrkResult:
    """``taskset -c CPU wrk -tT -cC -dDs --latency [-s SCRIPT] URL``, bounded in time, parsed.

    ``timeout_s`` is wrk's per-request timeout: a request slower than that counts as a
    socket timeout error (and wrk leaves it out of the latency distribution). ``script``
    is a wrk Lua script that shapes the requests (method, body, headers).
    """
    require_loopback(url)
    seconds = max(1, round(duration))
    command = [
        "taskset", "-c", str(cpu), "wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s",
        f"--timeout={timeout_s}s", "--latency", *(["-s", str(script)] if script else []), url,
    ]  # fmt: skip
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=seconds + 30, check=False
        )
    except subprocess.TimeoutExpired as error:
        raise BenchError(f"wrk ran over {seconds + 30} s: {' '.join(command)}") from error
    if done.returncode != 0:
        raise BenchError(f"wrk failed ({done.returncode}): {done.stderr or done.stdout}")
    return parse_wrk(done.stdout)


def check_wrk(result: WrkResult, case: str) -> None:
    """Fail loudly when the run saw errors: the figures would describe error pages."""
    if result.non_2xx_3xx:
        raise BenchError(
            f"{case}: {result.non_2xx_3xx} non-2xx/3xx responses out of {result.requests}:\n"
            + result.raw
        )
    if any(result.socket_errors.values()):
        raise BenchError(f"{case}: socket errors {result.socket_errors}:\n{result.raw}")
    if result.requests == 0:
        raise BenchError(f"{case}: wrk completed no request:\n{result.raw}")
