"""Helpers shared by the benchmarks in this directory.

Everything here talks to 127.0.0.1 only, bounds every wait with a deadline and stops every
process it started (by process group, which each server gets of its own).

Conventions (see ../../shared/CALIBRATION.md): the server under test runs pinned to core 1
(``taskset -c 1``), the load generator to core 0 (``taskset -c 0``); the most robust figure
is the server's CPU time per request, read from /proc/PID/stat for the server process and
all of its descendants.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import http.client
import importlib.metadata
import json
import os
import platform
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any, TypeVar
from urllib.parse import urlsplit

BENCH_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"
VENV_BIN = PROJECT_DIR / ".venv" / "bin"

LOOPBACK = "127.0.0.1"
SERVER_CPU = 1
LOAD_CPU = 0
_CLK_TCK = os.sysconf("SC_CLK_TCK")

T = TypeVar("T")


class BenchError(RuntimeError):
    """A benchmark cannot produce trustworthy figures; the message says why."""


# --------------------------------------------------------------------------- small helpers


def env_number(name: str, default: float) -> float:
    """A float from the environment (``BENCH_DURATION=3``), or ``default``."""
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError as error:
        raise BenchError(f"{name}={raw!r} is not a number") from error


def median(values: Sequence[float]) -> float:
    if not values:
        raise BenchError("median of no values")
    return float(statistics.median(values))


def ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator else None


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        port: int = sock.getsockname()[1]
        return port


def loopback_url(port: int, path: str) -> str:
    return f"http://{LOOPBACK}:{port}{path}"


def require_loopback(url: str) -> None:
    """Refuse to send benchmark traffic anywhere but this machine's loopback address."""
    parts = urlsplit(url)
    if parts.scheme != "http" or parts.hostname != LOOPBACK:
        raise BenchError(f"refusing to send traffic to {url!r}: only http://{LOOPBACK} is allowed")


def require_tools(*names: str) -> None:
    missing = [name for name in names if shutil.which(name) is None]
    if missing:
        raise BenchError(
            f"missing tools: {', '.join(missing)} (apt-get install -y wrk nginx-light util-linux)"
        )
    if (os.cpu_count() or 1) < 2:
        raise BenchError("these benchmarks pin server and load generator to cores 0 and 1")


# --------------------------------------------------------------------------- HTTP


@dataclass(frozen=True)
class Fetched:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None


def http_get(
    url: str, *, timeout: float = 5.0, headers: Mapping[str, str] | None = None
) -> Fetched:
    """One plain GET (no Accept-Encoding unless given), the way wrk sends it."""
    require_loopback(url)
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(LOOPBACK, parts.port or 80, timeout=timeout)
    try:
        # skip_accept_encoding: http.client would otherwise add "Accept-Encoding: identity".
        conn.putrequest("GET", parts.path or "/", skip_accept_encoding=True)
        for name, value in (headers or {}).items():
            conn.putheader(name, value)
        conn.endheaders()
        response = conn.getresponse()
        body = response.read()
        return Fetched(response.status, list(response.getheaders()), body)
    finally:
        conn.close()


# --------------------------------------------------------------------------- processes


def _read_stat(pid: int) -> tuple[int, int] | None:
    """(ppid, utime+stime+cutime+cstime in clock ticks) of ``pid``, or None if it is gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    # The command name (field 2) may hold spaces and parentheses: split after the last ')'.
    fields = raw.rsplit(")", 1)[1].split()
    # fields[0] is field 3 (state); field n of proc(5) is fields[n - 3].
    ppid = int(fields[1])
    ticks = sum(int(fields[i]) for i in (11, 12, 13, 14))  # utime stime cutime cstime
    return ppid, ticks


def _group_members(pgid: int) -> list[int]:
    """Live processes whose process group is ``pgid``."""
    members = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                if int(fields[2]) == pgid:
                    members.append(int(entry.name))
    return members


def process_tree(root: int) -> list[int]:
    """``root`` and all its live descendants (found by scanning /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        stat = _read_stat(int(entry.name))
        if stat is not None:
            children.setdefault(stat[0], []).append(int(entry.name))
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children.get(pid, []))
    return tree


def cpu_seconds(root: int) -> float:
    """CPU time used so far by ``root`` and its descendants, waited-for children included.

    Live descendants are counted through their own utime+stime; children that have exited
    and been reaped show up in their parent's cutime+cstime. Resolution: one clock tick
    (usually 10 ms), so measure over seconds, not milliseconds.
    """
    total = 0
    for pid in process_tree(root):
        stat = _read_stat(pid)
        if stat is not None:
            total += stat[1]
    return total / _CLK_TCK


def cpus_allowed(pid: int) -> str:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("Cpus_allowed_list:"):
            return line.split(":", 1)[1].strip()
    return "?"


@dataclass
class Server:
    """A server process we started, in a process group of its own."""

    name: str
    popen: subprocess.Popen[bytes]
    log_path: Path
    url: str = ""

    @property
    def pid(self) -> int:
        return self.popen.pid

    def cpu_seconds(self) -> float:
        return cpu_seconds(self.pid)

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return ""

    def exit_reason(self) -> str:
        """Why the server is gone, in words (or "running")."""
        code = self.popen.poll()
        if code is None:
            return "running"
        if code < 0:
            return f"killed by signal {signal.Signals(-code).name}"
        if code == 0:
            return "exited with status 0: it shut down cleanly, so something signalled it"
        return f"exited with status {code}"

    def check_pinned(self, cpu: int = SERVER_CPU) -> None:
        for pid in process_tree(self.pid):
            allowed = cpus_allowed(pid)
            if allowed != str(cpu):
                raise BenchError(f"{self.name}: process {pid} may run on CPUs {allowed}, not {cpu}")

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM the server's process group, then SIGKILL it if it has not gone in time."""
        if self.popen.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait(timeout=timeout)
        # Workers that outlived their master (same group, which we created): end them too.
        if _group_members(self.popen.pid):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.popen.pid, signal.SIGKILL)


def start_server(
    name: str,
    command: Sequence[str],
    *,
    log_dir: Path,
    env: Mapping[str, str] | None = None,
    cpu: int = SERVER_CPU,
    cwd: Path = PROJECT_DIR,
) -> Server:
    """Start ``command`` pinned to ``cpu`` (``taskset -c``) in a new process group."""
    log_path = log_dir / f"{name}.log"
    with log_path.open("wb") as log:
        popen = subprocess.Popen(
            ["taskset", "-c", str(cpu), *command],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=dict(env) if env is not None else None,
            cwd=cwd,
            start_new_session=True,
        )
    return Server(name, popen, log_path)


def wait_ready(server: Server, url: str, *, timeout: float = 60.0, expect: int = 200) -> Fetched:
    """Poll ``url`` until it answers ``expect``; fail if the server dies or time runs out."""
    require_loopback(url)
    deadline = time.monotonic() + timeout
    last_error = "no answer"
    while time.monotonic() < deadline:
        if server.popen.poll() is not None:
            raise BenchError(
                f"{server.name} {server.exit_reason()} before it was ready:\n" + server.log_tail()
            )
        try:
            fetched = http_get(url, timeout=2.0)
        except OSError as error:
            last_error = str(error)
        else:
            if fetched.status == expect:
                server.url = url
                return fetched
            last_error = f"HTTP {fetched.status}"
        time.sleep(0.1)
    raise BenchError(
        f"{server.name} not ready at {url} after {timeout:.0f} s ({last_error}):\n"
        + server.log_tail()
    )


@contextlib.contextmanager
def terminate_raises() -> Iterator[None]:
    """Make Ctrl-C, SIGTERM and SIGHUP raise, so that ``finally`` blocks stop the servers.

    SIGINT gets Python's default handler back even when the shell started us with it
    ignored (a background job of a non-interactive shell).
    """

    def handler(signum: int, _frame: FrameType | None) -> None:
        raise SystemExit(128 + signum)

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGHUP)}
    previous[signal.SIGINT] = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


# --------------------------------------------------------------------------- noise


@dataclass(frozen=True)
class CoreTimes:
    """Seconds one CPU spent, from /proc/stat (cumulative since boot)."""

    user_system: float  # user + nice + system: time charged to processes
    interrupts: float  # irq + softirq: loopback networking lands here, charged to no process
    idle: float  # idle + iowait
    steal: float  # taken by the hypervisor for other guests

    @property
    def busy(self) -> float:
        """Time not idle and not stolen. Interrupt time is included: on this kernel the
        softirq work of loopback networking shows up in the busy process's own stime too,
        so leaving it out would hide that much of a neighbour's work."""
        return self.user_system + self.interrupts

    def __sub__(self, other: CoreTimes) -> CoreTimes:
        return CoreTimes(
            self.user_system - other.user_system,
            self.interrupts - other.interrupts,
            self.idle - other.idle,
            self.steal - other.steal,
        )


def core_times() -> dict[int, CoreTimes]:
    times: dict[int, CoreTimes] = {}
    for line in Path("/proc/stat").read_text().splitlines():
        name, *values = line.split()
        if not name.startswith("cpu") or name == "cpu":
            continue
        user, nice, system, idle, iowait, irq, softirq, steal = (int(v) for v in values[:8])
        times[int(name[3:])] = CoreTimes(
            (user + nice + system) / _CLK_TCK,
            (irq + softirq) / _CLK_TCK,
            (idle + iowait) / _CLK_TCK,
            steal / _CLK_TCK,
        )
    return times


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


@dataclass(frozen=True)
class Window:
    """What the two cores did while one measurement ran.

    ``foreign`` is the core's busy time not explained by the processes we account for: on
    the server core, the servers we started; on the load core, the load generator (counted
    when it exits, so it must run to completion inside the window). A busy neighbour (tests,
    a build, another benchmark) shows up here and makes the measurement untrustworthy. On a
    quiet host it stays within a few percent of the window.
    """

    seconds: float
    server_cpu_s: float
    idle_servers_cpu_s: float
    load_cpu_s: float
    server_core: CoreTimes
    load_core: CoreTimes
    server_core_foreign_s: float
    load_core_foreign_s: float

    def noise(self) -> float:
        """The largest share of the window lost to others (foreign work or steal), 0..1."""
        if self.seconds <= 0:
            return 0.0
        return (
            max(
                self.server_core_foreign_s,
                self.load_core_foreign_s,
                self.server_core.steal,
                self.load_core.steal,
            )
            / self.seconds
        )

    def figures(self, requests: int) -> dict[str, Any]:
        """The per-run figures every wrk benchmark records for ``requests`` completed."""
        return {
            "server_cpu_us_per_request": round(self.server_cpu_s / requests * 1e6, 2),
            "server_core_busy": round(self.server_cpu_s / self.seconds, 3),
            "noise": round(self.noise(), 3),
            "window": self.to_json(),
        }

    def to_json(self) -> dict[str, Any]:
        def core(times: CoreTimes) -> dict[str, float]:
            return {name: round(value, 3) for name, value in asdict(times).items()}

        return {
            "seconds": round(self.seconds, 3),
            "server_cpu_s": round(self.server_cpu_s, 3),
            "idle_servers_cpu_s": round(self.idle_servers_cpu_s, 3),
            "load_cpu_s": round(self.load_cpu_s, 3),
            "server_core": core(self.server_core),
            "load_core": core(self.load_core),
            "server_core_foreign_s": round(self.server_core_foreign_s, 3),
            "load_core_foreign_s": round(self.load_core_foreign_s, 3),
            "noise": round(self.noise(), 3),
        }


def measure_window(
    server: Server,
    idle_servers: Sequence[Server],
    load: Callable[[], T],
    *,
    server_cpu: int = SERVER_CPU,
    load_cpu: int = LOAD_CPU,
) -> tuple[T, Window]:
    """Run ``load()`` (e.g. a wrk run) and account for the CPU time of both cores meanwhile."""
    idle_before = sum(s.cpu_seconds() for s in idle_servers)
    cores_before = core_times()
    server_before = server.cpu_seconds()
    children_before = _children_cpu()
    started = time.monotonic()
    result = load()
    seconds = time.monotonic() - started
    children_after = _children_cpu()
    server_after = server.cpu_seconds()
    cores_after = core_times()
    idle_after = sum(s.cpu_seconds() for s in idle_servers)
    server_core = cores_after[server_cpu] - cores_before[server_cpu]
    load_core = cores_after[load_cpu] - cores_before[load_cpu]
    server_s = server_after - server_before
    idle_s = idle_after - idle_before
    load_s = children_after - children_before
    window = Window(
        seconds=seconds,
        server_cpu_s=server_s,
        idle_servers_cpu_s=idle_s,
        load_cpu_s=load_s,
        server_core=server_core,
        load_core=load_core,
        server_core_foreign_s=max(0.0, server_core.busy - server_s - idle_s),
        load_core_foreign_s=max(0.0, load_core.busy - load_s),
    )
    return result, window


def host_busy_share(seconds: float = 1.0) -> float:
    """Share of all cores busy with processes over ``seconds`` of doing nothing ourselves."""
    before = core_times()
    time.sleep(seconds)
    after = core_times()
    busy = sum((after[c] - before[c]).user_system for c in after)
    return busy / (seconds * len(after))


def wait_for_quiet(limit: float, *, max_wait_s: float = 30.0, window_s: float = 1.0) -> float:
    """Wait (at most ``max_wait_s``) for a ``window_s`` in which other processes keep the
    CPUs busy less than ``limit`` of the time; return the last share seen."""
    deadline = time.monotonic() + max_wait_s
    share = host_busy_share(window_s)
    while share > limit and time.monotonic() < deadline:
        share = host_busy_share(window_s)
    return share


# --------------------------------------------------------------------------- wrk


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
) -> WrkResult:
    """``taskset -c CPU wrk -tT -cC -dDs --latency URL``, bounded in time, parsed.

    ``timeout_s`` is wrk's per-request timeout: a request slower than that counts as a
    socket timeout error (and wrk leaves it out of the latency distribution).
    """
    require_loopback(url)
    seconds = max(1, round(duration))
    command = [
        "taskset", "-c", str(cpu), "wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s",
        f"--timeout={timeout_s}s", "--latency", url,
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


# --------------------------------------------------------------------------- records


def _command_version(command: Sequence[str]) -> str:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return "unavailable"
    text = (done.stdout + done.stderr).strip()
    return text.splitlines()[0] if text else "unknown"


def _package_version(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def _cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _git_revision() -> str:
    """Short commit of the project, with ``+dirty`` when the code measured (src/) or the
    benchmarks themselves (bench/, results aside) have uncommitted changes."""
    git = ["git", "-C", str(PROJECT_DIR)]
    try:
        head = subprocess.run(
            [*git, "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
        status = subprocess.run(
            [*git, "status", "--porcelain", "--", "src", "bench", ":!bench/results"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return head + ("+dirty" if status else "")


def machine_info(
    packages: Sequence[str] = ("granian", "uvicorn", "uvloop", "httptools"),
) -> dict[str, Any]:
    return {
        "date_utc": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "nproc": os.cpu_count(),
        "cpu_model": _cpu_model(),
        "kernel": platform.release(),
        "python": sys.version.split()[0],
        "python_implementation": platform.python_implementation(),
        "wrk": _command_version(["wrk", "-v"]),
        "nginx": _command_version(["nginx", "-v"]),
        "packages": {name: _package_version(name) for name in packages},
        "git": _git_revision(),
        "load_average_at_start": list(os.getloadavg()),
    }


def write_results(name: str, data: Mapping[str, Any]) -> Path:
    """Write ``bench/results/NAME.json`` atomically (via a ``.tmp`` file, git-ignored)."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{name}.json"
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=False) + "\n")
    tmp.replace(path)
    return path
