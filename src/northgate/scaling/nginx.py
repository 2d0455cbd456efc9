"""A graceful nginx reload, and knowing when it has finished.

`nginx -s reload` only sends SIGHUP: the master reads the configuration again, starts new
workers and asks the old ones to finish what they are serving and exit. Until the last old
worker has gone, a request may still go to a node just taken out of the upstream; once
they are all gone, no request in flight anywhere can reach it. So the reload is "done"
when every worker that existed before it has exited. Linux: workers are read from /proc.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")


class ReloadFailed(RuntimeError):
    pass


class StillDraining(ReloadFailed):
    """The new configuration is in force, but old workers still serve requests."""


def children(pid: int) -> set[int]:
    """The processes whose parent is ``pid`` (nginx's workers, cache manager...)."""
    found: set[int] = set()
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # gone meanwhile
        # "pid (comm) state ppid ...": comm may hold spaces and parentheses.
        fields = stat[stat.rindex(")") + 2 :].split()
        if int(fields[1]) == pid:
            found.add(int(entry.name))
    return found


@dataclass(frozen=True)
class Nginx:
    # nginx and the options that find this configuration: "nginx", or
    # "nginx -p PREFIX -c CONF -g 'pid FILE;'"; `-t` and `-s reload` are added to it.
    command: str
    pid_file: Path

    def master(self) -> int:
        try:
            return int(self.pid_file.read_text().split()[0])
        except (OSError, ValueError, IndexError) as error:
            raise ReloadFailed(f"nginx is not running ({self.pid_file}: {error})") from error

    def running(self) -> bool:
        """Whether a master answers at the pid file: before nginx's first start, scaling
        only writes the upstream file that it will read."""
        try:
            os.kill(self.master(), 0)
        except (ReloadFailed, ProcessLookupError):
            return False
        return True

    def check(self) -> None:
        """`nginx -t` with the same options: a broken include is refused before reloading."""
        self._run([*shlex.split(self.command), "-t"])

    def reload(self, timeout: float) -> float:
        """Check the configuration, reload, and wait until every old worker has exited;
        the seconds that took."""
        self.check()
        master = self.master()
        before = children(master)
        started = time.monotonic()
        self._run([*shlex.split(self.command), "-s", "reload"])
        deadline = started + timeout
        while children(master) & before:
            if time.monotonic() > deadline:
                raise StillDraining(
                    f"nginx reloaded, but its old workers still serve after {timeout:.0f} s"
                    " (a slow request or client)"
                )
            time.sleep(0.05)
        return time.monotonic() - started

    def _run(self, command: list[str]) -> None:
        done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=30)
        if done.returncode != 0:
            raise ReloadFailed(f"`{shlex.join(command)}` failed: {done.stderr.strip()}")
