"""Which dependencies are down right now, as the requests and jobs that needed them saw it.

A failure marks a dependency down; a probe (the database's ``SELECT 1``) then runs every
``probe_every`` seconds until it answers, and marks it up. That is what the gate asks
before admitting anyone new, so it must not wait for a visitor's request to find out.

Logging is by change of state, not by request: one line when a dependency goes down
(the error's first line, no traceback), one line every ``report_every`` seconds while it
stays down (how many failures meanwhile), one line when it is back. Two hundred requests
a second against a stopped database make three lines a minute, not two hundred
tracebacks a second.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

log = logging.getLogger(__name__)

Probe = Callable[[], Awaitable[object]]


@dataclass
class _Down:
    since: float
    failures: int = 1
    reported_at: float = 0.0
    reported_failures: int = 0


def describe(error: BaseException) -> str:
    """The error in one short line: its type and the first line of its message."""
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0][:200]}" if text else type(error).__name__


class DependencyWatch:
    def __init__(
        self,
        probes: Mapping[str, Probe] | None = None,
        *,
        probe_every: float = 1.0,
        probe_timeout: float = 2.0,
        report_every: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.probes = dict(probes or {})
        self.probe_every = probe_every
        self.probe_timeout = probe_timeout
        self.report_every = report_every
        self.clock = clock
        self._down: dict[str, _Down] = {}
        self._probing: dict[str, asyncio.Task[None]] = {}

    def is_down(self, name: str) -> bool:
        return name in self._down

    @property
    def down(self) -> list[str]:
        return sorted(self._down)

    def failed(self, name: str, error: BaseException) -> None:
        """A request or job could not use ``name`` because of ``error``."""
        now = self.clock()
        state = self._down.get(name)
        if state is None:
            self._down[name] = _Down(since=now, reported_at=now, reported_failures=1)
            log.error("%s unavailable: %s", name, describe(error))
            self._start_probe(name)
            return
        state.failures += 1
        self._report(name, state, now)

    def recovered(self, name: str) -> None:
        """``name`` answered again (a probe, or a request or job that used it)."""
        state = self._down.pop(name, None)
        if state is None:
            return
        log.warning(
            "%s available again after %.0f s (%d failures while it was down)",
            name,
            self.clock() - state.since,
            state.failures,
        )

    def _report(self, name: str, state: _Down, now: float) -> None:
        if now - state.reported_at < self.report_every:
            return
        log.warning(
            "%s still unavailable after %.0f s: %d failures in the last %.0f s",
            name,
            now - state.since,
            state.failures - state.reported_failures,
            now - state.reported_at,
        )
        state.reported_at, state.reported_failures = now, state.failures

    def _start_probe(self, name: str) -> None:
        probe = self.probes.get(name)
        running = self._probing.get(name)
        if probe is None or (running is not None and not running.done()):
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # marked down outside the event loop: the next failure probes
            return
        self._probing[name] = loop.create_task(self._probe(name, probe), name=f"probe-{name}")

    async def _probe(self, name: str, probe: Probe) -> None:
        while name in self._down:
            await asyncio.sleep(self.probe_every)
            try:
                await asyncio.wait_for(probe(), self.probe_timeout)
            except Exception:  # still down: counted by the periodic report, not logged
                state = self._down.get(name)
                if state is not None:
                    self._report(name, state, self.clock())
                continue
            self.recovered(name)

    async def close(self) -> None:
        for task in self._probing.values():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._probing.clear()
