"""The circuit breaker in front of Redis (edge/gate/fallback.py), every transition, with an
injected clock and a stand-in for the Redis backend (pure code: what Redis does is tested
in test_live.py; here only when the breaker calls it and what it does with the answer).

closed --N consecutive errors--> open --cooldown--> half-open --probe ok--> closed
                                  ^                     |
                                  +-----probe fails-----+
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from typing import cast

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError

from northgate.edge.gate.backend import Outcome, PollRequest, PollResult, Snapshot
from northgate.edge.gate.fallback import FallbackBackend
from northgate.edge.gate.redis_backend import RedisBackend

COOLDOWN = 2.0
FAILURES = 3
NOW = 1_700_000_000.0
REMOTE = Snapshot(waiting=7, active=7, admitted_total=7, head=1, tail=7, min_share=1.0, gen="r")


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class StandIn:
    """Answers like the Redis backend, or fails like a Redis that is down."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.error: BaseException | None = None
        self.held: asyncio.Event | None = None  # set: calls wait for it (a slow Redis)
        self.entered = asyncio.Event()  # a call has reached it
        self.redis = self

    async def _answer(self, method: str) -> None:
        self.calls.append(method)
        self.entered.set()
        if self.held is not None:
            await self.held.wait()
        if self.error is not None:
            raise self.error

    async def poll(self, request: PollRequest) -> PollResult:
        await self._answer("poll")
        return PollResult(Outcome.WAITING, "r", 99, 98, 99, 0)

    async def renew(self, passes: Sequence[tuple[str, float]]) -> None:
        await self._answer("renew")

    async def revoke(self, jti: str, now: float, keep: float) -> None:
        await self._answer("revoke")

    async def snapshot(
        self, now: float, node: str, share: float, revoked_since: float, abandon_after: float
    ) -> Snapshot:
        await self._answer("snapshot")
        return REMOTE

    async def set_overrides(self, values: Mapping[str, str]) -> None:
        await self._answer("set_overrides")

    async def reset(self) -> None:
        await self._answer("reset")

    async def aclose(self) -> None:
        self.calls.append("aclose")


def _breaker(failures: int = FAILURES) -> tuple[FallbackBackend, StandIn, Clock]:
    redis, clock = StandIn(), Clock()
    breaker = FallbackBackend(
        cast(RedisBackend, redis), failures=failures, cooldown=COOLDOWN, clock=clock
    )
    return breaker, redis, clock


async def _from_redis(breaker: FallbackBackend) -> bool:
    """Ask once; True when Redis answered, False when the local backend did."""
    snapshot = await breaker.snapshot(NOW, "node-a", 1.0, 0.0, 60.0)
    return snapshot is REMOTE


def _down(redis: StandIn) -> None:
    redis.error = RedisConnectionError("Connection refused")


async def _trip(breaker: FallbackBackend, redis: StandIn) -> None:
    _down(redis)
    for _ in range(breaker.failures):
        assert not await _from_redis(breaker)
    assert breaker.degraded


async def test_closed_every_call_goes_to_redis() -> None:
    breaker, redis, _ = _breaker()
    for _ in range(5):
        assert await _from_redis(breaker)
    assert redis.calls == ["snapshot"] * 5
    assert (breaker.name, breaker.degraded, breaker.trips) == ("redis", False, 0)


@pytest.mark.parametrize("failures", [1, 2, 3, 5])
async def test_it_opens_after_exactly_n_consecutive_errors(failures: int) -> None:
    """Each error before the N-th is answered locally, and the next call tries Redis again."""
    breaker, redis, _ = _breaker(failures)
    _down(redis)
    for done in range(1, failures):
        assert not await _from_redis(breaker)
        assert len(redis.calls) == done  # Redis was asked every time
        assert (breaker.degraded, breaker.name, breaker.trips) == (False, "redis", 0)
    assert not await _from_redis(breaker)
    assert (breaker.degraded, breaker.name, breaker.trips) == (True, "memory-fallback", 1)


@pytest.mark.parametrize(
    "error", [RedisConnectionError("refused"), ConnectionResetError(), TimeoutError()]
)
async def test_every_kind_of_outage_counts(error: BaseException) -> None:
    breaker, redis, _ = _breaker(1)
    redis.error = error
    assert not await _from_redis(breaker)
    assert breaker.degraded


async def test_errors_separated_by_a_success_do_not_open_it() -> None:
    breaker, redis, _ = _breaker()
    for _ in range(3):
        _down(redis)
        for _ in range(FAILURES - 1):
            assert not await _from_redis(breaker)
        redis.error = None
        assert await _from_redis(breaker)
    assert (breaker.degraded, breaker.trips) == (False, 0)


async def test_open_calls_skip_redis_until_the_cooldown_is_over() -> None:
    breaker, redis, clock = _breaker()
    await _trip(breaker, redis)
    asked = len(redis.calls)
    redis.error = None  # back already, but nobody asks it yet: the circuit is open
    clock.now += COOLDOWN - 0.001
    for _ in range(5):
        assert not await _from_redis(breaker)
    request = PollRequest(NOW, 0, "", False, "jti-1", NOW + 600, True, 10.0, 10.0, 100, 60.0, 0.0)
    assert (await breaker.poll(request)).outcome == Outcome.ADMITTED  # the local line
    assert len(redis.calls) == asked
    assert breaker.name == "memory-fallback"


async def test_after_the_cooldown_one_probe_closes_it_when_redis_answers() -> None:
    breaker, redis, clock = _breaker()
    await _trip(breaker, redis)
    asked = len(redis.calls)
    redis.error = None
    clock.now += COOLDOWN
    assert await _from_redis(breaker)
    assert len(redis.calls) == asked + 1
    assert (breaker.degraded, breaker.name, breaker.trips) == (False, "redis", 1)
    # Closed again for good: the next outage needs N errors again, and counts as a new trip.
    _down(redis)
    for _ in range(FAILURES - 1):
        assert not await _from_redis(breaker)
    assert not breaker.degraded
    assert not await _from_redis(breaker)
    assert (breaker.degraded, breaker.trips) == (True, 2)


async def test_a_failed_probe_opens_it_for_another_cooldown() -> None:
    breaker, redis, clock = _breaker()
    await _trip(breaker, redis)
    asked = len(redis.calls)
    for _ in range(3):
        clock.now += COOLDOWN
        assert not await _from_redis(breaker)  # the probe: Redis still down
        assert len(redis.calls) == asked + 1
        asked += 1
        clock.now += COOLDOWN - 0.001
        assert not await _from_redis(breaker)  # open again: not asked
        assert len(redis.calls) == asked
    # Still the same outage: one trip, however many probes failed.
    assert (breaker.degraded, breaker.trips) == (True, 1)


async def test_half_open_sends_one_probe_however_many_calls_arrive() -> None:
    """A Redis that hangs must not receive every visitor's call after each cooldown: one
    call probes, the others are answered locally meanwhile."""
    breaker, redis, clock = _breaker()
    await _trip(breaker, redis)
    asked = len(redis.calls)
    redis.error = None
    redis.held = asyncio.Event()
    clock.now += COOLDOWN
    redis.entered.clear()
    probe = asyncio.create_task(_from_redis(breaker))
    await redis.entered.wait()
    others = [asyncio.create_task(_from_redis(breaker)) for _ in range(5)]
    for _ in range(10):
        await asyncio.sleep(0)
    asked_meanwhile = len(redis.calls) - asked
    redis.held.set()
    assert await asyncio.gather(*others) == [False] * 5
    assert asked_meanwhile == 1
    assert await probe
    assert not breaker.degraded
    assert await _from_redis(breaker)


async def test_a_cancelled_probe_lets_the_next_call_probe() -> None:
    breaker, redis, clock = _breaker()
    await _trip(breaker, redis)
    redis.error = None
    redis.held = asyncio.Event()
    clock.now += COOLDOWN
    probe = asyncio.create_task(_from_redis(breaker))
    await asyncio.sleep(0)
    probe.cancel()
    with pytest.raises(asyncio.CancelledError):
        await probe
    redis.held = None
    assert await _from_redis(breaker)
    assert not breaker.degraded


async def test_a_bug_is_not_an_outage() -> None:
    """Only connection trouble falls back: any other error is raised, and counts nothing."""
    breaker, redis, _ = _breaker(1)
    redis.error = ValueError("a bug")
    with pytest.raises(ValueError, match="a bug"):
        await _from_redis(breaker)
    assert (breaker.degraded, breaker.trips) == (False, 0)


async def test_writes_reach_the_local_backend_always_and_redis_when_it_is_up() -> None:
    breaker, redis, _ = _breaker()
    await breaker.set_overrides({"max_active": "5"})
    await breaker.revoke("jti-1", NOW, 60.0)
    await breaker.renew([("jti-2", NOW + 600)])
    assert redis.calls == ["set_overrides", "revoke", "renew"]
    await _trip(breaker, redis)
    asked = len(redis.calls)
    await breaker.set_overrides({"max_active": "6"})
    await breaker.revoke("jti-3", NOW, 60.0)
    await breaker.reset()
    assert len(redis.calls) == asked  # open: not sent
    local = await breaker.local.snapshot(NOW, "node-a", 1.0, 0.0, 60.0)
    assert local.overrides == {"max_active": "6"}
    assert {jti for jti, _ in local.revoked} == {"jti-1", "jti-3"}


async def test_it_says_once_when_it_trips_and_once_when_it_recovers(
    caplog: pytest.LogCaptureFixture,
) -> None:
    breaker, redis, clock = _breaker()
    with caplog.at_level(logging.WARNING, logger="northgate.edge.gate.fallback"):
        await _trip(breaker, redis)
        for _ in range(4):
            clock.now += COOLDOWN
            await _from_redis(breaker)
        redis.error = None
        clock.now += COOLDOWN
        await _from_redis(breaker)
        await _from_redis(breaker)
    messages = [record.getMessage() for record in caplog.records]
    assert len(messages) == 2, messages
    assert "unreachable" in messages[0] and "reachable again" in messages[1]


async def test_close_leaves_the_shared_redis_client_to_its_owner() -> None:
    breaker, redis, _ = _breaker()
    await breaker.close()
    assert "aclose" not in redis.calls
