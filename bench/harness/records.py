"""What a result records about the machine, and writing ``bench/results/NAME.json``."""

from __future__ import annotations

import contextlib
import datetime as dt
import importlib.metadata
import json
import os
import platform
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from bench.harness.paths import PROJECT_DIR, RESULTS_DIR


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
