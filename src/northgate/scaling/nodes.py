"""Starting and stopping application nodes on this host, one per port.

Under systemd each node is an instance of deploy/systemd/northgate@.service, so it gets
the unit's sandbox, restarts and journal; elsewhere (a container, a developer's machine,
the tests) it is a plain `northgate serve --port PORT` process in a session of its own,
with its pid and log under ``var/scale/``. Both stop with SIGTERM, on which the server
finishes the requests it holds before exiting.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Protocol

SYSTEMD_RUNTIME = Path("/run/systemd/system")  # exists when systemd is PID 1 (sd_booted)
STOP_SECONDS = 30.0  # as the unit's TimeoutStopSec


class Nodes(Protocol):
    def start(self, port: int) -> None: ...
    def stop(self, port: int) -> None: ...


def systemd_running() -> bool:
    return SYSTEMD_RUNTIME.is_dir()


class SystemdNodes:
    """`systemctl start|stop northgate@PORT`; settings come from the unit's env file."""

    def __init__(self, unit: str = "northgate@") -> None:
        self.unit = unit

    def start(self, port: int) -> None:
        self._systemctl("start", port)

    def stop(self, port: int) -> None:
        self._systemctl("stop", port)

    def _systemctl(self, verb: str, port: int) -> None:
        subprocess.run(
            ["systemctl", verb, f"{self.unit}{port}.service"], check=True, timeout=STOP_SECONDS + 30
        )


class ProcessNodes:
    """`northgate serve` processes that outlive the command that started them."""

    def __init__(self, directory: Path, host: str, env: Mapping[str, str]) -> None:
        self.directory = directory
        self.host = host
        self.env = dict(env)

    def pid_file(self, port: int) -> Path:
        return self.directory / f"node-{port}.pid"

    def log_file(self, port: int) -> Path:
        return self.directory / f"node-{port}.log"

    def start(self, port: int) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        command = [sys.executable, "-m", "northgate", "serve", "--host", self.host]
        with self.log_file(port).open("ab") as log:
            process = subprocess.Popen(
                [*command, "--port", str(port)],
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                # Its own session: not stopped by the operator's Ctrl-C or logout, and its
                # workers form a group that stop() can end together.
                start_new_session=True,
            )
        self.pid_file(port).write_text(f"{process.pid}\n")

    def stop(self, port: int) -> None:
        path = self.pid_file(port)
        if not path.exists():
            return
        pid = int(path.read_text())
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_SECONDS
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        # Workers that outlived their master are still in its group.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)
        path.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    """True while ``pid`` runs; a child of ours that exited is reaped here."""
    with contextlib.suppress(ChildProcessError):
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return False
    try:
        os.kill(pid, 0)
        # Exited, and not yet reaped by its parent (init, for a node an earlier command
        # started): a zombie has stopped serving.
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (ProcessLookupError, FileNotFoundError):
        return False
    return stat[stat.rindex(")") + 2] != "Z"
