"""Servers a benchmark starts: pinned to a core (``taskset``), in a process group of their
own, their CPU time read from /proc, stopped on exit, error, Ctrl-C and SIGTERM.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

from bench.harness.errors import BenchError
from bench.harness.net import Fetched, http_get, require_loopback
from bench.harness.paths import PROJECT_DIR

SERVER_CPU = 1
LOAD_CPU = 0
CLK_TCK = os.sysconf("SC_CLK_TCK")


def require_tools(*names: str) -> None:
    missing = [name for name in names if shutil.which(name) is None]
    if missing:
        raise BenchError(
            f"missing tools: {', '.join(missing)} (apt-get install -y wrk nginx-light util-linux)"
        )
    if (os.cpu_count() or 1) < 2:
        raise BenchError("these benchmarks pin server and load generator to cores 0 and 1")


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
    return total / CLK_TCK


def keep_to_bench_cores(pid: int) -> None:
    """Keep a running server and its processes (forked later ones inherit it) to the two
    cores the noise check watches (PostgreSQL, which may run on either)."""
    for member in process_tree(pid):
        try:
            os.sched_setaffinity(member, {SERVER_CPU, LOAD_CPU})
        except ProcessLookupError:
            continue


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
