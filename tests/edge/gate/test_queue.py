"""The line, on both backends: FIFO, abandonment, one place per visitor, the global rate,
the pre-queue shuffle."""

from __future__ import annotations

import random
import secrets
from collections.abc import AsyncIterator, Callable

import pytest

from northgate.edge.gate import build_core
from northgate.edge.gate.backend import Backend
from northgate.edge.gate.config import GateLimits
from northgate.edge.gate.core import GateCore
from northgate.edge.gate.memory import MemoryBackend
from northgate.edge.gate.redis_backend import RedisBackend
from northgate.edge.gate.shuffle import permute
from northgate.edge.gate.tickets import TicketQueue
from northgate.edge.gate.visitor import Visitor
from northgate.settings import Settings
from northgate.storage import shared
from tests.support.servers import RedisServer

KEY = b"q" * 32
T0 = 1_800_000_000.0


@pytest.fixture(params=["memory", "redis"])
async def backend(request: pytest.FixtureRequest) -> AsyncIterator[Backend]:
    if request.param == "memory":
        yield MemoryBackend()
        return
    server: RedisServer = request.getfixturevalue("redis_server")
    redis = shared.connect(server.url)
    yield RedisBackend(redis, "t" + secrets.token_hex(4))
    await redis.aclose()


def make_core(backend: Backend, **changes: object) -> GateCore:
    limits = GateLimits(
        enabled=True, mode="fixed", max_active=1000, admissions_per_minute=60, limit_floor=2,
        limit_ceiling=10, abandon_after=30.0, poll_seconds=1.0, opens_at=0.0,
    ).updated(changes)  # fmt: skip
    return GateCore(limits, backend, key=KEY, event="eta", pass_ttl=600, pass_cap=3600)


async def test_fifo_one_place_per_visitor_and_admission_in_order(backend: Backend) -> None:
    core = make_core(backend, poll_seconds=0.5)  # 1 admission per second, bucket of 1
    first = await core.admit(None, T0)
    assert first.admitted  # empty line, a token: straight in
    waiting: list[Visitor] = []
    for i in range(5):
        admission = await core.admit(None, T0 + 0.01 * i)
        assert not admission.admitted
        assert admission.position == i
        waiting.append(admission.visitor)
    # Refreshing (or another tab: same cookie) keeps the place, it does not add one.
    again = await core.admit(waiting[2], T0 + 0.1)
    assert (again.admitted, again.position, again.waiting) == (False, 2, 5)
    assert again.visitor.ticket == waiting[2].ticket
    # One token a second: whoever polls, the head of the line goes first.
    order = []
    now = T0 + 0.2
    for _ in range(30):
        now += 0.25
        for index, visitor in enumerate(waiting):
            if index in order:
                continue
            result = await core.admit(visitor, now)
            waiting[index] = result.visitor
            if result.admitted:
                order.append(index)
    assert order == [0, 1, 2, 3, 4]


async def test_abandoned_places_do_not_stall_the_line(backend: Backend) -> None:
    core = make_core(backend, abandon_after=5.0, poll_seconds=0.5)
    assert (await core.admit(None, T0)).admitted
    gone = (await core.admit(None, T0)).visitor  # never polls again
    stays = (await core.admit(None, T0 + 1)).visitor
    assert stays.ticket > gone.ticket
    now = T0 + 1
    while now < T0 + 5:  # keeps polling, behind the one who left
        now += 1
        result = await core.admit(stays, now)
        stays = result.visitor
        assert result.position == 1 or result.admitted
    now += 2  # the other one is now past abandon_after
    result = await core.admit(stays, now)
    assert result.admitted
    # Coming back after abandon_after: the place is lost, a new one at the back.
    late = await core.admit(gone, now + 0.01)
    assert late.visitor.ticket != gone.ticket


async def test_max_active_caps_admissions_and_revoke_frees_a_place(backend: Backend) -> None:
    core = make_core(backend, max_active=2, admissions_per_minute=6000)
    a = await core.admit(None, T0)
    b = await core.admit(None, T0)
    c = await core.admit(None, T0)
    assert a.admitted and b.admitted and not c.admitted
    assert a.issued is not None
    await core.revoke(a.issued.jti)
    assert (await core.admit(c.visitor, T0 + 0.1)).admitted


async def test_rate_over_time_is_the_configured_rate(backend: Backend) -> None:
    core = make_core(backend, admissions_per_minute=600, max_active=100_000)  # 10/s
    visitors: list[Visitor | None] = [None] * 60
    admitted = 0
    now = T0
    for _step in range(50):  # 5 s, everyone polls every 0.1 s
        now += 0.1
        for index, visitor in enumerate(visitors):
            result = await core.admit(visitor, now)
            visitors[index] = result.visitor
            if result.admitted:
                admitted += 1
                visitors[index] = None
    # The bucket starts full (two polls' worth: 20 tokens here) and refills at 10/s.
    assert 5 * 10 <= admitted <= 5 * 10 + 20 + 1


async def test_prequeue_gives_random_places_at_opening(backend: Backend) -> None:
    opens = T0 + 100
    core = make_core(backend, opens_at=opens, admissions_per_minute=60)
    early = []
    for i in range(20):
        admission = await core.admit(None, T0 + i)
        assert admission.prequeue and not admission.admitted
        early.append(admission.visitor)
    assert [v.ticket for v in early] == list(range(1, 21))
    # After opening, each pre-ticket lands on its shuffled place.
    places = {}
    for index, visitor in enumerate(early):
        result = await core.admit(visitor, opens + 1 + index * 0.001)
        places[index] = result.visitor.ticket if not result.admitted else 0
    expected = {i: 1 + permute(core.shuffle_key, i, 20) for i in range(20)}
    admitted = [i for i, ticket in places.items() if ticket == 0]
    assert all(places[i] == expected[i] for i in places if i not in admitted)
    assert sorted(expected.values()) == list(range(1, 21))
    assert list(expected.values()) != list(range(1, 21))  # not arrival order


def test_ticket_queue_positions_and_sweep() -> None:
    queue = TicketQueue(abandon_after=10)
    places = [queue.join(float(i)) for i in range(5000)]
    assert [p.position for p in places[:3]] == [0, 1, 2]
    assert places[-1].position == 4999
    for place in places[:4000:2]:
        queue.leave(place.ticket)
    assert queue.touch(places[4500].ticket, 4500.0) == type(places[0])(4501, 2500)
    dropped = queue.sweep(4600.0)
    assert dropped > 0 and queue.live == 3000 - dropped


def test_permutation_is_a_bijection() -> None:
    for n in (1, 2, 3, 7, 100, 1000):
        images = {permute(b"key", i, n) for i in range(n)}
        assert images == set(range(n))


def test_ticket_counts_stay_exact_across_growth() -> None:
    """The line's index grows by doubling without re-adding every place; positions after
    each doubling must match a plain count."""
    queue = TicketQueue(abandon_after=1e9)
    rng = random.Random(3)
    live: list[int] = []
    for step in range(20_000):
        live.append(queue.join(float(step)).ticket)
        if rng.random() < 0.4 and len(live) > 1:
            queue.leave(live.pop(rng.randrange(len(live))))
        if step % 997 == 0 or step in (1023, 1024, 1025, 2047, 2048, 4096):
            probe = live[rng.randrange(len(live))]
            expected = sum(1 for ticket in live if ticket < probe)
            place = queue.touch(probe, float(step))
            assert place is not None and place.position == expected
    assert queue.live == len(live)


async def test_a_full_node_keeps_its_admission_rate_until_work_is_refused() -> None:
    """Adaptive mode under overload: in flight at the limit, nothing shed, the outflow holds;
    once admitted work is refused or forced in over the limit, it slows down."""
    core = make_core(MemoryBackend(), mode="adaptive", admissions_per_minute=6000)
    configured = core.rate()
    guard = core.guard
    for _ in range(15):  # 15 ticks at the limit, every slot busy, nothing shed
        guard.in_flight = guard.peak_in_flight = guard.limit
        await core.tick()
    assert core.rate() == pytest.approx(configured)
    guard.forced = 3  # CRITICAL requests waited critical_wait and went in over the limit
    await core.tick()
    assert core.rate() < configured
    share = core.governor.share
    core.count_shed("default")  # admitted visitors' pages refused
    await core.tick()
    assert core.governor.share < share


async def test_default_limits_admit_a_surge_the_node_can_serve(
    make_settings: Callable[..., Settings],
) -> None:
    """With default settings, new visitors arriving faster than the old 20 a second, into a
    node with free slots, are all admitted: the adaptive limit governs, not the rate cap."""
    core = build_core(make_settings(), MemoryBackend())
    core.limiter._probe = None  # skip the start-up latency measurement
    queued = 0
    for second in range(10):
        for arrival in range(150):
            now = T0 + second + arrival / 150
            admission = await core.admit(Visitor(f"v{second}-{arrival}"), now)
            queued += not admission.admitted
            await core.release(admission)
    assert queued == 0
