"""The admission gate: virtual waiting room, passes, adaptive concurrency limit, priority
shedding (issue 4). Start with :mod:`.middleware`; the route table is :mod:`.routes`.

For the application (the eTA journey), one call::

    from northgate.edge.gate import end_pass
    await end_pass(request.scope)   # after the application is paid and final

ends the visitor's pass: the place is freed for the next person in line and the pass is
refused from then on (on this node at once, on every node within a second).
"""

from __future__ import annotations

from redis.asyncio import Redis

from northgate.core.asgi import ASGIApp, Scope
from northgate.core.clock import UnixClock, unix_now
from northgate.edge.errors import ErrorPages
from northgate.edge.gate.admin import GateAdmin
from northgate.edge.gate.backend import Backend
from northgate.edge.gate.config import GateLimits
from northgate.edge.gate.core import GateCore
from northgate.edge.gate.fallback import FallbackBackend
from northgate.edge.gate.memory import MemoryBackend
from northgate.edge.gate.middleware import Gate
from northgate.edge.gate.passes import Pass
from northgate.edge.gate.redis_backend import RedisBackend
from northgate.edge.gate.room import WaitingRoom
from northgate.settings import Settings
from northgate.ui.assets import AssetBundle

__all__ = [
    "Gate",
    "GateCore",
    "build_backend",
    "build_core",
    "build_gate",
    "current_pass",
    "end_pass",
]


def build_backend(settings: Settings, redis: Redis | None) -> Backend:
    """Shared through ``redis`` (the process's client, northgate.composition) when there is
    one; this process's own state otherwise."""
    if redis is None:
        return MemoryBackend()
    primary = RedisBackend(redis, settings.gate_event, keep_revoked=settings.gate_pass_cap_seconds)
    return FallbackBackend(primary)


def build_core(settings: Settings, backend: Backend, *, clock: UnixClock = unix_now) -> GateCore:
    return GateCore(
        GateLimits.from_settings(settings),
        backend,
        key=settings.effective_secret_key,
        event=settings.gate_event,
        pass_ttl=settings.gate_pass_ttl_seconds,
        pass_cap=settings.gate_pass_cap_seconds,
        fallback_share=settings.gate_fallback_share,
        clock=clock,
    )


def build_gate(
    settings: Settings, core: GateCore, app: ASGIApp, errors: ErrorPages, assets: AssetBundle
) -> Gate:
    room = WaitingRoom(assets, errors, keep_seconds=settings.gate_abandon_after_seconds)
    admin = GateAdmin(core, settings.gate_admin_token.get_secret_value())
    return Gate(app, core, room, admin, secure_cookies=settings.behind_tls, clock=core.clock)


def current_pass(scope: Scope) -> Pass | None:
    """The pass this request was admitted with, if it went through the gate with one."""
    found = scope.get("state", {}).get("northgate.pass")
    return found if isinstance(found, Pass) else None


async def end_pass(scope: Scope) -> bool:
    """End the pass of this request (after submission). False when there was none."""
    state = scope.get("state", {})
    core, admitted = state.get("northgate.gate"), state.get("northgate.pass")
    if not isinstance(core, GateCore) or not isinstance(admitted, Pass):
        return False
    await core.revoke(admitted.jti)
    return True
