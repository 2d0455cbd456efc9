"""What the waiting room tells people: the outflow of the line, the estimated wait, and
when to ask again. Pure code (randomness passed in)."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

# The estimate assumes the line moves at this share of its measured speed: erring slow
# means the time shown falls faster than the clock for most people, instead of rising.
PESSIMISM = 0.8
# A new estimate later than the one already shown is believed only past this slack.
RISE_SLACK = 0.25


@dataclass
class Outflow:
    """How fast the line moves: admissions per second while there is a line, an
    exponentially weighted moving average over ~``span`` s.

    Only admissions made while people wait count: walk-ins admitted while nobody waits say
    how many arrived, not how fast the node lets people in once a line forms, and an
    estimate from them (or from the configured ceiling) promised minutes that became a
    quarter of an hour. Until the line has moved for ``settle`` seconds the speed is not
    known (``known``), and the waiting room says so rather than guess."""

    span: float = 60.0
    settle: float = 10.0
    rate: float = 0.0
    _total: int | None = None
    _stamp: float = 0.0
    _since: float = 0.0

    @property
    def known(self) -> bool:
        return self._total is not None and self._stamp - self._since >= self.settle

    def observe(self, admitted_total: int, now: float, *, line: bool = True) -> float:
        if not line:  # nobody waiting: nothing to learn about the line's speed
            self._total, self.rate = None, 0.0
            return self.rate
        if self._total is None:
            self._total, self._stamp, self._since = admitted_total, now, now
            return self.rate
        elapsed = now - self._stamp
        if elapsed <= 0:
            return self.rate
        instant = max(0, admitted_total - self._total) / elapsed
        alpha = 1 - math.exp(-elapsed / self.span)
        self.rate = instant if self.rate == 0 else self.rate + alpha * (instant - self.rate)
        self._total, self._stamp = admitted_total, now
        return self.rate


def estimated_wait(position: int, outflow: float, configured_rate: float) -> float | None:
    """Seconds until admission for someone with ``position`` people ahead, or None when the
    line's speed is not known (``outflow`` 0) and nothing honest can be promised."""
    speed = min(outflow, configured_rate) * PESSIMISM
    if speed <= 0:
        return None
    return (position + 1) / speed


def promised_time(now: int, wait: float | None, previous_due: int) -> int:
    """The admission time to show: the new estimate, unless it is only a little later than
    the one shown before (noise), in which case the earlier promise stands."""
    if wait is None:
        return previous_due
    due = now + math.ceil(wait)
    if previous_due and previous_due < due:
        remaining = max(1, previous_due - now)
        if due - now <= remaining * (1 + RISE_SLACK):
            return max(previous_due, now)
    return due


def poll_interval(base: float, rng: random.Random, wait: float | None = None) -> int:
    """Seconds until the next poll: about ``base``, jittered ±25 % so that pages loaded
    together do not come back together, sooner when admission is imminent."""
    interval = base
    if wait is not None:
        interval = min(interval, max(2.0, wait / 2))
    return max(1, round(interval * rng.uniform(0.75, 1.25)))


def retry_after(rng: random.Random, low: int = 5, high: int = 20) -> int:
    """Seconds to tell a shed client to wait: spread so retries do not arrive in a wave."""
    return rng.randint(low, high)
