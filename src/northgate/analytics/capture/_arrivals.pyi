# The compiled counter (_arrivals.c); northgate/analytics/capture/arrivals.py is its specification.
from collections.abc import Iterator
from typing import Any, final

from northgate.analytics.capture.arrivals import RawKey

class Arrivals:
    def __init__(
        self, *, wants_forwarded_for: bool, outcome_hint: str, section_hint: str
    ) -> None: ...
    def arrive(
        self, started: float, scope: Any, status: int, retry_after: bool, state: Any
    ) -> None: ...
    def swap(self) -> Round: ...
    def pending(self) -> int: ...
    def __len__(self) -> int: ...

@final
class Round(Iterator[tuple[RawKey, int]]):
    """One swap's arrivals, read once; made only by Arrivals.swap."""

    def __next__(self) -> tuple[RawKey, int]: ...
