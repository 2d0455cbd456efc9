"""The gate's decisions, below ASGI: check a pass, place or admit a visitor, end a pass,
and once a second bring the node's view of the shared state up to date."""

from __future__ import annotations

import dataclasses
import logging
import random
import secrets
from collections.abc import Callable
from typing import NamedTuple

from redis.exceptions import RedisError

from northgate.core.clock import UnixClock, unix_now
from northgate.core.periodic import Periodic
from northgate.core.signing import Purpose, derive_key, hmac_sha256
from northgate.edge.gate.backend import Backend, Outcome, PollRequest, Snapshot
from northgate.edge.gate.concurrency import ConcurrencyGuard
from northgate.edge.gate.config import GateLimits, InvalidLimits, stored
from northgate.edge.gate.edge_state import EdgeLine
from northgate.edge.gate.estimate import Outflow, estimated_wait, poll_interval, promised_time
from northgate.edge.gate.fallback import FallbackBackend
from northgate.edge.gate.limiter import GradientLimit
from northgate.edge.gate.metrics import GateMetrics
from northgate.edge.gate.passes import Pass, PassProblem, PassRefused, PassSigner, new_jti
from northgate.edge.gate.places import Place, PlaceRefused, PlaceSigner
from northgate.edge.gate.rate import RateGovernor, bucket_capacity, floor_share
from northgate.edge.gate.redis_backend import RedisBackend
from northgate.edge.gate.routes import RequestClass
from northgate.edge.gate.shuffle import permute
from northgate.edge.gate.visitor import Visitor, VisitorCodec, new_visitor

log = logging.getLogger(__name__)
_REDIS_ERRORS = (RedisError, OSError, TimeoutError)
TICK_SECONDS = 1.0
PRE = "p"  # suffix of the generation of a pre-queue ticket
# Longest a request may hold the place of an unheld pass (its end releases it sooner): the
# bound for a node that dies mid-request. Requests are answered within seconds.
REQUEST_HOLD = 60.0


class Admission(NamedTuple):
    """The answer to a visitor without a pass: admitted (with a pass) or told to wait."""

    admitted: bool
    visitor: Visitor
    token: str | None = None
    issued: Pass | None = None
    position: int = 0
    waiting: int = 0
    wait: float | None = None  # seconds, estimated
    due: int = 0  # Unix seconds, the admission time shown
    retry: int = 20  # seconds until the next poll
    prequeue: bool = False
    opens_at: float = 0.0
    # In flight when a concurrency slot was taken for this request while admitting it (the
    # request runs in that slot), or None: the caller takes one.
    slot: int | None = None


class GateCore:
    def __init__(
        self,
        limits: GateLimits,
        backend: Backend,
        *,
        key: bytes,
        event: str,
        pass_ttl: int,
        pass_cap: int,
        fallback_share: float | None = None,
        clock: UnixClock = unix_now,
        rng: random.Random | None = None,
    ) -> None:
        self.limits = limits
        self.backend = backend
        self.signer = PassSigner(key, event, ttl=pass_ttl, cap=pass_cap)
        self.visitors = VisitorCodec(key, event)
        self.places = PlaceSigner(key, event)
        # The line kept at the nginx edge, when the state is shared through Redis.
        self.edge: EdgeLine | None = _edge_line(backend)
        # One permutation per event, unknowable without the secret.
        self.shuffle_key = hmac_sha256(derive_key(key, Purpose.SHUFFLE), event.encode())
        self._fixed_fallback_share = fallback_share
        self.clock = clock
        self.rng = rng or random.Random()
        self.node = secrets.token_hex(4)
        self.limiter = GradientLimit(
            initial=max(limits.limit_floor, min(20, limits.limit_ceiling)),
            floor=limits.limit_floor,
            ceiling=limits.limit_ceiling,
        )
        self.guard = ConcurrencyGuard(self.limiter)
        self.governor = RateGovernor()
        self.outflow = Outflow()
        self.metrics = GateMetrics()
        self.global_share = 1.0
        self.snapshot: Snapshot | None = None
        self.revoked: dict[str, float] = {}  # jti -> when the entry may be forgotten
        self._revoked_since = 0.0
        self._renewals: dict[str, float] = {}
        self._shed_in_tick = 0
        # Passes ended (journeys finished) since the last tick, and their smoothed rate:
        # what this node actually completes, whatever the admission rate asks of it.
        self._ended_in_tick = 0
        self.completed_per_second = 0.0
        self._ticking = Periodic(
            self.tick, TICK_SECONDS, name="gate-tick", log=log, failure="gate tick failed"
        )
        # True while a dependency the journey needs is down (the application sets it):
        # capacity lost, so nobody new is admitted; the line keeps its places.
        self.paused: Callable[[], bool] = lambda: False

    # ----------------------------------------------------------------- passes

    def check_pass(self, token: str, now: float) -> Pass | PassProblem:
        try:
            admitted = self.signer.verify(token, int(now))
        except PassRefused as refused:
            self.metrics.count(f"pass_refused.{refused.problem.value}")
            return refused.problem
        if admitted.jti in self.revoked:
            self.metrics.count("pass_refused.revoked")
            return PassProblem.REVOKED
        return admitted

    def renew(self, current: Pass, now: float) -> str | None:
        """A re-signed pass to send back when the current one is half used, else None."""
        renewed = self.signer.renewal(current, int(now))
        if renewed is None:
            return None
        self._renewals[renewed.jti] = renewed.expires_at
        return self.signer.sign(renewed)

    async def claim(self, current: Pass) -> str | None:
        """An unheld pass came back: the client keeps cookies, so its place is held from
        now on. The held pass to send back, or None when it was revoked meanwhile."""
        if not await self.backend.claim(current.jti, float(current.expires_at)):
            self.metrics.count("pass_refused.revoked")
            return None
        self.metrics.count("passes_claimed")
        return self.signer.sign(dataclasses.replace(current, held=True))

    async def release(self, admission: Admission) -> None:
        """The request that admitted an unheld pass has ended: its place is free again."""
        if admission.issued is not None and not admission.issued.held:
            await self.backend.release(admission.issued.jti)

    async def revoke(self, jti: str) -> None:
        """End a pass now (the application was submitted): free its place, refuse replays."""
        now = self.clock()
        self.revoked[jti] = now + self.signer.cap
        self._renewals.pop(jti, None)
        self._ended_in_tick += 1
        self.metrics.count("passes_revoked")
        await self.backend.revoke(jti, now, self.signer.cap)

    # ----------------------------------------------------------------- admission

    @property
    def degraded(self) -> bool:
        return isinstance(self.backend, FallbackBackend) and self.backend.degraded

    @property
    def fallback_share(self) -> float:
        """The share of the limits this instance keeps to while Redis is unreachable: the
        operator's NORTHGATE_GATE_FALLBACK_SHARE if set, else 1 / the live instances."""
        if self._fixed_fallback_share is not None:
            return self._fixed_fallback_share
        return self.backend.share if isinstance(self.backend, FallbackBackend) else 1.0

    def rate(self) -> float:
        """Admissions per second this node asks the backend for."""
        rate = self.limits.admissions_per_minute / 60.0
        if self.limits.mode == "adaptive":
            rate *= min(self.global_share, self.governor.share)
        if self.degraded:
            rate *= self.fallback_share
        return max(rate, 1e-3)

    async def admit(self, visitor: Visitor | None, now: float) -> Admission:
        """Admit the visitor (with a pass) or tell it to wait.

        Fixed mode admits by the two limits alone. Adaptive mode admits only into a free
        concurrency slot on this node. A visitor whose turn has come (a token, room among
        the active) but who finds no free slot waits here briefly for one, if nobody else
        is waiting for it already, and runs in it: without that, a node at a limit of one
        idled between polls and turned away half the visitors at 1x load. An admitted
        request is never refused afterwards.

        Known limit: with the operator's rate far above what the node serves, the token
        budget covers most of the line, so the order among those is whoever asks when a
        slot frees, not strict FIFO. Admitting only the first few places was tried and
        starved the node: under a surge those places are taken within a fraction of a
        second, and as polls come at whole seconds (Retry-After), their holders are only
        ever present in that same fraction of each second.
        """
        # A client that sent our visitor cookie (or header) back keeps what it is given, and
        # will come back with its pass: its place is held. One that sent nothing (an API
        # script, a bot, a first visit) may never come back: its place is held only by the
        # request (see ``release``), and taken for good when the pass returns (``claim``).
        held = visitor is not None
        visitor = visitor or new_visitor()
        limits = self.limits
        rate = self.rate()
        max_active = limits.max_active
        if self.degraded:
            max_active = max(1, int(max_active * self.fallback_share))
        paused = self.paused()
        allow = not paused and (limits.mode == "fixed" or self.guard.has_free_slot())
        # Under overload most calls end in the waiting room: mint the pass only on admission,
        # and draw its jti only when this node has room (no backend admits without).
        jti = new_jti() if allow else ""
        issued_at = int(now)
        pre = visitor.gen.endswith(PRE)
        request = PollRequest(
            now=now,
            ticket=visitor.ticket,
            gen=visitor.gen.removesuffix(PRE) if pre else visitor.gen,
            pre=pre,
            jti=jti,
            pass_expires=float(self.signer.expires_at(issued_at) if held else now + REQUEST_HOLD),
            allow=allow,
            rate=rate,
            capacity=bucket_capacity(rate, limits.poll_seconds),
            max_active=max_active,
            abandon_after=limits.abandon_after,
            opens_at=limits.opens_at,
            held=held,
        )
        result = await self.backend.poll(request)
        if result.outcome == Outcome.REMAP:
            ticket = 1 + permute(self.shuffle_key, result.ticket - 1, result.prequeued)
            self.metrics.count("prequeue_placed")
            request = request._replace(ticket=ticket, pre=False)
            result = await self.backend.poll(request)
        slot = None
        if (
            result.outcome == Outcome.WAITING
            and result.eligible
            and not paused
            and self.guard.may_wait()
        ):
            # Its turn, but no free slot this instant: wait briefly for one, as a request
            # over the limit would, rather than send the visitor away for seconds.
            slot = await self.guard.acquire(RequestClass.DEFAULT)
            if slot is not None:
                request = request._replace(
                    now=self.clock(), ticket=result.ticket, gen=result.gen, pre=False,
                    jti=new_jti(), allow=True,
                )  # fmt: skip
                result = await self.backend.poll(request)
                if result.outcome != Outcome.ADMITTED:
                    self.guard.give_back()
                    slot = None
        if result.outcome == Outcome.ADMITTED:
            issued = self.signer.issue(visitor.id, issued_at, request.jti, held=held)
            self.metrics.count("admitted")
            if not held:
                self.metrics.count("admitted_unheld")
            if visitor.joined:
                self.metrics.wait_seconds.observe(max(0.0, now - visitor.joined))
            return Admission(
                True, visitor.unplaced(), self.signer.sign(issued), issued,
                waiting=result.waiting, slot=slot,
            )  # fmt: skip
        if result.outcome == Outcome.PREQUEUED:
            self.metrics.count("prequeued")
            placed = visitor.placed(result.gen + PRE, result.ticket, 0, int(now))
            retry = poll_interval(limits.poll_seconds, self.rng)
            return Admission(
                False, placed, position=result.position, waiting=result.waiting, retry=retry,
                prequeue=True, opens_at=limits.opens_at,
            )  # fmt: skip
        self.metrics.count("queued")
        same_place = result.gen == visitor.gen and result.ticket == visitor.ticket
        outflow = self.outflow.rate if self.outflow.known else 0.0
        wait = estimated_wait(result.position, outflow, rate)
        due = promised_time(int(now), wait, visitor.due if same_place else 0)
        joined = visitor.joined if same_place and visitor.joined else int(now)
        placed = visitor.placed(result.gen, result.ticket, due, joined)
        return Admission(
            False, placed, position=result.position, waiting=result.waiting,
            wait=max(0.0, due - now) if due else wait, due=due,
            retry=poll_interval(limits.poll_seconds, self.rng, wait),
        )  # fmt: skip

    def check_place(self, token: str, now: float) -> Place | None:
        try:
            return self.places.verify(token, int(now))
        except PlaceRefused as refused:
            self.metrics.count(f"place_refused.{refused.problem.value}")
            return None

    async def admit_place(
        self, place: Place, visitor: Visitor | None, now: float
    ) -> Admission | None:
        """Admit the holder of a place the nginx edge handed out, if its turn has come by
        the state Python published (the edge forwards it only then; this is the check).
        None: not its turn, a place already used, or Redis unreachable; the caller then
        treats the visitor as one without a place (with Redis down: the in-process
        fallback's limits, this node's share of the rate, the conservative choice)."""
        if self.edge is None or self.paused():
            return None
        jti = new_jti()
        issued_at = int(now)
        try:
            admitted = await self.edge.admit(
                place.gen, place.ticket, jti, float(self.signer.expires_at(issued_at))
            )
        except _REDIS_ERRORS:
            self.metrics.count("place_unchecked_redis_down")
            return None
        if admitted != 1:
            self.metrics.count("place_reused" if admitted < 0 else "place_early")
            return None
        visitor = visitor or new_visitor()
        issued = self.signer.issue(visitor.id, issued_at, jti)
        self.metrics.count("admitted")
        self.metrics.count("admitted_from_edge")
        self.metrics.wait_seconds.observe(max(0.0, now - place.issued_at))
        return Admission(True, visitor.unplaced(), self.signer.sign(issued), issued)

    def count_shed(self, klass_name: str) -> None:
        self._shed_in_tick += 1
        self.metrics.count(f"shed.{klass_name}")

    # ----------------------------------------------------------------- tick

    def ensure_started(self) -> None:
        self._ticking.start()

    async def stop(self) -> None:
        await self._ticking.stop()
        await self.backend.close()

    async def tick(self) -> None:
        now = self.clock()
        renewals, self._renewals = list(self._renewals.items()), {}
        if renewals:
            await self.backend.renew(renewals)
        guard = self.guard
        utilisation = guard.peak_in_flight / max(1, guard.limit)
        guard.peak_in_flight = guard.in_flight
        shed, self._shed_in_tick = self._shed_in_tick, 0
        forced, guard.forced = guard.forced, 0
        # Admitted work piling up for slots counts as refused work: at the nginx edge the
        # line moves by the rate alone, and nothing else would slow it before CRITICAL
        # requests had waited `critical_wait` (bench.edge: goodput 1 % at 5x without it).
        congested = guard.congested()
        guard.slow_waits = 0
        # Waiting: in the node's own line, and at the edges (they keep the line there, and
        # the node's own line is then empty: "nobody waits" would speed admissions up).
        waiting = self.snapshot.waiting if self.snapshot else 0
        if self.edge is not None and self.edge.turn is not None:
            waiting += self.edge.turn.waiting
        ended, self._ended_in_tick = self._ended_in_tick, 0
        self.completed_per_second += 0.3 * (ended / TICK_SECONDS - self.completed_per_second)
        ceiling = self.limits.admissions_per_minute / 60.0
        self.governor.floor = floor_share(ceiling)
        self.governor.probe_when_full = self.edge is not None
        if congested and self.completed_per_second > 0:
            # Admitted work is piling up: admit at most twice as fast as journeys are being
            # finished (room to find out whether more would fit; 1.2 x kept a line at
            # 0.8x). Backing off by 30 % a second from a ceiling far above the node took
            # ~15 s and let in minutes of backlog (bench.edge: 178 in flight, limit 1).
            self.governor.cap(2.0 * self.completed_per_second / ceiling)
        share = self.governor.update(utilisation, shed + forced + int(congested), waiting)
        snapshot = await self.backend.snapshot(
            now, self.node, share, self._revoked_since, self.limits.abandon_after
        )
        self.snapshot = snapshot
        self.global_share = snapshot.min_share
        for jti, revoked_at in snapshot.revoked:
            self.revoked[jti] = revoked_at + self.signer.cap
            self._revoked_since = max(self._revoked_since, revoked_at - 2.0)
        if len(self.revoked) > 1000:
            self.revoked = {jti: until for jti, until in self.revoked.items() if until > now}
        if snapshot.overrides:
            try:
                self.limits = self.limits.updated(snapshot.overrides)
            except InvalidLimits as error:
                log.warning("gate: ignoring stored limits: %s", error)
        self.limiter.bounds(self.limits.limit_floor, self.limits.limit_ceiling)
        self.outflow.observe(snapshot.admitted_total, now, line=snapshot.waiting > 0)
        if self.edge is not None and not self.degraded:
            limits = self.limits
            rate = self.rate() if limits.enabled else 1e9
            try:
                await self.edge.publish(
                    now, rate=rate, cap=bucket_capacity(rate, limits.poll_seconds),
                    max_active=limits.max_active if limits.enabled else 1 << 30,
                    poll=limits.poll_seconds, behind=congested or forced > 0,
                )  # fmt: skip
            except _REDIS_ERRORS:
                log.warning("gate: could not publish the edge line's state", exc_info=True)
        self.metrics.gauges.update(
            {
                "waiting": snapshot.waiting,
                "active": snapshot.active,
                # Places among max_active, and what holds them: passes that came back (or
                # were given to clients that keep cookies), and requests still running
                # for clients that have not shown they keep them.
                "places_held": snapshot.active + snapshot.in_requests,
                "places_held_by_passes": snapshot.active,
                "places_held_by_requests": snapshot.in_requests,
                "admitted_total": snapshot.admitted_total,
                "outflow_per_second": round(self.outflow.rate, 3),
                "concurrency_limit": self.limiter.limit,
                "in_flight": guard.in_flight,
                "latency_baseline_ms": round(self.limiter.baseline * 1000, 3),
                "admission_rate_per_second": round(self.rate(), 3),
                "adaptive_share": round(share, 3),
                "completed_per_second": round(self.completed_per_second, 3),
                "global_share": round(self.global_share, 3),
                "backend_degraded": int(self.degraded),
                "fallback_share": round(self.fallback_share, 3),
                "admissions_paused": int(self.paused()),
            }
        )

    async def set_limits(self, values: dict[str, object]) -> GateLimits:
        """Apply and share new limits (validated first); every node picks them up."""
        updated = self.limits.updated(values)
        await self.backend.set_overrides(stored(values))
        self.limits = updated
        self.limiter.bounds(updated.limit_floor, updated.limit_ceiling)
        return updated


def _edge_line(backend: Backend) -> EdgeLine | None:
    """The edge line over the Redis the backend uses, or None on the embedded default."""
    primary = backend.primary if isinstance(backend, FallbackBackend) else backend
    if isinstance(primary, RedisBackend):
        return EdgeLine(primary.redis, primary.event, primary.keys)
    return None
