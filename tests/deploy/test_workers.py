"""`northgate serve --workers 2` for real: its workers exit with their main process, even
when that one is killed with SIGKILL and cannot stop them (northgate.lifeline)."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from pathlib import Path

import httpx
import pytest

from tests.support.live import start_server


def children_of(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            # /proc/PID/stat: "pid (comm) state ppid ..."; comm may hold spaces, not ")".
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid:
                found.add(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def wait_until_gone(pids: set[int], seconds: float) -> set[int]:
    deadline = time.monotonic() + seconds
    while (left := {pid for pid in pids if alive(pid)}) and time.monotonic() < deadline:
        time.sleep(0.1)
    return left


@pytest.mark.parametrize("server", ["granian", "uvicorn"])
def test_workers_exit_when_their_main_process_is_killed(tmp_path: Path, server: str) -> None:
    live = start_server(tmp_path, {"NORTHGATE_WORKERS": "2", "NORTHGATE_SERVER": server})
    try:
        deadline = time.monotonic() + 60
        while len(workers := children_of(live.process.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(workers) >= 2, workers
        assert httpx.get(f"{live.url}/healthz", timeout=10).status_code == 200

        os.kill(live.process.pid, signal.SIGKILL)
        live.process.wait(10)

        # SIGTERM on the parent's death: an orderly stop, well within systemd's 30 s.
        assert wait_until_gone(workers, 30) == set()
        with pytest.raises(httpx.TransportError):
            httpx.get(f"{live.url}/healthz", timeout=2)
    finally:
        live.stop()
