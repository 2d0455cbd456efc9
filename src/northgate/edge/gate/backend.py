"""What the gate needs from shared state, and the records it exchanges with it.

Two implementations: :mod:`.memory` (one process, the embedded default) and
:mod:`.redis_backend` (several processes or hosts; every state change one atomic Lua
script). :mod:`.fallback` puts the first behind the second when Redis is unreachable.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple, Protocol


class Outcome(enum.IntEnum):
    ADMITTED = 1
    WAITING = 2
    PREQUEUED = 3
    REMAP = 4  # a pre-ticket after opening: the gate maps it to its shuffled place


# Records built on every gate decision are NamedTuples: a frozen dataclass of a dozen fields
# took 2.6 us to build (one object.__setattr__ per field), a tenth of a waiting-room answer.
class PollRequest(NamedTuple):
    now: float  # Unix seconds
    ticket: int  # 0: no place yet
    gen: str  # the queue generation the ticket belongs to
    pre: bool  # the ticket is a pre-queue ticket
    jti: str  # the pass to record if admitted
    pass_expires: float
    allow: bool  # this node has room for one more visitor's work
    rate: float  # admissions per second
    capacity: float  # bucket size
    max_active: int
    abandon_after: float
    opens_at: float  # 0: open
    # The visitor showed it keeps cookies: if admitted, its pass holds a place until
    # ``pass_expires``. Otherwise the place is held by the request (see ``release``), and
    # ``pass_expires`` only bounds it in case the release never comes (a node killed).
    held: bool = True


class PollResult(NamedTuple):
    outcome: Outcome
    gen: str
    ticket: int
    position: int
    waiting: int
    prequeued: int
    # The visitor's turn has come (a token and room for one more active visitor), but
    # ``allow`` was false: it may be admitted as soon as this node has a slot.
    eligible: bool = False


@dataclass(frozen=True)
class Snapshot:
    waiting: int
    active: int  # places held by passes
    admitted_total: int
    head: int
    tail: int
    min_share: float
    revoked: Sequence[tuple[str, float]] = ()  # (jti, revoked_at) since the last snapshot
    overrides: Mapping[str, str] = field(default_factory=dict)  # limits set at run time
    gen: str = ""
    prequeued: int = 0
    opened: bool = False
    # Gate instances (one per application process, on every host) that ticked within the
    # last few seconds, this one included: what a node's share is while Redis is down.
    nodes: int = 1
    in_requests: int = 0  # places held by requests of unheld passes, until they end


class Backend(Protocol):
    @property
    def name(self) -> str: ...

    async def poll(self, request: PollRequest) -> PollResult: ...

    async def renew(self, passes: Sequence[tuple[str, float]]) -> None:
        """Push the expiry of active passes (jti, expires_at) after sliding renewal."""

    async def revoke(self, jti: str, now: float, keep: float) -> None:
        """End a pass early: free its place and refuse the jti for ``keep`` seconds."""

    async def release(self, jti: str) -> None:
        """The request that admitted an unheld pass has ended: free the place it held."""

    async def claim(self, jti: str, expires: float) -> bool:
        """An unheld pass came back: hold its place until ``expires``. False when the pass
        was revoked meanwhile (nothing is held then)."""

    async def snapshot(
        self, now: float, node: str, share: float, revoked_since: float, abandon_after: float
    ) -> Snapshot: ...

    async def set_overrides(self, values: Mapping[str, str]) -> None: ...

    async def reset(self) -> None:
        """Empty the line (a new generation: old tickets are void). Passes stay valid."""

    async def close(self) -> None: ...
