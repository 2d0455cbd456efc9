"""How Python moves the line kept at the edge (northgate.edge.gate.edge_state), on a real
Redis: over the numbers edges actually handed out, by the gate's budget, writing off
visitors who did not come when their turn came, and admitting each place once."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from northgate.edge.gate.edge_state import EdgeLine
from northgate.edge.gate.redis_backend import RedisBackend
from tests.support.servers import RedisServer

T0 = 1_900_000_000.0


@pytest.fixture
async def line(redis_server: RedisServer) -> AsyncIterator[EdgeLine]:
    redis = Redis.from_url(redis_server.url)
    event = f"t{secrets.token_hex(4)}"
    edge = EdgeLine(redis, event, RedisBackend(redis, event).keys)
    try:
        yield edge
    finally:
        await redis.aclose()


async def report(line: EdgeLine, *ranges: str) -> None:
    await line.redis.rpush(line.keys["blocks"], *ranges)


async def state(line: EdgeLine) -> dict[str, str]:
    raw = await line.redis.hgetall(line.keys["state"])
    return {_text(k): _text(v) for k, v in raw.items()}


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


async def publish(line: EdgeLine, at: float, rate: float = 1.0, cap: float = 4.0) -> None:
    await line.publish(at, rate=rate, cap=cap, max_active=1000, poll=2.0)


async def test_the_line_moves_over_handed_out_numbers_only(line: EdgeLine) -> None:
    await publish(line, T0, rate=0.0, cap=0.0)  # nothing admitted yet
    await report(line, "1:3", "101:102", "40:40")
    await publish(line, T0 + 1, rate=4.0, cap=4.0)
    published = await state(line)
    # 1, 2, 3, then 40: four handed out, in ticket order; 101 is next.
    assert published["below"] == "41"
    assert published["free"] == "0"
    assert int(published["waiting"]) == 2
    # The node reads how many wait at the edges: its own line is empty meanwhile.
    assert line.turn is not None and line.turn.waiting == 2
    assert float(published["density"]) == pytest.approx(2 / (102 - 41 + 1))


async def test_at_most_once_a_second(line: EdgeLine) -> None:
    await publish(line, T0, rate=0.0, cap=0.0)
    await report(line, "1:10")
    await publish(line, T0 + 0.5, rate=100.0, cap=100.0)
    assert (await state(line)).get("below", "1") == "1"
    await publish(line, T0 + 1.0, rate=100.0, cap=100.0)
    assert (await state(line))["below"] == "11"


async def test_no_shows_cost_the_line_no_throughput(line: EdgeLine) -> None:
    """Everyone let through stays away: the line still moves at the rate (their tokens
    come back after the grace), never stalls."""
    await publish(line, T0, rate=0.0, cap=0.0)
    await report(line, "1:1000")
    for second in range(1, 21):
        await publish(line, T0 + second, rate=2.0, cap=2.0)
    assert int((await state(line))["below"]) >= 1 + 2 * 20


async def test_a_node_behind_writes_off_later_and_never_beyond_the_bucket(line: EdgeLine) -> None:
    """Those let through while the node is behind wait in its queues before its gate sees
    them: writing them off at the usual grace gave their tokens to yet more visitors."""
    await publish(line, T0, rate=0.0, cap=0.0)
    await report(line, "1:1000")
    for second in range(1, 11):  # nobody let through shows up; grace 2.5 polls = 5 s
        await line.publish(T0 + second, rate=2.0, cap=2.0, max_active=1000, poll=2.0, behind=True)
    ctl = await line.redis.hgetall(line.keys["ctl"])
    assert int(ctl[b"written_off"]) == 0  # behind: 4 x the grace (20 s)
    for second in range(11, 31):
        await publish(line, T0 + second, rate=2.0, cap=2.0)
    ctl = await line.redis.hgetall(line.keys["ctl"])
    assert int(ctl[b"written_off"]) > 0
    assert float(ctl[b"tokens"]) <= 2.0  # what came back never overfills the bucket


async def test_room_among_the_active_counts_those_let_through(line: EdgeLine) -> None:
    await publish(line, T0, rate=0.0, cap=0.0)
    await report(line, "1:100")
    await line.publish(T0 + 1, rate=100.0, cap=100.0, max_active=3, poll=2.0)
    assert (await state(line))["below"] == "4"
    # The three have not come yet: no more room.
    await line.publish(T0 + 2, rate=100.0, cap=100.0, max_active=3, poll=2.0)
    assert (await state(line))["below"] == "4"
    # Past the grace (2.5 polls) they are written off, and three more may come.
    await line.publish(T0 + 7, rate=100.0, cap=100.0, max_active=3, poll=2.0)
    assert (await state(line))["below"] == "7"


async def test_those_let_in_move_the_line_and_the_outflow(line: EdgeLine) -> None:
    await publish(line, T0, rate=0.0, cap=0.0)
    await report(line, "1:50")
    await publish(line, T0 + 1, rate=2.0, cap=2.0)
    gen = (await state(line))["gen"]
    assert await line.admit(gen, 1, "jti-1", T0 + 600) == 1
    assert await line.admit(gen, 2, "jti-2", T0 + 600) == 1
    await publish(line, T0 + 2, rate=2.0, cap=2.0)
    published = await state(line)
    assert published["below"] == "5"
    assert float(published["outflow"]) > 0


async def test_a_place_is_admitted_once_and_only_when_its_turn_has_come(line: EdgeLine) -> None:
    await publish(line, T0, rate=0.0, cap=0.0)
    await report(line, "1:10")
    await publish(line, T0 + 1, rate=3.0, cap=3.0)
    gen = (await state(line))["gen"]
    assert await line.admit(gen, 3, "a", T0 + 600) == 1
    assert await line.admit(gen, 3, "b", T0 + 600) == -1  # a copied cookie
    assert await line.admit(gen, 4, "c", T0 + 600) == 0  # not yet
    assert await line.admit("another-gen", 1, "d", T0 + 600) == 0
    # The pass holds a place among the active, like any other.
    assert await line.redis.zscore(line.gate_keys["active"], "a") is not None


async def test_free_while_nobody_waits(line: EdgeLine) -> None:
    await publish(line, T0)
    assert (await state(line))["free"] == "1"
    await report(line, "1:1")
    await publish(line, T0 + 1, rate=0.0, cap=0.0)
    assert (await state(line))["free"] == "0"
