"""In-process shared state: the embedded default, and the fallback when Redis is down."""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence

from northgate.edge.gate.backend import Outcome, PollRequest, PollResult, Snapshot
from northgate.edge.gate.rate import TokenBucket
from northgate.edge.gate.tickets import TicketQueue

SWEEP_BUDGET = 10_000


class MemoryBackend:
    name = "memory"

    def __init__(self) -> None:
        self._new_generation()
        self.active: dict[str, float] = {}  # jti -> expires_at: places held by passes
        self.in_requests: dict[str, float] = {}  # jti -> bound: places held by requests
        self.revoked: dict[str, float] = {}  # jti -> revoked_at
        self.overrides: dict[str, str] = {}
        self.admitted_total = 0
        self._bucket: TokenBucket | None = None
        self._shares: dict[str, tuple[float, float]] = {}
        self._expired_at = 0.0

    def _new_generation(self) -> None:
        self.gen = "m" + secrets.token_hex(3)
        self.queue = TicketQueue(abandon_after=60.0)

    def _expire(self, now: float) -> None:
        if now - self._expired_at < 1.0:
            return
        self._expired_at = now
        if self.active and min(self.active.values()) <= now:
            self.active = {jti: exp for jti, exp in self.active.items() if exp > now}
        if self.in_requests and min(self.in_requests.values()) <= now:
            self.in_requests = {jti: exp for jti, exp in self.in_requests.items() if exp > now}

    def _held(self) -> int:
        return len(self.active) + len(self.in_requests)

    async def poll(self, request: PollRequest) -> PollResult:
        now, queue = request.now, self.queue
        queue.abandon_after = request.abandon_after
        bucket = self._bucket
        if bucket is None:
            bucket = self._bucket = TokenBucket(request.rate, request.capacity, stamp=now)
        bucket.configure(request.rate, request.capacity)
        tokens = bucket.refill(now)
        if queue.opened_at is None:
            if request.opens_at and now < request.opens_at:
                valid = request.pre and request.gen == self.gen
                if valid and 1 <= request.ticket <= queue.prequeued:
                    ticket = request.ticket
                else:
                    ticket = queue.prejoin()
                p = queue.prequeued
                return PollResult(Outcome.PREQUEUED, self.gen, ticket, ticket - 1, p, p)
            queue.open(now)
        if request.pre:
            if request.gen == self.gen and 1 <= request.ticket <= queue.prequeued:
                return PollResult(
                    Outcome.REMAP, self.gen, request.ticket, 0, queue.live, queue.prequeued
                )
            request = _without_ticket(request)
        self._expire(now)
        queue.sweep(now, budget=64)
        budget = min(int(tokens), request.max_active - self._held())
        place = None
        if request.ticket and request.gen == self.gen:
            place = queue.touch(request.ticket, now)
        if place is None:
            if queue.live == 0 and budget >= 1 and request.allow:
                self._admit(request, bucket, None)
                return PollResult(Outcome.ADMITTED, self.gen, 0, 0, 0, queue.prequeued)
            place = queue.join(now)
        eligible = place.position < budget
        if eligible and request.allow:
            self._admit(request, bucket, place.ticket)
            outcome = Outcome.ADMITTED
        else:
            outcome = Outcome.WAITING
        return PollResult(
            outcome, self.gen, place.ticket, place.position, queue.live, queue.prequeued,
            eligible and not request.allow,
        )  # fmt: skip

    def _admit(self, request: PollRequest, bucket: TokenBucket, ticket: int | None) -> None:
        bucket.tokens -= 1
        places = self.active if request.held else self.in_requests
        places[request.jti] = request.pass_expires
        self.admitted_total += 1
        if ticket is not None:
            self.queue.leave(ticket)

    async def renew(self, passes: Sequence[tuple[str, float]]) -> None:
        for jti, expires in passes:
            if jti in self.active and self.active[jti] < expires:
                self.active[jti] = expires

    async def release(self, jti: str) -> None:
        self.in_requests.pop(jti, None)

    async def claim(self, jti: str, expires: float) -> bool:
        self.in_requests.pop(jti, None)
        if jti in self.revoked:
            return False
        self.active[jti] = max(expires, self.active.get(jti, 0.0))
        return True

    async def revoke(self, jti: str, now: float, keep: float) -> None:
        self.active.pop(jti, None)
        self.in_requests.pop(jti, None)
        self.revoked[jti] = now
        if len(self.revoked) > 1024:
            self.revoked = {j: at for j, at in self.revoked.items() if at > now - keep}

    async def snapshot(
        self, now: float, node: str, share: float, revoked_since: float, abandon_after: float
    ) -> Snapshot:
        self.queue.abandon_after = abandon_after
        self.queue.sweep(now, SWEEP_BUDGET)
        self._expire(now)
        self._shares[node] = (share, now)
        self._shares = {n: (s, at) for n, (s, at) in self._shares.items() if now - at < 5}
        return Snapshot(
            waiting=self.queue.live,
            active=len(self.active),
            admitted_total=self.admitted_total,
            head=self.queue.head,
            tail=self.queue.tail,
            min_share=min(s for s, _ in self._shares.values()),
            revoked=[(j, at) for j, at in self.revoked.items() if at >= revoked_since],
            overrides=dict(self.overrides),
            gen=self.gen,
            prequeued=self.queue.prequeued,
            opened=self.queue.opened_at is not None,
            nodes=len(self._shares),
            in_requests=len(self.in_requests),
        )

    async def set_overrides(self, values: Mapping[str, str]) -> None:
        self.overrides.update(values)

    async def reset(self) -> None:
        self._new_generation()

    async def close(self) -> None:
        return None


def _without_ticket(request: PollRequest) -> PollRequest:
    return request._replace(ticket=0, pre=False)
