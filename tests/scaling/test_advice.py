"""How many nodes a peak needs: the interface the forecaster calls."""

from __future__ import annotations

import pytest

from northgate.scaling.advice import nodes_needed, utilisation


def test_2016_three_servers_were_too_few_for_twelve_times_the_traffic() -> None:
    # A node sustains 100 arrivals/s; usual traffic 150/s: 2 nodes at 80 %.
    assert nodes_needed(150, 100) == 2
    # Twelve times that, each node kept at 80 %.
    assert nodes_needed(12 * 150, 100) == 23


@pytest.mark.parametrize(
    ("peak", "capacity", "headroom", "nodes"),
    [
        (0, 100, 0.2, 1),  # never zero: the upstream needs a node
        (80, 100, 0.2, 1),  # exactly 80 %: one node
        (80.01, 100, 0.2, 2),
        (8, 10, 0.2, 1),  # 0.8 * 10 is 8.000000000000002 in floating point
        (300, 100, 0.0, 3),
        (301, 100, 0.0, 4),
        (100, 100, 0.5, 2),
    ],
)
def test_nodes_needed(peak: float, capacity: float, headroom: float, nodes: int) -> None:
    assert nodes_needed(peak, capacity, headroom) == nodes


@pytest.mark.parametrize(
    ("peak", "capacity", "headroom"),
    [(10, 0, 0.2), (10, -1, 0.2), (10, 100, 1.0), (10, 100, -0.1), (-1, 100, 0.2)],
)
def test_nonsense_is_refused(peak: float, capacity: float, headroom: float) -> None:
    with pytest.raises(ValueError):
        nodes_needed(peak, capacity, headroom)


def test_utilisation() -> None:
    assert utilisation(150, 100, 2) == pytest.approx(0.75)
