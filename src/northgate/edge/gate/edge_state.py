"""The line kept at the nginx edge (decision 0005): what the Python gate publishes in Redis
for the edges, and how a node admits a visitor whose place came from an edge.

Edges hand out places themselves (``northgate/line.lua`` in ``deploy/nginx/lua``): each
nginx worker claims a block of ticket numbers with one ``INCRBY`` on ``tail`` and reports,
once a second, the range it actually handed out (``RPUSH blocks "first:last"``). Python
stays the single authority on admission: once a second (whichever node gets there first;
the script refuses to run twice within 900 ms) :data:`TICK` takes the reported ranges,
moves ``below`` (a place whose ticket is below it may go to a node) over as many handed-out
tickets as the admission budget allows, and publishes the state every edge copies into its
shared dict. The budget is the gate's own: its token bucket at the gate's rate, and room
among ``max_active`` less the visitors already let through who have not arrived yet.

So the line advances by visitors actually let in, not by places handed out: numbers never
handed out (the unused end of a block) are skipped, and a visitor whose turn came but who
did not show up within ``grace`` is written off and its token given back, so abandoned
places never stall it nor slow it beyond that grace.

Keys (one hash tag per event, as the gate's own keys)::

    ng:gate:{EVENT}:edge:state    hash, what edges read: gen, free, below, outflow, density,
                                  poll, at (ms), edges (edge workers seen lately)
    ng:gate:{EVENT}:edge:tail     counter: the last ticket number claimed by any edge
    ng:gate:{EVENT}:edge:blocks   list: "first:last" ranges handed out, not yet taken in
    ng:gate:{EVENT}:edge:issued   sorted set: handed-out ranges at or above ``below``
    ng:gate:{EVENT}:edge:ctl      hash: the publisher's own counters
    ng:gate:{EVENT}:edge:ring     list: "ms:opened" of the last ticks (to write off no-shows)
    ng:gate:{EVENT}:edge:seen     hash: edge worker id -> last report (ms)
    ng:gate:{EVENT}:edge:used     bitmap: tickets already admitted (a copied place is
                                  admitted once)
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from redis.asyncio import Redis

NAMES = ("state", "tail", "blocks", "issued", "ctl", "ring", "seen", "used")
# A visitor whose turn came is expected within this many poll intervals, then written off.
GRACE_POLLS = 2.5
BEHIND_GRACE_FACTOR = 4


def redis_keys(event: str) -> dict[str, str]:
    return {name: f"ng:gate:{{{event}}}:edge:{name}" for name in NAMES}


# KEYS: state tail blocks issued ctl ring seen q active requests
# ARGV: now_ms rate cap max_active grace_ms poll new_gen
TICK = r"""
local state, tail, blocks, issued, ctl, ring, seen, q, active, requests =
  KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7], KEYS[8], KEYS[9], KEYS[10]
local now = tonumber(ARGV[1])
local rate, cap = tonumber(ARGV[2]), tonumber(ARGV[3])
local max_active, grace = tonumber(ARGV[4]), tonumber(ARGV[5])

local c = redis.call('HMGET', ctl, 'at', 'below', 'tokens', 'opened', 'written_off',
                     'waiting', 'outflow', 'admitted_seen', 'gen')
local at = tonumber(c[1] or 0)
if now - at < 900 then return 0 end
local below = tonumber(c[2] or 1)
local tokens = tonumber(c[3] or cap)
local opened, written_off = tonumber(c[4] or 0), tonumber(c[5] or 0)
local waiting, outflow = tonumber(c[6] or 0), tonumber(c[7] or 0)
local admitted_seen = tonumber(c[8] or 0)
local gen = c[9] or ARGV[7]
local admitted = tonumber(redis.call('HGET', ctl, 'admitted') or 0)
local dt = 1
if at > 0 then dt = math.max(0.001, (now - at) / 1000) end
tokens = math.min(cap, tokens + rate * dt)

-- Take in the ranges edges reported; a range reported after `below` passed it is let
-- through at once, and costs the budget like any other.
local reports = redis.call('LRANGE', blocks, 0, -1)
if #reports > 0 then redis.call('LTRIM', blocks, #reports, -1) end
for _, r in ipairs(reports) do
  local first, last = string.match(r, '^(%d+):(%d+)$')
  first, last = tonumber(first), tonumber(last)
  if first and last and last >= first then
    if last < below then
      opened = opened + (last - first + 1); tokens = tokens - (last - first + 1)
    else
      if first < below then
        opened = opened + (below - first); tokens = tokens - (below - first); first = below
      end
      redis.call('ZADD', issued, first, first .. ':' .. last)
      waiting = waiting + (last - first + 1)
    end
  end
end

-- Written off: let through more than `grace` ago and still not admitted. Their tokens
-- come back, so no-shows delay the line by the grace at most and cost it no throughput.
local entries = redis.call('LRANGE', ring, 0, -1)
local newly = written_off
for _, e in ipairs(entries) do
  local ms, o = string.match(e, '^(%d+):(%d+)$')
  if ms and now - tonumber(ms) >= grace then
    newly = math.max(newly, tonumber(o) - admitted)
  end
end
-- Never more than the bucket holds: under a surge most of those let through may be late
-- because the node is behind, not gone, and come anyway.
tokens = math.min(cap, tokens + (newly - written_off))
written_off = newly
-- Let through and expected any moment: they will hold places among the active.
local outstanding = math.max(0, opened - admitted - written_off)

redis.call('ZREMRANGEBYSCORE', active, '-inf', now)
redis.call('ZREMRANGEBYSCORE', requests, '-inf', now)
local room = max_active - redis.call('ZCARD', active) - redis.call('ZCARD', requests)
local budget = math.floor(math.min(tokens, room - outstanding))

while budget > 0 do
  local head = redis.call('ZRANGE', issued, 0, 0)[1]
  if not head then break end
  local first, last = string.match(head, '^(%d+):(%d+)$')
  first, last = tonumber(first), tonumber(last)
  local take = math.min(budget, last - first + 1)
  redis.call('ZREM', issued, head)
  if first + take <= last then
    redis.call('ZADD', issued, first + take, (first + take) .. ':' .. last)
  end
  below = first + take
  budget = budget - take
  tokens = tokens - take
  opened = opened + take
  waiting = waiting - take
end

-- How many handed-out tickets there are per number above `below`: positions shown by
-- edges are (ticket - below) * density.
local density = 1
local top = redis.call('ZRANGE', issued, -1, -1)[1]
if top then
  local last = tonumber(string.match(top, ':(%d+)$'))
  density = math.min(1, waiting / math.max(1, last - below + 1))
end

-- Outflow: admissions through the edge line per second, smoothed over about a minute;
-- 0 (unknown) while nobody waits, as the Python gate's own estimate.
if waiting > 0 then
  local instant = math.max(0, admitted - admitted_seen) / dt
  local alpha = 1 - math.exp(-dt / 60)
  if outflow == 0 then outflow = instant else outflow = outflow + alpha * (instant - outflow) end
else
  outflow = 0
end

local edges = 0
local all = redis.call('HGETALL', seen)
for i = 1, #all, 2 do
  if now - tonumber(all[i + 1]) > 5000 then redis.call('HDEL', seen, all[i])
  else edges = edges + 1 end
end

local live = tonumber(redis.call('HGET', q, 'live') or 0)
local free = 0
if live == 0 and waiting <= 0 and tokens >= 1 and room >= 1 then free = 1 end

redis.call('RPUSH', ring, now .. ':' .. opened)
redis.call('LTRIM', ring, -120, -1)
redis.call('HSET', ctl, 'at', now, 'below', below, 'tokens', tostring(tokens),
           'opened', opened, 'written_off', written_off, 'waiting', waiting,
           'outflow', tostring(outflow), 'admitted_seen', admitted, 'gen', gen)
redis.call('HSET', state, 'gen', gen, 'free', free, 'below', below,
           'outflow', tostring(outflow), 'density', tostring(density), 'poll', ARGV[6],
           'at', now, 'edges', math.max(1, edges), 'waiting', waiting)
return 1
"""

# KEYS: state used ctl active; ARGV: gen ticket jti pass_expires_ms
# 1: admitted; 0: not its turn (or another generation); -1: this ticket was admitted before.
ADMIT = r"""
local s = redis.call('HMGET', KEYS[1], 'gen', 'below')
if s[1] ~= ARGV[1] or tonumber(ARGV[2]) >= tonumber(s[2] or 1) then return 0 end
if redis.call('SETBIT', KEYS[2], ARGV[2], 1) == 1 then return -1 end
redis.call('HINCRBY', KEYS[3], 'admitted', 1)
redis.call('ZADD', KEYS[4], ARGV[4], ARGV[3])
return 1
"""


@dataclass(frozen=True)
class EdgeTurn:
    """What the last publication said (for the node's own checks and the metrics)."""

    gen: str
    below: int
    free: bool
    waiting: int = 0  # places handed out at the edges and not yet let through


class EdgeLine:
    """The Python side of the edge line: publish once a second, admit edge places."""

    def __init__(self, redis: Redis, event: str, gate_keys: dict[str, str]) -> None:
        self.redis = redis
        self.keys = redis_keys(event)
        self.gate_keys = gate_keys
        self._tick = redis.register_script(TICK)
        self._admit = redis.register_script(ADMIT)
        self.turn: EdgeTurn | None = None

    async def publish(
        self,
        now: float,
        *,
        rate: float,
        cap: float,
        max_active: int,
        poll: float,
        behind: bool = False,
    ) -> EdgeTurn | None:
        """Move the line and publish its state (a no-op if another node just did).

        ``behind``: the node is not keeping up with what it admitted (requests piling up
        for its slots). Those let through then wait in its queues before they reach the
        gate, so they are written off only after ``BEHIND_GRACE_FACTOR`` times the usual
        grace: written off early, their tokens let yet more people in, who are late in
        turn (bench.edge saw 2,300 of 4,000 let through written off, most of them late,
        not gone, and the node's backlog grow to minutes)."""
        grace = poll * GRACE_POLLS * (BEHIND_GRACE_FACTOR if behind else 1)
        k, g = self.keys, self.gate_keys
        await self._tick(
            keys=[
                k["state"], k["tail"], k["blocks"], k["issued"], k["ctl"], k["ring"],
                k["seen"], g["q"], g["active"], g["requests"],
            ],
            args=[
                int(now * 1000), repr(float(rate)), repr(float(cap)), max_active,
                int(grace * 1000), repr(float(poll)), secrets.token_hex(4),
            ],
        )  # fmt: skip
        gen, below, free, waiting = await self.redis.hmget(
            k["state"], ["gen", "below", "free", "waiting"]
        )
        if gen is not None:
            self.turn = EdgeTurn(
                _text(gen), int(below or 1), _text(free) == "1", int(float(waiting or 0))
            )
        return self.turn

    async def admit(self, gen: str, ticket: int, jti: str, pass_expires: float) -> int:
        """Let in the holder of edge place ``ticket``: 1 admitted, 0 not its turn, -1 this
        place was already used (a copied cookie)."""
        k = self.keys
        reply: Any = await self._admit(
            keys=[k["state"], k["used"], k["ctl"], self.gate_keys["active"]],
            args=[gen, ticket, jti, int(pass_expires * 1000)],
        )
        return int(reply)


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
