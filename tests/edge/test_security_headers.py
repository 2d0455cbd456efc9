"""Security headers on every kind of answer, and pages that keep working under the policy."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from northgate.app import create_app
from northgate.edge.security import CONTENT_SECURITY_POLICY, HSTS
from northgate.settings import Settings
from tests.support.journey import fill_application

EXPECTED = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
}
# One of each kind of answer: pre-rendered page, asset, redirects, error pages from the edge
# and from the application, journey pages, the JSON API, the sandbox payment page.
ANSWERS = [
    ("GET", "/en/", 200),
    ("GET", "/fr/", 200),
    ("GET", "/en", 301),
    ("GET", "/", 302),
    ("GET", "/en/no-such-page", 404),
    ("POST", "/en/", 405),
    ("GET", "/en/eta/apply", 200),
    ("GET", "/fr/ave/verifier", 200),
    ("GET", "/en/eta/status", 200),
    ("GET", "/en/eta/apply/check-your-answers", 303),
    ("GET", "/api/v1/questions", 200),
    ("GET", "/api/v1/applications/nope", 404),
    ("GET", "/healthz", 200),
]


@pytest.fixture
async def tls_client(
    make_settings: Callable[..., Settings], sqlite_url: str
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(make_settings(database_url=sqlite_url, behind_tls=True))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as client:
        yield client


def assert_secured(response: httpx.Response, *, hsts: bool) -> None:
    for name, value in EXPECTED.items():
        assert response.headers.get_list(name) == [value], (response.url, name)
    assert response.headers.get_list("strict-transport-security") == ([HSTS] if hsts else [])


@pytest.mark.parametrize(("method", "path", "status"), ANSWERS)
async def test_every_kind_of_answer_carries_the_headers(
    client: httpx.AsyncClient, method: str, path: str, status: int
) -> None:
    response = await client.request(method, path)
    assert response.status_code == status
    assert_secured(response, hsts=False)


async def test_assets_and_conditional_answers_carry_them(client: httpx.AsyncClient) -> None:
    page = await client.get("/en/")
    stylesheet = re.search(r'href="(/assets/[^"]+\.css)"', page.text)
    assert stylesheet
    assert_secured(await client.get(stylesheet.group(1)), hsts=False)
    again = await client.get("/en/", headers={"if-none-match": page.headers["etag"]})
    assert again.status_code == 304
    assert_secured(again, hsts=False)


@pytest.mark.parametrize(("method", "path", "status"), ANSWERS)
async def test_hsts_only_behind_tls(
    tls_client: httpx.AsyncClient, method: str, path: str, status: int
) -> None:
    response = await tls_client.request(method, path)
    assert response.status_code == status
    assert_secured(response, hsts=True)


async def test_the_waiting_room_carries_them(
    make_settings: Callable[..., Settings], sqlite_url: str
) -> None:
    # Before the line opens, every visitor waits in the pre-queue.
    opens = datetime.now(UTC) + timedelta(days=1)
    app = create_app(make_settings(database_url=sqlite_url, gate_opens_at=opens))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        response = await client.get("/en/eta/apply")
    assert response.headers["x-northgate-gate"] == "queued"
    assert_secured(response, hsts=False)


def inline_code(html: str) -> list[str]:
    """What a policy without 'unsafe-inline' would block: inline scripts and styles, style
    attributes and event-handler attributes."""
    found = re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    found += re.findall(r"<style[\s>]", html)
    found += re.findall(r"\sstyle=", html)
    found += re.findall(r"\son[a-z]+=", html)
    return found


async def test_no_page_of_the_journey_needs_inline_code(client: httpx.AsyncClient) -> None:
    review = await fill_application(client)
    assert review.status_code == 200
    assert inline_code(review.text) == []
    for path in ("/en/", "/fr/", "/en/eta", "/en/eta/check", "/en/eta/status", "/en/nope"):
        response = await client.get(path)
        assert inline_code(response.text) == [], path


def _hash(code: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(code.encode()).digest()).decode() + "'"


async def test_the_api_documentation_allows_exactly_its_own_script(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/api/docs")
    assert response.status_code == 200
    (policy,) = response.headers.get_list("content-security-policy")
    (script,) = re.findall(r"<script>(.*?)</script>", response.text, re.DOTALL)
    assert _hash(script) in policy
    assert "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy
    assert response.headers["x-frame-options"] == "DENY"


async def test_the_operators_page_allows_exactly_its_own_style(
    make_settings: Callable[..., Settings], sqlite_url: str
) -> None:
    app = create_app(make_settings(database_url=sqlite_url, operator_token="t" * 32))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        response = await client.get(
            "/ops/analytics", headers={"authorization": "Bearer " + "t" * 32}
        )
    assert response.status_code == 200
    (policy,) = response.headers.get_list("content-security-policy")
    (style,) = re.findall(r"<style>(.*?)</style>", response.text, re.DOTALL)
    assert f"style-src {_hash(style)}" in policy
    assert "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy
