"""How many application nodes a forecast peak needs: plain arithmetic, no I/O.

The interface the forecaster (northgate.capacity) calls: a peak in arrivals per second,
the capacity one node was measured to sustain, and the share of that capacity to keep
spare. 2016's alert fired at 80 % utilisation, so the default headroom is 0.2: at the
peak each node runs at most at 80 %, never at the cliff.
"""

from __future__ import annotations

import math

DEFAULT_HEADROOM = 0.2


def nodes_needed(peak: float, capacity_per_node: float, headroom: float = DEFAULT_HEADROOM) -> int:
    """The fewest nodes that serve ``peak`` arrivals/s with each node's ``headroom`` share
    of its ``capacity_per_node`` (arrivals/s) left spare; never fewer than one."""
    if capacity_per_node <= 0:
        raise ValueError("capacity_per_node must be positive (arrivals per second)")
    if not 0 <= headroom < 1:
        raise ValueError("headroom is the share of capacity kept spare: 0 <= headroom < 1")
    if peak < 0 or math.isnan(peak):
        raise ValueError("peak must be a number of arrivals per second, >= 0")
    usable = capacity_per_node * (1 - headroom)
    # A tiny tolerance, so that 0.8 * 10 = 8.000000000000002 arrivals/s is still one node.
    return max(1, math.ceil(peak / usable - 1e-9))


def utilisation(peak: float, capacity_per_node: float, nodes: int) -> float:
    """The share of the nodes' capacity ``peak`` would use (1.0 = saturated)."""
    return peak / (capacity_per_node * nodes)
