"""``/ops/gate``: the gate's metrics and limits for operators, behind a bearer token.

- ``GET /ops/gate``: limits, gauges, counters, wait-time histogram (JSON).
- ``POST /ops/gate/limits`` with a JSON object of limits: validated, applied on this node
  at once and shared with every node (through Redis) within a second. No restart.
- ``POST /ops/gate/reset``: empty the line (a new generation; passes stay valid).

Without ``NORTHGATE_GATE_ADMIN_TOKEN`` these answer 404: nothing to reach.
"""

from __future__ import annotations

import json
from typing import Any

from northgate.core import routes
from northgate.core.asgi import Receive, Scope, Send, header
from northgate.core.bearer import authorized
from northgate.edge.gate.config import InvalidLimits
from northgate.edge.gate.core import GateCore

PREFIX = routes.path("ops.gate")
LIMITS = routes.path("ops.gate.limits")
RESET = routes.path("ops.gate.reset")
MAX_BODY = 4096


class GateAdmin:
    def __init__(self, core: GateCore, token: str) -> None:
        self.core = core
        self.token = token

    def handles(self, path: str) -> bool:
        return path == PREFIX or path.startswith(PREFIX + "/")

    def report(self) -> dict[str, Any]:
        core = self.core
        return {
            "node": core.node,
            "backend": core.backend.name,
            "limits": core.limits.as_dict(),
            **core.metrics.to_json(),
        }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self.token:
            await _json(send, 404, {"error": "not found"})
            return
        if not authorized(header(scope, b"authorization"), self.token, basic=False):
            await _json(send, 401, {"error": "unauthorized"}, [(b"www-authenticate", b"Bearer")])
            return
        path, method = scope["path"], scope["method"]
        if path == PREFIX and method in ("GET", "HEAD"):
            await _json(send, 200, self.report())
        elif path == LIMITS and method == "GET":
            await _json(send, 200, self.core.limits.as_dict())
        elif path == LIMITS and method == "POST":
            await self._set_limits(receive, send)
        elif path == RESET and method == "POST":
            await self.core.backend.reset()
            await _json(send, 200, {"reset": True})
        else:
            await _json(send, 404, {"error": "not found"})

    async def _set_limits(self, receive: Receive, send: Send) -> None:
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if len(body) > MAX_BODY:
                await _json(send, 413, {"error": "body too large"})
                return
            if not message.get("more_body"):
                break
        try:
            values = json.loads(body or b"{}")
            if not isinstance(values, dict):
                raise InvalidLimits("expected a JSON object of limits")
            limits = await self.core.set_limits(values)
        except (ValueError, InvalidLimits) as error:
            await _json(send, 400, {"error": str(error)})
            return
        await _json(send, 200, limits.as_dict())


async def _json(
    send: Send, status: int, body: Any, extra: list[tuple[bytes, bytes]] | None = None
) -> None:
    data = json.dumps(body).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(data)).encode()),
        (b"cache-control", b"no-store"),
        *(extra or []),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": data})
