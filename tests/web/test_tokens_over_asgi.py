"""Hostile bytes in every cookie, token header and token field, through the real application.

The whole stack (analytics tap, request limits, cached site, admission gate, the journey)
must answer a clear 4xx or a normal page, never a 500: before the shared shape check
(``northgate.core.tokens``), a non-ASCII byte in the visitor cookie, the draft cookie or the CSRF
field reached ``hmac.compare_digest`` as text and raised.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from urllib.parse import quote, unquote_to_bytes

import httpx
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from northgate.app import create_app
from northgate.core.asgi import ASGIApp, Message
from northgate.settings import Settings
from tests.support.asgi import Recorder, http_scope
from tests.support.fuzz import HOSTILE, mangled
from tests.support.journey import csrf_of, start_application

ADMIN = "gate-admin-token-for-the-fuzz-test"
OPERATOR = "operator-token-for-the-fuzz-test"
FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@dataclass
class Journey:
    app: ASGIApp
    cookies: dict[str, str]
    step: str  # the first question's address
    csrf: str


@pytest.fixture
async def journey(
    make_settings: Callable[..., Settings], sqlite_url: str
) -> AsyncIterator[Journey]:
    app = create_app(
        make_settings(database_url=sqlite_url, gate_admin_token=ADMIN, operator_token=OPERATOR)
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        started = await start_application(client)
        assert started.status_code == 303
        step = started.headers["location"]
        page = await client.get(step)
        assert page.status_code == 200
        cookies = {name: client.cookies[name] for name in ("ng_pass", "ng_visitor", "ng_draft")}
        yield Journey(app, cookies, step, csrf_of(page.text))


async def call(
    app: ASGIApp,
    path: str,
    headers: list[tuple[bytes, bytes]],
    *,
    method: str = "GET",
    body: bytes = b"",
    raw_path: bytes | None = None,
    query_string: bytes = b"",
) -> int:
    scope = http_scope(
        "/", method=method, headers=[(b"host", b"testserver"), *headers], query_string=query_string
    )
    scope["path"] = path
    scope["raw_path"] = raw_path if raw_path is not None else path.encode()
    delivered = False

    async def receive() -> Message:
        nonlocal delivered
        if delivered:
            return {"type": "http.disconnect"}
        delivered = True
        return {"type": "http.request", "body": body, "more_body": False}

    recorder = Recorder()
    await app(scope, receive, recorder)
    return recorder.status


def cookie_header(cookies: dict[str, bytes]) -> tuple[bytes, bytes]:
    return (b"cookie", b"; ".join(name.encode() + b"=" + value for name, value in cookies.items()))


@FUZZ
@given(data=st.data())
async def test_fuzzed_gate_cookies_and_headers_never_fail(
    journey: Journey, data: st.DataObject
) -> None:
    valid = {name: value.encode() for name, value in journey.cookies.items()}
    name = data.draw(st.sampled_from(sorted(valid)), label="cookie")
    hostile = data.draw(mangled(valid[name]), label="value")
    for path in ("/en/eta/apply/check-your-answers", journey.step, "/api/v1/status"):
        status = await call(journey.app, path, [cookie_header({**valid, name: hostile})])
        assert status < 500, (path, name, hostile)
    # Only the hostile cookie, so the gate has to read it (no valid pass beside it).
    alone = await call(journey.app, journey.step, [cookie_header({name: hostile})])
    assert alone < 500
    # The gate's header forms of the pass and the visitor (API clients without cookies).
    gate_headers = {b"x-northgate-pass": "ng_pass", b"x-northgate-visitor": "ng_visitor"}
    for header, cookie in gate_headers.items():
        value = data.draw(mangled(valid[cookie]), label=header.decode())
        status = await call(journey.app, "/api/v1/status/NG-XXXX", [(header, value)])
        assert status < 500, (header, value)


@FUZZ
@given(token=mangled(b"A" * 24))
async def test_fuzzed_csrf_fields_never_fail(journey: Journey, token: bytes) -> None:
    cookies = {name: value.encode() for name, value in journey.cookies.items()}
    body = b"csrf_token=" + quote(token, safe="").encode() + b"&applying_for=myself"
    for path in (journey.step, "/en/eta/apply/check-your-answers", "/en/eta/apply/save"):
        status = await call(
            journey.app,
            path,
            [cookie_header(cookies), (b"content-type", b"application/x-www-form-urlencoded")],
            method="POST",
            body=body,
        )
        assert status < 500, (path, token)


@FUZZ
@given(token=mangled(b"A" * 43))
@example(token=b"\x80/")  # found by Hypothesis: a path that is not UTF-8 once decoded
async def test_fuzzed_resume_links_never_fail(journey: Journey, token: bytes) -> None:
    raw_path = b"/en/eta/resume/" + quote(token, safe="").encode()
    # As a server decodes it: percent-decoded, undecodable bytes kept as surrogates.
    path = unquote_to_bytes(raw_path).decode("utf-8", "surrogateescape")
    cookies = {name: value.encode() for name, value in journey.cookies.items()}
    status = await call(journey.app, path, [cookie_header(cookies)], raw_path=raw_path)
    assert status < 500, token


@FUZZ
@given(value=HOSTILE, which=st.sampled_from(["admin", "operator", "idempotency", "chrome"]))
async def test_fuzzed_credentials_and_request_headers_never_fail(
    journey: Journey, value: bytes, which: str
) -> None:
    if which == "admin":
        status = await call(journey.app, "/ops/gate", [(b"authorization", b"Bearer " + value)])
    elif which == "operator":
        status = await call(
            journey.app, "/api/v1/analytics/report", [(b"authorization", b"Basic " + value)]
        )
    elif which == "idempotency":
        status = await call(
            journey.app,
            "/api/v1/applications",
            [(b"idempotency-key", value), (b"content-type", b"application/json")],
            method="POST",
            body=b'{"language": "en", "answers": {}}',
        )
    else:
        names = (b"accept-language", b"user-agent", b"referer", b"x-forwarded-for", b"accept")
        headers = [(name, value) for name in names]
        status = await call(journey.app, "/", headers)
        assert status < 500
        status = await call(journey.app, journey.step, headers)
    assert status < 500, (which, value)


@pytest.fixture
async def on_each_backend(
    make_settings: Callable[..., Settings], database_url: str
) -> AsyncIterator[Journey]:
    """The app on SQLite and on PostgreSQL (which refuses a NUL byte in any text)."""
    app = create_app(make_settings(database_url=database_url))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        assert (await client.get("/en/eta/apply")).status_code == 200  # a pass
        cookies = {name: client.cookies[name] for name in ("ng_pass", "ng_visitor")}
        yield Journey(app, cookies, "", "")


@FUZZ
@given(
    value=st.one_of(mangled(b"A" * 22), mangled(b"sbx_" + b"A" * 24)),
    where=st.sampled_from(["api", "api-pay", "sandbox", "return"]),
)
async def test_fuzzed_ids_in_paths_and_queries_never_fail(
    on_each_backend: Journey, value: bytes, where: str
) -> None:
    quoted = quote(value, safe="")
    cookies = [cookie_header({n: v.encode() for n, v in on_each_backend.cookies.items()})]
    method, target, query = "GET", f"/api/v1/applications/{quoted}", ""
    if where == "api-pay":
        method, target = "POST", f"/api/v1/applications/{quoted}/payments"
    elif where == "sandbox":
        target = f"/sandbox-pay/{quoted}"
    elif where == "return":
        target, query = "/en/eta/apply/payment-return", f"payment={quoted}"
    path = unquote_to_bytes(target).decode("utf-8", "surrogateescape")
    scope_path = target.encode()
    status = await call(
        on_each_backend.app,
        path,
        cookies,
        method=method,
        raw_path=scope_path,
        query_string=query.encode(),
    )
    assert status < 500, (where, value)
