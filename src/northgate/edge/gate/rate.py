"""How fast the line moves: a token bucket for admissions, and in adaptive mode a governor
that sets the bucket's rate from the concurrency limit. Pure code."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class TokenBucket:
    """``rate`` tokens per second, holding at most ``capacity``; starts full."""

    rate: float
    capacity: float
    tokens: float = -1.0
    stamp: float = 0.0

    def __post_init__(self) -> None:
        if self.tokens < 0:
            self.tokens = self.capacity

    def refill(self, now: float) -> float:
        if now > self.stamp:
            self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        return self.tokens

    def take(self, now: float) -> bool:
        if self.refill(now) >= 1:
            self.tokens -= 1
            return True
        return False

    def configure(self, rate: float, capacity: float) -> None:
        self.rate, self.capacity = rate, capacity
        self.tokens = min(self.tokens, capacity)


def bucket_capacity(rate_per_second: float, poll_seconds: float) -> float:
    """Admissions are granted when waiters poll, so the bucket holds two polls' worth (the
    interval is jittered up to +25 %, and requests take time): a smaller bucket would let
    tokens overflow while the head of the line is between polls, and the line would move
    slower than the rate. The price: after an idle spell, that many may enter at once."""
    return max(1.0, rate_per_second * poll_seconds * 2)


@dataclass
class RateGovernor:
    """Adaptive mode: the share (0..1] of the configured admission rate to use.

    Once a second it looks at this node: how full the concurrency limit was, and whether
    work was shed. Multiplicative decrease when the node is at its limit or shedding,
    additive increase when there is room and people are waiting, so the outflow of the
    line follows the learned capacity and climbs back when load drops (never stuck at the
    floor share).
    """

    share: float = 1.0
    floor: float = 0.02
    step: float = 0.05
    backoff: float = 0.7
    high: float = 0.9  # utilisation of the limit above which admissions slow down
    low: float = 0.6  # below which they may speed up

    def update(self, utilisation: float, shed: int, waiting: int) -> float:
        if shed > 0 or utilisation >= self.high:
            self.share = max(self.floor, self.share * self.backoff)
        elif (utilisation < self.low and waiting > 0) or (waiting == 0 and utilisation < self.low):
            self.share = min(1.0, self.share + self.step)
        return self.share
