"""Shared state in Redis, for several processes or hosts: one atomic script per change."""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from typing import Any

from redis.asyncio import Redis

from northgate.edge.gate import lua
from northgate.edge.gate.backend import Outcome, PollRequest, PollResult, Snapshot

SWEEP_PER_POLL = 64
SWEEP_PER_TICK = 8192


def _ms(seconds: float) -> int:
    return int(seconds * 1000)


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


class RedisBackend:
    name = "redis"

    def __init__(self, redis: Redis, event: str, *, keep_revoked: float = 8 * 3600) -> None:
        self.redis = redis
        self.event = event
        self.keep_revoked = keep_revoked
        prefix = f"ng:gate:{{{event}}}:"
        self.keys = {
            name: prefix + name
            for name in ("q", "seen", "alive", "active", "revoked", "shares", "cfg", "requests")
        }
        self._poll = redis.register_script(lua.POLL)
        self._tick = redis.register_script(lua.TICK)
        self._revoke = redis.register_script(lua.REVOKE)
        self._renew = redis.register_script(lua.RENEW)
        self._claim = redis.register_script(lua.CLAIM)

    def _k(self, *names: str) -> list[str]:
        return [self.keys[name] for name in names]

    async def poll(self, request: PollRequest) -> PollResult:
        reply = await self._poll(
            keys=self._k("q", "seen", "alive", "active", "requests"),
            args=[
                _ms(request.now),
                request.ticket,
                request.gen,
                "1" if request.pre else "0",
                int(request.abandon_after),
                request.max_active,
                repr(float(request.rate)),
                repr(float(request.capacity)),
                "1" if request.allow else "0",
                request.jti,
                _ms(request.pass_expires),
                _ms(request.opens_at),
                SWEEP_PER_POLL,
                "r" + secrets.token_hex(3),
                "1" if request.held else "0",
            ],
        )
        code, gen, ticket, position, waiting, prequeued, eligible = reply
        return PollResult(
            Outcome(int(code)), _text(gen), int(ticket), int(position), int(waiting),
            int(prequeued), bool(int(eligible)),
        )  # fmt: skip

    async def renew(self, passes: Sequence[tuple[str, float]]) -> None:
        if not passes:
            return
        args: list[str | int] = []
        for jti, expires in passes:
            args += [jti, _ms(expires)]
        await self._renew(keys=self._k("active"), args=args)

    async def revoke(self, jti: str, now: float, keep: float) -> None:
        await self._revoke(keys=self._k("active", "revoked", "requests"), args=[jti, _ms(now)])

    async def release(self, jti: str) -> None:
        await self.redis.zrem(self.keys["requests"], jti)

    async def claim(self, jti: str, expires: float) -> bool:
        keys = self._k("active", "revoked", "requests")
        return bool(await self._claim(keys=keys, args=[jti, _ms(expires)]))

    async def snapshot(
        self, now: float, node: str, share: float, revoked_since: float, abandon_after: float
    ) -> Snapshot:
        reply = await self._tick(
            keys=self._k("q", "seen", "alive", "active", "revoked", "shares", "cfg", "requests"),
            args=[
                _ms(now),
                node,
                repr(float(share)),
                _ms(revoked_since),
                SWEEP_PER_TICK,
                int(abandon_after),
                _ms(self.keep_revoked),
            ],
        )
        nodes = reply.pop()  # the live gate instances: TICK's last field
        live, active, admitted, head, tail, min_share, gone, overrides, gen, pre, opened, held = (
            reply
        )
        revoked = [(_text(gone[i]), float(gone[i + 1]) / 1000) for i in range(0, len(gone), 2)]
        cfg = {_text(overrides[i]): _text(overrides[i + 1]) for i in range(0, len(overrides), 2)}
        return Snapshot(
            waiting=int(live),
            active=int(active),
            admitted_total=int(admitted),
            head=int(head),
            tail=int(tail),
            min_share=float(_text(min_share)),
            revoked=revoked,
            overrides=cfg,
            gen=_text(gen),
            prequeued=int(pre),
            opened=int(opened) > 0,
            nodes=max(1, int(nodes)),
            in_requests=int(held),
        )

    async def set_overrides(self, values: Mapping[str, str]) -> None:
        if values:
            await self.redis.hset(self.keys["cfg"], mapping=dict(values))  # type: ignore[arg-type]

    async def reset(self) -> None:
        await self.redis.delete(*self._k("q", "seen", "alive"))

    async def close(self) -> None:
        return None
