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
    admitted work was refused (``shed``: shed, or CRITICAL let in over the limit after
    waiting too long, or more admitted requests waiting for a slot than the node has:
    ``ConcurrencyGuard.congested``). Multiplicative decrease then, proportional increase
    when there is room,
    so the outflow of the line follows the learned capacity and climbs back when load drops
    (never stuck at the floor share).

    A node that is full but serves everything it admitted *holds* the share. Being at the
    concurrency limit is the normal state under overload, and admissions already need a free
    slot (``GateCore.admit``), so a full node admits no more anyway. Backing off for fullness
    alone (as this did before) took the rate down by 30 % a second to the floor share while
    the node was healthy, and the line then moved at 2 % of the rate: the overload benchmark
    saw goodput fall to a few per cent of capacity at 10x and 20x.
    """

    share: float = 1.0
    floor: float = 0.02
    step: float = 0.1  # growth per second when there is room: a share of the share
    backoff: float = 0.7
    low: float = 0.6  # utilisation of the limit below which admissions may speed up
    # Grow while full too, as long as nothing is refused and nothing waits long for a slot
    # (the gate's tick sets this when the nginx edge keeps the line). At the edge the rate
    # is the only throttle, and on a node at a limit of one every second with a request
    # in it looks full: holding there kept the rate at whatever the last cut left
    # (bench.edge: 1 journey/s done at 5x, admitted p99 2.4 x unloaded, the node idle).
    probe_when_full: bool = False

    def cap(self, share: float) -> None:
        """At most ``share`` (at least the floor): a measured bound, applied before update."""
        self.share = max(self.floor, min(self.share, share))

    def update(self, utilisation: float, shed: int, waiting: int) -> float:
        if shed > 0:
            self.share = max(self.floor, self.share * self.backoff)
        elif utilisation < self.low or waiting == 0 or self.probe_when_full:
            # Proportional growth (at least the floor a step): an additive 5 % of the
            # operator's ceiling was, on a ceiling far above the node, a jump of several
            # times its capacity in one second.
            self.share = min(1.0, self.share + max(self.floor, self.share * self.step))
        return self.share


# The slowest the line may be slowed to, in admissions per second: the operator's rate is
# a ceiling, often far above one node (1000/s against ~5 whole journeys/s measured by
# bench.edge), and 2 % of it can still be several times what the nodes serve.
MIN_RATE_PER_SECOND = 1.0


def floor_share(rate_per_second: float, default: float = 0.02) -> float:
    """The governor's floor for an operator rate: 2 %, or 1 admission/s if that is less."""
    return min(default, MIN_RATE_PER_SECOND / max(rate_per_second, MIN_RATE_PER_SECOND))
