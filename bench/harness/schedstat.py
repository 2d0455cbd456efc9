"""CPU time of a set of processes to the nanosecond, from /proc/PID/task/TID/schedstat.

/proc/PID/stat counts in clock ticks (10 ms): fine over seconds of load, useless around one
request. The scheduler's own run time per thread (the first field of ``schedstat``) is in
nanoseconds, so the CPU a server spends on one request can be read before and after it.
Threads that exit between two readings take their time with them: use it on servers whose
threads live as long as they do (granian's workers, PostgreSQL's backends).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from pathlib import Path

from bench.harness.processes import process_tree


class TaskClock:
    """The summed run time of the threads of some process trees, re-listed on demand."""

    def __init__(self, roots: Iterable[int]) -> None:
        self.roots = tuple(roots)
        self.files: list[Path] = []
        self.refresh()

    def refresh(self) -> None:
        """List the threads again (a backend or a worker may have started since)."""
        files: list[Path] = []
        for root in self.roots:
            for pid in process_tree(root):
                with contextlib.suppress(OSError):
                    files.extend(Path(f"/proc/{pid}/task").glob("*/schedstat"))
        self.files = files

    def seconds(self) -> float:
        total = 0
        for path in self.files:
            with contextlib.suppress(OSError):
                total += int(path.read_bytes().split(maxsplit=1)[0])
        return total / 1e9
