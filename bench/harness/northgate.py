"""Running the ``northgate`` command the benchmarks measure, in an environment of its own."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from pathlib import Path

from bench.harness.errors import BenchError
from bench.harness.net import LOOPBACK
from bench.harness.paths import PROJECT_DIR, VENV_BIN

COMMAND_TIMEOUT_S = 180


def northgate_env(var_dir: Path, settings: Mapping[str, str] | None = None) -> dict[str, str]:
    """The parent's environment without any NORTHGATE_* setting, plus this run's own: a
    fresh var directory (database, secret key, mail) and the project's npm assets."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("NORTHGATE_")}
    var_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    env["NORTHGATE_VAR_DIR"] = str(var_dir)
    env["NORTHGATE_NODE_MODULES"] = str(PROJECT_DIR / "node_modules")
    env["PYTHONUNBUFFERED"] = "1"
    env.update(settings or {})
    return env


def northgate(env: Mapping[str, str], *args: str, timeout: float = COMMAND_TIMEOUT_S) -> str:
    """``northgate ARGS`` to completion; its standard output, or a BenchError saying why not."""
    command = [str(VENV_BIN / "northgate"), *args]
    try:
        done = subprocess.run(
            command,
            env=dict(env),
            cwd=PROJECT_DIR,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as error:
        raise BenchError(f"{' '.join(command)} took over {timeout:.0f} s") from error
    if done.returncode != 0:
        raise BenchError(f"{' '.join(command)} failed:\n{done.stdout}{done.stderr}")
    return done.stdout


def serve_command(port: int, *, server: str = "granian", workers: int = 1) -> list[str]:
    """``northgate serve`` on 127.0.0.1:PORT, as every benchmark starts it."""
    return [
        *(str(VENV_BIN / "northgate"), "serve", "--host", LOOPBACK, "--port", str(port)),
        *("--workers", str(workers), "--server", server),
    ]
