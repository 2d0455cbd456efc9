"""The gate as ASGI middleware, in front of the web application (behind the cached site).

Per request: classify by method and path (:mod:`.routes`); bypass what is not gated; check
the pass locally (HMAC, no I/O); without a valid pass on a route that needs one, ask the
backend to place or admit the visitor (one atomic script: the only shared-state call, made
once per ~20 s per waiter); then take a slot under the adaptive concurrency limit, or shed.

Hints for the analytics tap: ``scope["state"]["northgate.outcome"]`` is ``"queued"`` when
the answer is the waiting room and ``"shed"`` for a 503 + Retry-After. The application
finds the gate and the pass in ``scope["state"]["northgate.gate"]`` and
``["northgate.pass"]`` (see :func:`northgate.edge.gate.end_pass`).
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import NamedTuple

from northgate.core.asgi import ASGIApp, Message, Receive, Scope, Send
from northgate.core.clock import UnixClock, unix_now
from northgate.edge.gate.admin import GateAdmin
from northgate.edge.gate.core import Admission, GateCore
from northgate.edge.gate.estimate import retry_after
from northgate.edge.gate.passes import Pass
from northgate.edge.gate.room import WaitingRoom
from northgate.edge.gate.routes import RequestClass, RouteCache

PASS_COOKIE = "ng_pass"  # noqa: S105 (a cookie name)
VISITOR_COOKIE = "ng_visitor"
# A place in the line handed out by the nginx edge (decision 0005, :mod:`.places`).
PLACE_COOKIE = "ng_place"
PASS_HEADER = b"x-northgate-pass"
VISITOR_HEADER = b"x-northgate-visitor"
PLACE_HEADER = b"x-northgate-place"
GATE_HEADER = b"x-northgate-gate"
VISITOR_MAX_AGE = 7 * 24 * 3600


class _Presented(NamedTuple):
    pass_cookie: str | None = None
    visitor_cookie: str | None = None
    pass_header: str | None = None
    visitor_header: str | None = None
    place: str | None = None  # cookie or header


def _cookies(scope: Scope) -> _Presented:
    """The tokens a request presents, from its cookies and headers."""
    pass_cookie = visitor_cookie = pass_header = visitor_header = place = None
    for name, value in scope["headers"]:
        if name == b"cookie":
            text = value.decode("latin-1")
            if PASS_COOKIE in text or VISITOR_COOKIE in text:
                found_pass, found_visitor = _our_cookies(text)
                pass_cookie = found_pass or pass_cookie
                visitor_cookie = found_visitor or visitor_cookie
            if PLACE_COOKIE in text:
                place = _cookie_value(text, PLACE_COOKIE) or place
        elif name == PASS_HEADER:
            pass_header = value.decode("latin-1")
        elif name == VISITOR_HEADER:
            visitor_header = value.decode("latin-1")
        elif name == PLACE_HEADER:
            place = value.decode("latin-1")
    return _Presented(pass_cookie, visitor_cookie, pass_header, visitor_header, place)


def _our_cookies(text: str) -> tuple[str | None, str | None]:
    """The pass and visitor cookies in one Cookie header (RFC 6265 ``name=value; ...``).

    A split, not ``http.cookies.SimpleCookie``: that parser cost more than the rest of a
    waiting-room poll's cookie handling, and it drops *every* cookie of a header when it
    meets one it dislikes. Both values are base64url and dots, checked by their HMAC next,
    so nothing here needs unquoting; a malformed header simply yields no pass.
    """
    pass_cookie = visitor_cookie = None
    for part in text.split(";"):
        name, sep, value = part.partition("=")
        if not sep:
            continue
        name = name.strip()
        if name == PASS_COOKIE:
            pass_cookie = value.strip().strip('"') or None
        elif name == VISITOR_COOKIE:
            visitor_cookie = value.strip().strip('"') or None
    return pass_cookie, visitor_cookie


def _cookie_value(text: str, wanted: str) -> str | None:
    """One cookie of a Cookie header, split as :func:`_our_cookies` does (the last wins)."""
    found = None
    for part in text.split(";"):
        name, sep, value = part.partition("=")
        if sep and name.strip() == wanted:
            found = value.strip().strip('"') or None
    return found


class Gate:
    def __init__(
        self,
        app: ASGIApp,
        core: GateCore,
        room: WaitingRoom,
        admin: GateAdmin,
        *,
        secure_cookies: bool,
        clock: UnixClock = unix_now,
    ) -> None:
        self.app = app
        self.core = core
        self.room = room
        self.admin = admin
        self.routes = RouteCache()
        self.clock = clock
        self._secure = "; Secure" if secure_cookies else ""

    def _cookie(self, name: str, value: str, max_age: int) -> tuple[bytes, bytes]:
        text = f"{name}={value}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Lax{self._secure}"
        return (b"set-cookie", text.encode())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(scope, receive, send)
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if self.admin.handles(path):
            await self.admin(scope, receive, send)
            return
        core = self.core
        route = self.routes(scope["method"], path)
        if route.klass == RequestClass.BYPASS or not core.limits.enabled:
            await self.app(scope, receive, send)
            return
        core.ensure_started()
        now = self.clock()
        pass_cookie, visitor_cookie, pass_header, visitor_header, place_token = _cookies(scope)
        admitted: Pass | None = None
        token = pass_header or pass_cookie
        if token:
            checked = core.check_pass(token, now)
            if isinstance(checked, Pass):
                admitted = checked
        extra: list[tuple[bytes, bytes]] = []
        admission: Admission | None = None
        claimed = False
        if admitted is not None and not admitted.held:
            # Back with a pass whose place only its first request held: hold it now (or,
            # ended meanwhile on another node, it is no pass at all).
            held = await core.claim(admitted)
            admitted = None if held is None else replace(admitted, held=True)
            if held is not None:
                claimed = True
                extra += [
                    self._cookie(PASS_COOKIE, held, core.signer.cap),
                    (PASS_HEADER, held.encode()),
                ]
        if admitted is None and route.needs_pass:
            presented = visitor_header or visitor_cookie
            visitor = core.visitors.decode(presented)
            place = core.check_place(place_token, now) if place_token else None
            # A place from the nginx edge whose turn has come (the edge forwards it only
            # then); anything else goes through the in-process line as before.
            admission = None if place is None else await core.admit_place(place, visitor, now)
            if admission is None:
                admission = await core.admit(visitor, now)
            elif place_token:
                extra.append(self._cookie(PLACE_COOKIE, "", 0))
            if not admission.admitted:
                # A poll that changed nothing sends the same signed value back: no new HMAC.
                same = presented if visitor is not None and admission.visitor == visitor else None
                await self._wait(scope, send, admission, now, same)
                return
            assert admission.token is not None and admission.issued is not None
            admitted = admission.issued
            extra += self._admitted_headers(admission)
        elif admitted is not None and not claimed:
            renewed = core.renew(admitted, now)
            if renewed is not None:
                extra += [
                    self._cookie(PASS_COOKIE, renewed, core.signer.cap),
                    (PASS_HEADER, renewed.encode()),
                ]
        state = scope.setdefault("state", {})
        state["northgate.gate"] = core
        state["northgate.pass"] = admitted
        guard = core.guard
        in_flight = admission.slot if admission is not None else None
        if in_flight is None:
            in_flight = await guard.acquire(route.klass)
        if in_flight is None:
            core.count_shed(route.klass.name.lower())
            state["northgate.outcome"] = "shed"
            try:
                await self.room.shed(scope, self._with_headers(send, extra), retry_after(core.rng))
            finally:
                if admission is not None:
                    await core.release(admission)
            return
        started = time.monotonic()
        failed = False
        try:
            await self.app(scope, receive, self._with_headers(send, extra))
        except BaseException:
            failed = True
            raise
        finally:
            guard.release(started, in_flight, dropped=failed)
            if admission is not None:
                await core.release(admission)

    def _admitted_headers(self, admission: Admission) -> list[tuple[bytes, bytes]]:
        assert admission.token is not None
        core = self.core
        return [
            self._cookie(PASS_COOKIE, admission.token, core.signer.cap),
            self._cookie(VISITOR_COOKIE, core.visitors.encode(admission.visitor), VISITOR_MAX_AGE),
            (PASS_HEADER, admission.token.encode()),
            (GATE_HEADER, b"admitted"),
        ]

    async def _wait(
        self, scope: Scope, send: Send, admission: Admission, now: float, token: str | None
    ) -> None:
        scope.setdefault("state", {})["northgate.outcome"] = "queued"
        token = token or self.core.visitors.encode(admission.visitor)
        cookies = [self._cookie(VISITOR_COOKIE, token, VISITOR_MAX_AGE), (GATE_HEADER, b"queued")]
        await self.room.send(scope, send, admission, now, cookies, token)

    @staticmethod
    def _with_headers(send: Send, extra: list[tuple[bytes, bytes]]) -> Send:
        if not extra:
            return send

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = dict(message)
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        return sending

    async def _lifespan(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def receiving() -> Message:
            message = await receive()
            if message["type"] == "lifespan.shutdown":
                await self.core.stop()
            return message

        await self.app(scope, receiving, send)
