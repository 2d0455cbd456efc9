"""Operators' surfaces: the JSON API and the page need the operator token; the page has
charts (SVG, no JavaScript) exportable as PNG; `northgate report` prints tables."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from northgate.analytics.runtime import Analytics
from northgate.app import edge_app
from northgate.cli import main
from northgate.composition import build
from northgate.settings import Settings
from tests.analytics.synthetic import ELECTION_NIGHT, NORMAL, traffic
from tests.support.html import parse_html

TOKEN = "s3cret-operator-token"
WEEK_MINUTES = 7 * 24 * 60


async def fill(analytics: Analytics) -> None:
    end = int(time.time() // 60)
    await analytics.sql.apply(traffic(end - 30, 30, 60_000, ELECTION_NIGHT, 1, "now"), 0)
    await analytics.sql.apply(traffic(end - 30 - WEEK_MINUTES, 30, 6_000, NORMAL, 2, "lw"), 0)


@pytest.fixture
async def operator_client(
    make_settings: Callable[..., Settings], sqlite_url: str
) -> AsyncIterator[httpx.AsyncClient]:
    services = build(make_settings(database_url=sqlite_url, operator_token=TOKEN))
    await fill(services.analytics)
    transport = httpx.ASGITransport(app=edge_app(services))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client
    await services.aclose()


BEARER = {"authorization": f"Bearer {TOKEN}"}


@pytest.mark.parametrize(
    "path", ["/api/v1/analytics/live", "/api/v1/analytics/report?hours=1", "/ops/analytics"]
)
async def test_operators_only(operator_client: httpx.AsyncClient, path: str) -> None:
    assert (await operator_client.get(path)).status_code == 401
    wrong = await operator_client.get(path, headers={"authorization": "Bearer nope"})
    assert wrong.status_code == 401
    assert wrong.headers["www-authenticate"].startswith("Basic")
    assert (await operator_client.get(path, headers=BEARER)).status_code == 200
    basic = base64.b64encode(f"operator:{TOKEN}".encode()).decode()
    ok = await operator_client.get(path, headers={"authorization": f"Basic {basic}"})
    assert ok.status_code == 200


async def test_no_token_configured_means_no_access(
    make_settings: Callable[..., Settings], sqlite_url: str
) -> None:
    services = build(make_settings(database_url=sqlite_url))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=edge_app(services)), base_url="http://t"
    ) as client:
        response = await client.get("/api/v1/analytics/live", headers={"authorization": "Bearer "})
    assert response.status_code == 403
    await services.aclose()


async def test_json_report_has_last_week_and_anomalies(operator_client: httpx.AsyncClient) -> None:
    body = (await operator_client.get("/api/v1/analytics/report?hours=1", headers=BEARER)).json()
    assert body["period"]["granularity"] == "minute"
    arrivals = body["totals"]["arrivals"]
    assert arrivals["value"] == 30_000 and arrivals["last_week"] == 3_000
    assert arrivals["ratio"] == 10.0
    assert set(body["by_section"]) == {"information", "eta", "payment", "status", "api",
                                       "assets", "ops"}  # fmt: skip
    us = next(row for row in body["by_country"] if row["country"] == "US")
    assert us["share"] == pytest.approx(0.5, abs=0.02)
    assert any(flag.startswith("US share") for flag in body["anomalies"]["flags"])
    assert len(body["series"]["starts"]) == 60
    live = (await operator_client.get("/api/v1/analytics/live", headers=BEARER)).json()
    assert live["period"]["live"] is True
    assert "live: the last 5 complete minutes" in live["period"]["description"]
    only = await operator_client.get("/api/v1/analytics/anomalies?hours=1", headers=BEARER)
    assert any(s["country"] == "US" and s["flagged"] for s in only.json()["country_shares"])


async def test_the_page_reads_at_a_glance_without_javascript(
    operator_client: httpx.AsyncClient,
) -> None:
    response = await operator_client.get("/ops/analytics?hours=1", headers=BEARER)
    assert response.headers["cache-control"] == "no-store"
    html = parse_html(response.content)
    assert html.find_all("script") == []
    assert len(html.find_all("svg", role="img")) == 2
    titles = [t.text.strip() for t in html.find_all("title")]
    assert "Arrivals by outcome, per minute" in titles
    assert "Arrivals by country, per minute" in titles
    assert len(html.find_all("section", **{"aria-label": "Anomalies"})) == 1
    assert "US share" in response.text
    assert "last week" in response.text


@pytest.mark.parametrize("name", ["outcomes", "countries"])
async def test_charts_export_as_png_and_svg(operator_client: httpx.AsyncClient, name: str) -> None:
    png = await operator_client.get(f"/ops/analytics/charts/{name}.png?hours=1", headers=BEARER)
    assert png.status_code == 200
    assert png.headers["content-type"] == "image/png"
    assert png.content.startswith(b"\x89PNG\r\n\x1a\n") and len(png.content) > 5_000
    svg = await operator_client.get(f"/ops/analytics/charts/{name}.svg?hours=1", headers=BEARER)
    assert svg.headers["content-type"].startswith("image/svg+xml")
    assert svg.text.startswith("<svg")
    missing = await operator_client.get("/ops/analytics/charts/nope.png", headers=BEARER)
    assert missing.status_code == 404


def test_northgate_report_in_the_terminal(
    make_settings: Callable[..., Settings], sqlite_url: str, tmp_path: Path
) -> None:
    import asyncio

    from northgate.storage.db import Database

    async def prepare() -> None:
        database = Database(sqlite_url)
        await fill(Analytics(make_settings(database_url=sqlite_url), database))
        await database.close()

    asyncio.run(prepare())
    runner = CliRunner()
    env = {"NORTHGATE_VAR_DIR": str(tmp_path / "var")}
    result = runner.invoke(main, ["report", "--hours", "1", "--database-url", sqlite_url], env=env)
    assert result.exit_code == 0, result.output
    for heading in ("By outcome", "By section", "By country (share of visitors)", "Anomalies"):
        assert heading in result.output
    assert "! US share" in result.output
    result = runner.invoke(
        main,
        ["report", "--hours", "1", "--json", "--png", str(tmp_path / "png"),
         "--database-url", sqlite_url],
        env=env,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    body = json.loads(result.output[: result.output.rindex("}") + 1])
    assert body["totals"]["arrivals"]["value"] == 30_000
    pngs = sorted(p.name for p in (tmp_path / "png").iterdir())
    assert len(pngs) == 2 and all(p.endswith(".png") for p in pngs)
    live = runner.invoke(main, ["report", "--database-url", sqlite_url], env=env)
    assert "live: the last 5 complete minutes" in live.output
