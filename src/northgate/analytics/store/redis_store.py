"""Analytics shared by every node through Redis, rolled up into the database.

Writing (every flush of every node) is one ``EVALSHA``: one round trip, atomic, and
idempotent by batch id (a marker ``SET NX`` guards the increments), which a plain pipeline
of ``HINCRBY`` could not be.

- counts: one hash per minute, ``c:{minute}``, field ``section|lang|country|outcome|bot``,
  ``HINCRBY``; the minute goes into the sorted set ``cm``;
- visitors: HyperLogLog registers as a 4 KiB string per sketch, ``v:{granularity}:{period}:
  {dimension}:{value}``, max-merged in place (``GETRANGE``/``SETRANGE`` of the registers the
  batch raised); the key goes into the sorted set ``vk`` scored by the end of its period.

Rolling up (every minute, any node): a script *claims* the closed periods by renaming their
keys to ``r…:{generation}:…`` (so a late increment starts a fresh key, claimed next time)
and lists them in ``pending``. Each claimed count hash is then applied to the database
under its own key name as batch id and deleted; a crash between the two leaves it pending,
and the next roll-up applies it again, which the database recognises. Sketches need no id:
merging one twice changes nothing.
"""

from __future__ import annotations

import uuid
from typing import Any, Final

from redis.asyncio import Redis

from northgate.analytics.capture.aggregate import SketchKey
from northgate.analytics.capture.dimensions import HOUR, MINUTE, ArrivalKey
from northgate.analytics.capture.hll import M, Sketch
from northgate.analytics.store.delta import Delta
from northgate.analytics.store.sql_store import SqlStore

PREFIX: Final = "ng:an:"
# Keys not rolled up by then (database down for a day) expire rather than fill Redis.
DATA_TTL_SECONDS: Final = 2 * 86_400
MARKER_TTL_SECONDS: Final = 2 * 86_400
# A period is rolled up once it has been closed this long (nodes flush every few seconds).
SETTLE_SECONDS: Final = 120

_APPLY = """
local prefix = ARGV[1]
if not redis.call('SET', prefix .. 'b:' .. ARGV[2], '1', 'NX', 'EX', tonumber(ARGV[3])) then
  return 0
end
local ttl = tonumber(ARGV[4])
local i = 5
local ncounts = tonumber(ARGV[i]); i = i + 1
for _ = 1, ncounts do
  local minute = ARGV[i]
  local key = prefix .. 'c:' .. minute
  redis.call('HINCRBY', key, ARGV[i + 1], tonumber(ARGV[i + 2]))
  redis.call('EXPIRE', key, ttl)
  redis.call('ZADD', prefix .. 'cm', tonumber(minute), minute)
  i = i + 3
end
local nsketches = tonumber(ARGV[i]); i = i + 1
for _ = 1, nsketches do
  local name = ARGV[i]
  local key = prefix .. 'v:' .. name
  local pairs = ARGV[i + 2]
  for j = 1, #pairs, 3 do
    local hi, lo, rank = string.byte(pairs, j, j + 2)
    local bucket = hi * 256 + lo
    local current = redis.call('GETRANGE', key, bucket, bucket)
    if current == '' or string.byte(current) < rank then
      redis.call('SETRANGE', key, bucket, string.char(rank))
    end
  end
  redis.call('EXPIRE', key, ttl)
  redis.call('ZADD', prefix .. 'vk', tonumber(ARGV[i + 1]), name)
  i = i + 3
end
return 1
"""

_CLAIM = """
local prefix = ARGV[1]
local generation = redis.call('INCR', prefix .. 'generation')
for _, minute in ipairs(redis.call('ZRANGEBYSCORE', prefix .. 'cm', '-inf', '(' .. ARGV[2])) do
  redis.call('ZREM', prefix .. 'cm', minute)
  local source = prefix .. 'c:' .. minute
  if redis.call('EXISTS', source) == 1 then
    local target = prefix .. 'rc:' .. generation .. ':' .. minute
    redis.call('RENAME', source, target)
    redis.call('SADD', prefix .. 'pending', target)
  end
end
for _, name in ipairs(redis.call('ZRANGEBYSCORE', prefix .. 'vk', '-inf', ARGV[3])) do
  redis.call('ZREM', prefix .. 'vk', name)
  local source = prefix .. 'v:' .. name
  if redis.call('EXISTS', source) == 1 then
    local target = prefix .. 'rv:' .. generation .. ':' .. name
    redis.call('RENAME', source, target)
    redis.call('SADD', prefix .. 'pending', target)
  end
end
return redis.call('SMEMBERS', prefix .. 'pending')
"""

_SECONDS = {"minute": MINUTE, "hour": HOUR}


def count_field(key: ArrivalKey) -> str:
    return f"{key.section}|{key.lang}|{key.country}|{key.outcome}|{int(key.bot)}"


def parse_count_field(minute: int, field: str) -> ArrivalKey:
    section, lang, country, outcome, bot = field.split("|")
    return ArrivalKey(minute, section, lang, country, outcome, bot == "1")  # type: ignore[arg-type]


def sketch_name(key: SketchKey) -> str:
    return f"{key.granularity}:{key.period}:{key.dimension}:{key.value}"


def parse_sketch_name(name: str) -> SketchKey:
    granularity, period, dimension, value = name.split(":", 3)
    return SketchKey(granularity, int(period), dimension, value)  # type: ignore[arg-type]


def _pairs_bytes(sketch: Sketch) -> bytes:
    return b"".join(bytes((bucket >> 8, bucket & 0xFF, rank)) for bucket, rank in sketch.pairs())


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else value


class RedisStore:
    def __init__(self, redis: Redis, sql: SqlStore, prefix: str = PREFIX) -> None:
        self.redis = redis
        self.sql = sql
        self.prefix = prefix
        self._apply = redis.register_script(_APPLY)
        self._claim = redis.register_script(_CLAIM)

    async def apply(self, delta: Delta, now: int) -> bool:
        args: list[Any] = [self.prefix, delta.batch_id, MARKER_TTL_SECONDS, DATA_TTL_SECONDS]
        args.append(len(delta.counts))
        for arrival, n in delta.counts.items():
            args += [arrival.minute, count_field(arrival), n]
        sketches = [
            (key, sketch) for key, sketch in delta.sketches.items() if not sketch.is_empty()
        ]
        args.append(len(sketches))
        for key, sketch in sketches:
            end = (key.period + 1) * _SECONDS[key.granularity]
            args += [sketch_name(key), end, _pairs_bytes(sketch)]
        return bool(await self._apply(args=args))

    # ------------------------------------------------------------------ roll-up

    async def roll_up(self, now: int) -> int:
        """Move closed periods into the database. Returns the arrivals moved."""
        cutoff = now - SETTLE_SECONDS
        pending = [
            _text(k) for k in await self._claim(args=[self.prefix, cutoff // MINUTE, cutoff])
        ]
        moved = 0
        sketch_keys = [k for k in pending if k.startswith(self.prefix + "rv:")]
        for name in sorted(k for k in pending if k.startswith(self.prefix + "rc:")):
            minute = int(name.rsplit(":", 1)[1])
            raw = await self.redis.hgetall(name)
            counts = {parse_count_field(minute, _text(f)): int(n) for f, n in raw.items()}
            delta = Delta(batch_id=name.removeprefix(self.prefix), counts=counts)
            await self.sql.apply(delta, now)
            moved += delta.arrivals
            await self._forget([name])
        if sketch_keys:
            values = await self.redis.mget(sketch_keys)
            sketches: dict[SketchKey, Sketch] = {}
            for name, value in zip(sketch_keys, values, strict=True):
                if value:
                    # rv:{generation}:{name}
                    key = parse_sketch_name(name.removeprefix(self.prefix + "rv:").split(":", 1)[1])
                    sketch = sketches.setdefault(key, Sketch())
                    sketch.merge(_sketch_of(value))
            # Merging is idempotent: a fresh id every time is safe.
            await self.sql.apply(Delta(batch_id=_fresh_id(), sketches=sketches), now)
            await self._forget(sketch_keys)
        return moved

    async def _forget(self, names: list[str]) -> None:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.delete(*names)
            pipe.srem(self.prefix + "pending", *names)
            await pipe.execute()

    # ------------------------------------------------------------------ reading

    async def counts(self, start_minute: int, end_minute: int) -> dict[ArrivalKey, int]:
        """Counts not yet rolled up, for minutes in [start_minute, end_minute)."""
        minutes = [
            int(_text(m))
            for m in await self.redis.zrangebyscore(
                self.prefix + "cm", start_minute, f"({end_minute}"
            )
        ]
        out: dict[ArrivalKey, int] = {}
        if not minutes:
            return out
        async with self.redis.pipeline(transaction=False) as pipe:
            for minute in minutes:
                pipe.hgetall(f"{self.prefix}c:{minute}")
            hashes = await pipe.execute()
        for minute, raw in zip(minutes, hashes, strict=True):
            for field, n in raw.items():
                key = parse_count_field(minute, _text(field))
                out[key] = out.get(key, 0) + int(n)
        return out

    async def sketches(self, start: int, end: int) -> dict[SketchKey, Sketch]:
        """Sketches not yet rolled up whose period overlaps [start, end) (Unix seconds)."""
        names = [
            _text(n)
            for n in await self.redis.zrangebyscore(self.prefix + "vk", f"({start}", "+inf")
        ]
        keys = [parse_sketch_name(name) for name in names]
        chosen = [
            (name, key)
            for name, key in zip(names, keys, strict=True)
            if key.period * _SECONDS[key.granularity] < end
        ]
        out: dict[SketchKey, Sketch] = {}
        if not chosen:
            return out
        values = await self.redis.mget([self.prefix + "v:" + name for name, _ in chosen])
        for (_, key), value in zip(chosen, values, strict=True):
            if value:
                out[key] = _sketch_of(value)
        return out


def _sketch_of(value: Any) -> Sketch:
    registers = bytes(value[:M]).ljust(M, b"\x00")
    return Sketch(registers)


def _fresh_id() -> str:
    return "redis-sketches:" + uuid.uuid4().hex
