"""Adaptive concurrency limits that learn a node's capacity from latency. Pure code.

Both follow Netflix's concurrency-limits: the caller counts requests in flight, reports
each finished request's latency, and refuses work while ``in_flight >= limit``. Samples
are aggregated per window (``window`` samples or ``window_seconds``, whichever comes first)
and the limit moves once per window.

- :class:`GradientLimit` (Gradient2 with Envoy's minRTT window): compares the window's
  latency with the no-load baseline; ``limit * min(1, tolerance * baseline / sample) +
  headroom``, smoothed. The baseline is measured at the floor concurrency at start and
  again after ``probe_every`` seconds of continuous queueing, and follows any lower window
  at once; it never learns from overloaded samples, so sustained overload cannot teach it
  that overload is normal (the known drift of plain Gradient2). The headroom is
  ``sqrt(limit)`` while latency sits at the baseline (probe fast, recover fast) and at most
  a tenth of the limit once it rises (settle close to the knee, even on one core).
- :class:`AIMDLimit`: additive increase while latency is under a threshold, multiplicative
  decrease when it is over.

Neither grows while the node is app-limited (in flight under half the limit), and both
grow back once latency is normal again, so the limit never sticks at the floor.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Protocol


class Limit(Protocol):
    @property
    def limit(self) -> int: ...

    def sample(self, rtt: float, in_flight: int, now: float, *, dropped: bool = False) -> None: ...

    def bounds(self, floor: int, ceiling: int) -> None: ...


@dataclass
class _Window:
    """Latency samples of the current window: mean RTT, peak in flight."""

    started: float = 0.0
    count: int = 0
    total: float = 0.0
    peak_in_flight: int = 0
    dropped: bool = False

    def add(self, rtt: float, in_flight: int, dropped: bool) -> None:
        self.count += 1
        self.total += rtt
        self.peak_in_flight = max(self.peak_in_flight, in_flight)
        self.dropped = self.dropped or dropped

    def reset(self, now: float) -> None:
        self.started, self.count, self.total, self.peak_in_flight = now, 0, 0.0, 0
        self.dropped = False


@dataclass
class GradientLimit:
    initial: int = 20
    floor: int = 2
    ceiling: int = 256
    tolerance: float = 1.25  # latency up to this times the baseline is not overload
    smoothing: float = 0.2
    probe_margin: float = 1.05  # latency within this of the baseline means no queueing
    settle: float = 0.1  # headroom, as a share of the limit, once latency rises
    probe_every: float = 30.0  # seconds of continuous queueing before re-measuring
    probe_samples: int = 20
    # A probe ends after this long even without enough samples at the floor: CRITICAL
    # requests let in over the limit can keep more than the floor in flight for a whole
    # surge, and the limit would stay at the floor meanwhile. It then takes the lowest
    # latency it saw (at most the loaded latency: the limit errs high, and any lower
    # window lowers the baseline again).
    probe_timeout: float = 5.0
    knee_hold: float = 2.0  # seconds to stay below a limit that pushed latency past tolerance
    knee_hold_max: float = 60.0  # doubling each time the same limit fails again
    window: int = 10_000
    window_seconds: float = 0.5
    min_window: int = 10
    estimated: float = field(init=False)
    baseline: float = field(init=False, default=0.0)
    _window: _Window = field(init=False, default_factory=_Window)
    _probe: _Window | None = field(init=False, default=None)
    _probe_lowest: float = field(init=False, default=math.inf)  # any RTT seen while probing
    _queueing_since: float | None = field(init=False, default=None)
    _knee: int = field(init=False, default=0)  # a limit that failed recently; 0: none
    _knee_until: float = field(init=False, default=0.0)
    _knee_for: float = field(init=False, default=0.0)

    def __post_init__(self) -> None:
        self.estimated = float(min(max(self.initial, self.floor), self.ceiling))
        self._probe = _Window()  # measure the no-load latency first

    @property
    def limit(self) -> int:
        return self.floor if self._probe is not None else int(self.estimated)

    @property
    def probing(self) -> bool:
        return self._probe is not None

    def bounds(self, floor: int, ceiling: int) -> None:
        self.floor, self.ceiling = floor, max(floor, ceiling)
        self.estimated = min(max(self.estimated, self.floor), self.ceiling)

    def sample(self, rtt: float, in_flight: int, now: float, *, dropped: bool = False) -> None:
        if self._probe is not None:
            self._sample_probe(rtt, in_flight, now)
            return
        w = self._window
        if w.count == 0:
            w.started = now
        w.add(rtt, in_flight, dropped)
        if w.count >= self.window or (
            w.count >= self.min_window and now - w.started >= self.window_seconds
        ):
            self._update(w.total / w.count, w.peak_in_flight, now)
            w.reset(now)

    def _sample_probe(self, rtt: float, in_flight: int, now: float) -> None:
        probe = self._probe
        assert probe is not None
        if not probe.started:
            probe.started = now
        self._probe_lowest = min(self._probe_lowest, rtt)
        if in_flight <= self.floor:  # more: admitted over the floor, not a no-load sample
            probe.add(rtt, in_flight, False)
        if probe.count >= self.probe_samples:
            self._end_probe(probe.total / probe.count, now)
        elif now - probe.started >= self.probe_timeout:
            quiet = probe.total / probe.count if probe.count else math.inf
            self._end_probe(min(quiet, self._probe_lowest), now)

    def _end_probe(self, baseline: float, now: float) -> None:
        self.baseline = baseline
        self._probe = None
        self._probe_lowest = math.inf
        self._queueing_since = None
        self._window.reset(now)

    def _update(self, short: float, in_flight: int, now: float) -> None:
        if short <= 0:
            return
        if short < self.baseline:
            self.baseline = short  # a lower latency is a better no-load estimate: take it
        queueing = short > self.baseline * self.probe_margin
        if not queueing:
            self._queueing_since = None
        elif self._queueing_since is None:
            self._queueing_since = now
        elif now - self._queueing_since >= self.probe_every:
            # Queueing for a long time: has the node got slower, or is the limit too high?
            # Only a measurement at low concurrency can tell (Envoy's minRTT window).
            self._probe = _Window()
            return
        if in_flight < self.estimated / 2 and not queueing:
            return  # app-limited: no evidence that more would be served well
        self._remember_knee(short, now)
        gradient = max(0.5, min(1.0, self.tolerance * self.baseline / short))
        # Probe quickly while latency sits at the baseline, settle gently once it rises.
        if queueing:
            headroom = min(math.sqrt(self.estimated), self.settle * self.estimated)
        else:
            headroom = math.sqrt(self.estimated)
        target = self.estimated * gradient + headroom
        updated = self.estimated * (1 - self.smoothing) + target * self.smoothing
        if self._knee and now < self._knee_until:
            updated = min(updated, self._knee - 0.001)  # not back to the failed limit yet
        self.estimated = min(max(updated, self.floor), self.ceiling)

    def _remember_knee(self, short: float, now: float) -> None:
        """Back off from re-probing a limit that just pushed latency past tolerance.

        Near the floor one more slot is a big step: on one core, a CPU-bound handler at two
        in flight takes twice as long as at one. The sqrt(limit) headroom climbs back to
        that limit within a couple of windows, so without a memory the limit spent a third
        of its time there and the p99 of admitted requests was the p99 at the higher limit.
        So a limit that failed is avoided for ``knee_hold`` seconds, twice as long each time
        the same limit fails again (up to ``knee_hold_max``), and forgotten as soon as it
        (or more) is served within tolerance: when the node gets faster, the limit grows.
        A falling limit resets the hold, so an outage does not leave long holds behind.
        """
        level = int(self.estimated)
        if short > self.tolerance * self.baseline:
            if level <= self.floor:
                return
            again = level == self._knee
            self._knee_for = (
                min(self.knee_hold_max, self._knee_for * 2) if again else self.knee_hold
            )
            self._knee, self._knee_until = level, now + self._knee_for
        elif self._knee and level >= self._knee:
            self._knee, self._knee_for = 0, 0.0


@dataclass
class AIMDLimit:
    initial: int = 20
    floor: int = 4
    ceiling: int = 256
    threshold: float = 0.1  # seconds: latency above this is overload
    backoff: float = 0.9
    window: int = 10_000
    window_seconds: float = 0.5
    min_window: int = 10
    estimated: float = field(init=False)
    _window: _Window = field(init=False, default_factory=_Window)

    def __post_init__(self) -> None:
        self.estimated = float(min(max(self.initial, self.floor), self.ceiling))

    @property
    def limit(self) -> int:
        return int(self.estimated)

    def bounds(self, floor: int, ceiling: int) -> None:
        self.floor, self.ceiling = floor, max(floor, ceiling)
        self.estimated = min(max(self.estimated, self.floor), self.ceiling)

    def sample(self, rtt: float, in_flight: int, now: float, *, dropped: bool = False) -> None:
        w = self._window
        if w.count == 0:
            w.started = now
        w.add(rtt, in_flight, dropped)
        if w.count >= self.window or (
            w.count >= self.min_window and now - w.started >= self.window_seconds
        ):
            mean, peak, was_dropped = w.total / w.count, w.peak_in_flight, w.dropped
            w.reset(now)
            if was_dropped or mean > self.threshold:
                self.estimated = max(self.floor, self.estimated * self.backoff)
            elif peak >= self.estimated / 2:
                self.estimated = min(self.ceiling, self.estimated + 1)
