"""A real `northgate serve` process for tests that need real HTTP, or a real crash."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from tests.support.servers import free_port, wait_for_port

REPO = Path(__file__).resolve().parents[2]
NODE_MODULES = REPO / "node_modules"
NORTHGATE = [sys.executable, "-m", "northgate"]


@dataclass
class LiveServer:
    url: str
    process: subprocess.Popen[bytes]
    log: Path
    env: dict[str, str]

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])

    @property
    def var_dir(self) -> Path:
        return Path(self.env["NORTHGATE_VAR_DIR"])

    def kill_hard(self) -> None:
        """kill -9 of the master and its workers: no shutdown hooks, as in a power cut."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        """SIGTERM to the whole group (master and workers), then SIGKILL if it lingers."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.kill_hard()
        # Workers that outlived their master are still in the group.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)


def northgate_env(base: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("NORTHGATE_")}
    return {
        **inherited,
        "NORTHGATE_VAR_DIR": str(base / "var"),
        "NORTHGATE_NODE_MODULES": str(NODE_MODULES),
        **(extra or {}),
    }


def run_northgate(env: Mapping[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*NORTHGATE, *args],
        env=dict(env),
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    )


def start_server(base: Path, extra_env: Mapping[str, str] | None = None) -> LiveServer:
    base.mkdir(parents=True, exist_ok=True)
    port = free_port()
    env = northgate_env(base, {"NORTHGATE_PORT": str(port), **(extra_env or {})})
    run_northgate(env, "migrate")
    log = base / f"server-{port}.log"
    with log.open("wb") as log_file:
        process = subprocess.Popen(
            [*NORTHGATE, "serve"],
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so workers die with it
        )
    try:
        wait_for_port(port, process)
    except Exception:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        raise
    return LiveServer(f"http://127.0.0.1:{port}", process, log, env)
