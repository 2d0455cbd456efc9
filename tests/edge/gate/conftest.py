"""Fixtures for the gate's tests: the gate in front of an app (from the middleware tests),
and the shared state it runs on."""

import secrets

import pytest

from tests.edge.gate.test_middleware import clients, make_gate, site
from tests.support.servers import RedisServer

__all__ = ["clients", "make_gate", "shared_state", "site"]


@pytest.fixture(params=["memory", "redis"])
def shared_state(request: pytest.FixtureRequest) -> dict[str, object]:
    if request.param == "memory":
        return {}
    server: RedisServer = request.getfixturevalue("redis_server")
    return {"redis_url": server.url, "gate_event": "p" + secrets.token_hex(4)}
