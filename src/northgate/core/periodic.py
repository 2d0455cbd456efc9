"""A job run every few seconds on the event loop, for as long as its owner keeps it.

Started at most once (a second start while it runs is a no-op), stopped by cancelling, and
never ended by its own failures: a run that raises is logged with its traceback and the
next one comes after the interval, because what runs periodically (the gate's tick, the
metrics' copy of it) must outlive a bad second.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable


class Periodic:
    def __init__(
        self,
        job: Callable[[], Awaitable[None]],
        interval: float,
        *,
        name: str,
        log: logging.Logger,
        failure: str,
    ) -> None:
        self.job, self.interval = job, interval
        self.name, self.log, self.failure = name, log, failure
        self._task: asyncio.Task[None] | None = None

    async def run(self) -> None:
        while True:
            try:
                await self.job()
            except Exception:  # the next run comes anyway; requests never wait on this one
                self.log.exception(self.failure)
            await asyncio.sleep(self.interval)

    def start(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self.run(), name=self.name)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
