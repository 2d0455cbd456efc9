"""Prometheus's multiprocess mode across a server's worker processes.

Each worker writes its metrics to memory-mapped files in one directory and the worker that
answers a scrape reads them all, so counters add up over every worker (and survive one
that was replaced) whichever worker Prometheus reaches. prometheus-client chooses the mode
when it is imported, from ``PROMETHEUS_MULTIPROC_DIR``: the server's main process sets it,
to a fresh directory per run, before any worker imports the application.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Final

ENVIRONMENT: Final = "PROMETHEUS_MULTIPROC_DIR"
_LIVE_GAUGE: Final = re.compile(r"^gauge_live\w*?_(\d+)\.db$")


def directory() -> Path | None:
    """The multiprocess directory of this run, or None in single-process mode."""
    value = os.environ.get(ENVIRONMENT) or os.environ.get(ENVIRONMENT.lower())
    return Path(value) if value else None


@contextlib.contextmanager
def per_run_directory() -> Iterator[Path]:
    """A directory for this run's metric files, exported to the workers.

    An operator's own ``PROMETHEUS_MULTIPROC_DIR`` (a systemd ``RuntimeDirectory``, say) is
    used and emptied: files of an earlier run would add its counts to this one's. Otherwise
    a temporary directory, removed when the server stops."""
    chosen = directory()
    if chosen is not None:
        chosen.mkdir(parents=True, exist_ok=True)
        for stale in chosen.glob("*.db"):
            stale.unlink(missing_ok=True)
        yield chosen
        return
    made = Path(tempfile.mkdtemp(prefix="northgate-metrics-"))
    os.environ[ENVIRONMENT] = str(made)
    try:
        yield made
    finally:
        os.environ.pop(ENVIRONMENT, None)
        shutil.rmtree(made, ignore_errors=True)


def forget_dead_workers(path: Path) -> list[int]:
    """Drop the live gauges of worker processes that are gone (a worker the server
    replaced): their in-flight requests and capacity must stop counting. Counters stay.
    Returns the process ids forgotten."""
    from prometheus_client import multiprocess

    dead: set[int] = set()
    for file in path.glob("gauge_live*.db"):
        match = _LIVE_GAUGE.match(file.name)
        if match is not None and not _alive(int(match.group(1))):
            dead.add(int(match.group(1)))
    for pid in dead:
        multiprocess.mark_process_dead(pid, str(path))  # type: ignore[no-untyped-call]
    return sorted(dead)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True
