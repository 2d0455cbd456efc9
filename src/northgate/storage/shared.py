"""Connection to the shared-state server (Redis) used by the production backend."""

from __future__ import annotations

from redis.asyncio import Redis

# Shared state is advisory for serving pages: a slow Redis must not slow every request,
# so calls give up quickly and callers fall back to local state.
SOCKET_TIMEOUT_SECONDS = 0.5


def connect(url: str) -> Redis:
    return Redis.from_url(
        url,
        socket_timeout=SOCKET_TIMEOUT_SECONDS,
        socket_connect_timeout=SOCKET_TIMEOUT_SECONDS,
        health_check_interval=30,
    )
