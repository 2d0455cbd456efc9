"""The tap: count every arrival at the edge, served or turned away (outermost middleware).

It sits outside everything else, so it sees the requests that the gate queues or sheds,
those that the request limits refuse and those that end in an error, which 2016's page-tag
analytics never saw. Per request it costs a wrapped ``send``, a header scan and one
dictionary increment of raw values (``northgate.analytics.capture.recorder``, which resolves
them off the hot path); it writes nothing, and a failure in it is logged, never passed on to
the visitor.

Contract with inner components (the admission gate in particular)
-----------------------------------------------------------------
The tap gives every HTTP scope a ``scope["state"]`` dict before calling inward (shallow
copies of the scope share it). An inner component that turns a visitor away says so there,
before or while it answers::

    scope["state"]["northgate.outcome"] = "queued"   # waiting-room page: a 200, but queued
    scope["state"]["northgate.outcome"] = "shed"     # "try again at T" (503 + Retry-After)
    scope["state"]["northgate.outcome"] = "limited"  # an abuse limit said no (429)

Valid values are the outcomes ``served``, ``queued``, ``shed``, ``limited``,
``client_error`` and ``server_error``; anything else is ignored. Without a hint the
outcome follows the response: below 400 ``served``; 429 or 503 with ``Retry-After``
``shed``; other 4xx ``client_error``; other 5xx ``server_error``; no response at all (the
client left) ``client_error``. An exception that escapes inward is ``server_error`` and is
re-raised unchanged. An inner component may likewise name the section with
``scope["state"]["northgate.section"]``.
"""

from __future__ import annotations

import logging
from typing import Any

from northgate.analytics.capture.dimensions import OUTCOMES
from northgate.analytics.capture.outcomes import OUTCOME_HINT
from northgate.analytics.capture.recorder import RAISED, Recorder
from northgate.core.asgi import ASGIApp, Receive, Scope, Send
from northgate.core.clock import UnixClock, unix_now
from northgate.edge.asgi import TrackedSend
from northgate.edge.errors import ErrorPages
from northgate.edge.shield import answer_unhandled

log = logging.getLogger(__name__)


def _retry_after(headers: Any, state: dict[str, Any]) -> bool:
    """Whether a refusal carried Retry-After; not asked when an inner component said what it
    did (the gate's waiting room and sheds do, and they are most refusals under load)."""
    if headers is None or state.get(OUTCOME_HINT) in OUTCOMES:
        return False
    return any(name.lower() == b"retry-after" for name, _ in headers)


class Tap:
    def __init__(
        self,
        app: ASGIApp,
        recorder: Recorder,
        *,
        errors: ErrorPages | None = None,
        clock: UnixClock = unix_now,
    ) -> None:
        self.app = app
        self.recorder = recorder
        # The counter's own method (compiled): a Python frame less per request.
        self._count = recorder.counter.arrive
        # With error pages the tap is also the error shield (northgate.edge.shield): both
        # belong outermost, and one layer instead of two saves a coroutine frame per
        # request, a third of the tap's cost on a cached page.
        self.errors = errors
        self.clock = clock
        self.failures = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = self.clock()
        state: dict[str, Any] | None = scope.get("state")
        if state is None:
            state = scope["state"] = {}
        # The error shield and the request limits inside reuse this wrapper (one per request).
        tracked = TrackedSend(send)
        try:
            await self.app(scope, receive, tracked)
        except Exception:
            self._arrive(started, scope, RAISED, False, state)
            if self.errors is None:
                raise
            await answer_unhandled(self.errors, scope, send, tracked)
            return
        except BaseException:  # cancelled: the client went away; not our error
            retry_after = _retry_after(tracked.refusal_headers, state)
            self._arrive(started, scope, tracked.status, retry_after, state)
            raise
        try:
            refused = tracked.refusal_headers
            retry_after = refused is not None and _retry_after(refused, state)
            self._count(started, scope, tracked.status, retry_after, state)
        except Exception:
            self._failed()

    def _arrive(
        self, started: float, scope: Scope, status: int, retry_after: bool, state: dict[str, Any]
    ) -> None:
        try:
            self._count(started, scope, status, retry_after, state)
        except Exception:
            self._failed()

    def _failed(self) -> None:
        self.failures += 1
        if self.failures <= 10 or self.failures % 10_000 == 0:
            log.exception("analytics: could not record an arrival (%d so far)", self.failures)
