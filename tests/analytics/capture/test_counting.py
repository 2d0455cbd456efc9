"""Counting is exact: every arrival, with a known mix of addresses and outcomes, is in storage
once, on SQLite and on PostgreSQL, per minute and per hour."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import httpx
import pytest

from northgate.analytics.capture.dimensions import HOUR
from northgate.analytics.runtime import Analytics
from northgate.app import edge_app
from northgate.composition import build
from northgate.settings import Settings
from northgate.site.render import build_site
from tests.analytics.support import (
    BROWSER,
    Cell,
    cells,
    edge_with,
    tiny_app,
    window,
)
from tests.conftest import NODE_MODULES

# (X-Forwarded-For, country): IPv4 and IPv6, and a private address behind the proxy.
CLIENTS = [
    ("8.8.8.8", "US"),
    ("142.0.0.1", "US"),
    ("24.48.0.1", "CA"),
    ("2607:f2c0::1", "CA"),
    ("1.1.1.1", "AU"),
    ("81.2.69.160", "GB"),
    ("2001:4860:4860::8888", "US"),
    ("192.168.1.20", "ZZ"),
]

# path, method, expected section, language, outcome (through the tiny app)
TINY_MIX = [
    ("/en/eta", "GET", "information", "en", "served"),  # cached page, never reaches the app
    ("/fr/ave", "GET", "information", "fr", "served"),
    ("/en/eta/check", "GET", "eta", "en", "served"),
    ("/en/eta/apply", "GET", "eta", "en", "queued"),
    ("/en/eta/apply/passport", "POST", "eta", "en", "queued"),
    ("/en/eta/apply/pay", "POST", "payment", "en", "shed"),
    ("/api/v1/busy", "GET", "api", "en", "shed"),
    ("/en/eta/status", "GET", "status", "en", "server_error"),
    ("/api/v1/crash", "GET", "api", "en", "server_error"),
    ("/en/eta", "POST", "information", "en", "client_error"),  # 405 from the cached site
    ("/en/" + "x" * 3000, "GET", "information", "en", "client_error"),  # 414
]


@pytest.fixture
def settings(make_settings: Callable[..., Settings], database_url: str) -> Settings:
    return make_settings(database_url=database_url, trusted_proxies="127.0.0.1")


async def test_every_arrival_is_counted_exactly_once(settings: Settings) -> None:
    services = build(settings)
    app = edge_app(services)
    analytics = services.analytics
    site = build_site(node_modules=NODE_MODULES, public_origin="http://x")
    edge = edge_with(site, tiny_app, analytics)
    expected: Counter[Cell] = Counter()
    transport = httpx.ASGITransport(app=edge, client=("127.0.0.1", 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        for repeat in range(3):
            for address, country in CLIENTS:
                for path, method, section, lang, outcome in TINY_MIX:
                    response = await client.request(
                        method,
                        path,
                        headers={"x-forwarded-for": address, "user-agent": BROWSER},
                    )
                    assert response.status_code < 600
                    expected[(section, lang, country, outcome, False)] += 1
            # A crawler and a client without a user agent: counted, flagged as bots.
            await client.get("/en/eta", headers={"user-agent": "Googlebot/2.1"})
            await client.get("/fr/ave", headers={"user-agent": ""})
            expected[("information", "en", "ZZ", "served", True)] += 1
            expected[("information", "fr", "ZZ", "served", True)] += 1
            del repeat
    # The whole application, too: a real 404 and a real page.
    transport = httpx.ASGITransport(app=app, client=("198.51.100.7", 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        for _ in range(5):
            # Untrusted peer: its X-Forwarded-For is ignored; 198.51.100.7 is documentation (ZZ).
            missing = await client.get(
                "/en/no-such-page", headers={"x-forwarded-for": "8.8.8.8", "user-agent": BROWSER}
            )
            assert missing.status_code == 404
            assert (await client.get("/en/eta", headers={"user-agent": BROWSER})).status_code == 200
            expected[("information", "en", "ZZ", "client_error", False)] += 1
            expected[("information", "en", "ZZ", "served", False)] += 1
    total = sum(expected.values())
    assert analytics.recorder.pending() == total

    written = await analytics.flusher.flush()
    assert written == total
    assert analytics.recorder.pending() == 0  # taken: nothing left to count twice
    start, end = window()
    minutes = await analytics.sql.counts("minute", start, end)
    hours = await analytics.sql.counts("hour", start // HOUR * HOUR, end)
    assert cells(minutes) == expected
    assert cells(hours) == expected
    # Visitors: distinct (address, user agent) of people; bots are not visitors.
    sketches = await analytics.sql.sketches("hour", start // HOUR * HOUR, end)
    whole = [s for k, s in sketches.items() if k.dimension == "all"]
    assert sum(s.count() for s in whole) == len(CLIENTS) + 1  # + the untrusted peer
    us = [s for k, s in sketches.items() if k.dimension == "country" and k.value == "US"]
    assert sum(s.count() for s in us) == 3
    await analytics.sql.database.close()


async def test_an_exception_is_counted_and_passes_through(
    make_settings: Callable[..., Settings], sqlite_url: str
) -> None:
    """Without the error shield inside, the tap records a server error and re-raises."""
    from northgate.edge.tap import Tap
    from northgate.storage.db import Database

    analytics = Analytics(make_settings(database_url=sqlite_url), Database(sqlite_url))
    tap = Tap(tiny_app, analytics.recorder)
    transport = httpx.ASGITransport(app=tap, raise_app_exceptions=True)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        with pytest.raises(RuntimeError, match="boom"):
            await client.get("/api/v1/crash")
    ((key, n),) = analytics.recorder.take().counts.items()
    assert (key.section, key.outcome, n) == ("api", "server_error", 1)
    await analytics.sql.database.close()


async def test_the_real_gate_s_waiting_room_is_counted_as_queued(
    make_settings: Callable[..., Settings], sqlite_url: str
) -> None:
    """The gate says "queued" through the hint: its waiting room is a 200, not "served"."""
    settings = make_settings(
        database_url=sqlite_url, gate_mode="fixed", gate_max_active=1, gate_admissions_per_minute=1
    )
    services = build(settings)
    analytics = services.analytics
    transport = httpx.ASGITransport(app=edge_app(services))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        for _ in range(4):  # four different visitors (no cookies kept): one gets in
            response = await client.get("/en/eta/apply", headers={"user-agent": BROWSER})
            assert response.status_code == 200
            client.cookies.clear()
    await analytics.flusher.flush()
    counts = cells(await analytics.sql.counts("minute", *window()))
    assert counts == {
        ("eta", "en", "ZZ", "served", False): 1,
        ("eta", "en", "ZZ", "queued", False): 3,
    }
    await analytics.sql.database.close()
