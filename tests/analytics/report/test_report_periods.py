"""Reports cover bounded periods only, and building one never holds the event loop that
serves visitors; `northgate report --start` takes the offsets its help shows."""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from northgate.analytics.report import service
from northgate.analytics.report.build import build_report
from northgate.cli import main
from northgate.settings import Settings
from tests.analytics.test_surfaces import BEARER, operator_client  # noqa: F401 (fixture)

REPORTS = ["/api/v1/analytics/report", "/api/v1/analytics/anomalies"]


def _iso(moment: dt.datetime) -> str:
    return moment.isoformat(timespec="minutes")


@pytest.mark.parametrize("path", [*REPORTS, "/ops/analytics/charts/outcomes.svg"])
@pytest.mark.parametrize(
    ("query", "says"),
    [
        ({"start": "0259-01-01T00:00Z", "end": "0259-01-02T00:00Z"}, "start must be no earlier"),
        ({"start": "0259-01-01T00:00Z"}, "start must be no earlier"),
        ({"start": "2026-01-01T00:00Z", "end": "9999-12-31T00:00Z"}, "end must be no later"),
        ({"start": "2026-11-08T23:00"}, "time zone"),
        ({"end": "2026-11-08T23:00Z"}, "give a start"),
        ({"hours": "9601"}, "at most 9600"),
        ({"hours": "nan"}, "hours must be"),
    ],
)
async def test_periods_out_of_bounds_are_refused_clearly(
    operator_client: httpx.AsyncClient,  # noqa: F811
    path: str,
    query: dict[str, str],
    says: str,
) -> None:
    response = await operator_client.get(path, params=query, headers=BEARER)
    assert response.status_code == 422, response.text
    detail = response.json()["detail"] if path.startswith("/api/") else response.text
    assert says in detail


async def test_a_period_within_what_is_kept_is_reported(
    operator_client: httpx.AsyncClient,  # noqa: F811
) -> None:
    now = dt.datetime.now(dt.UTC)
    eastern = dt.timezone(dt.timedelta(hours=-5))
    start = (now - dt.timedelta(days=399)).astimezone(eastern)
    for path in REPORTS:
        response = await operator_client.get(
            path, params={"start": _iso(start), "end": _iso(now)}, headers=BEARER
        )
        assert response.status_code == 200, response.text
        # Compared as instants: the report may write a whole hour as "…T00:00+00:00".
        assert dt.datetime.fromisoformat(response.json()["period"]["start"]) <= start


async def test_the_event_loop_keeps_answering_while_a_report_is_built(
    operator_client: httpx.AsyncClient,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The report's computation is held (as a long one would run) until a visitor's page
    has been served beside it. Built on the event loop, the hold would stop the loop: no
    page could be served and the hold would give up, failing the report."""
    building, release = threading.Event(), threading.Event()

    def held_build(*args: Any, **kwargs: Any) -> Any:
        building.set()
        if not release.wait(timeout=30):
            raise AssertionError("nothing was served while the report was built")
        return build_report(*args, **kwargs)

    monkeypatch.setattr(service, "build_report", held_build)
    report = asyncio.create_task(
        operator_client.get("/api/v1/analytics/report", params={"hours": 1}, headers=BEARER)
    )
    assert await asyncio.to_thread(building.wait, 30)
    visitor = await operator_client.get("/en/")
    assert visitor.status_code == 200
    assert not report.done()
    release.set()
    response = await report
    assert response.status_code == 200
    assert response.json()["totals"]["arrivals"]["value"] == 30_000


def _report(sqlite_url: str, tmp_path: Path, *args: str) -> Any:
    env = {"NORTHGATE_VAR_DIR": str(tmp_path / "var")}
    return CliRunner().invoke(main, ["report", *args, "--database-url", sqlite_url], env=env)


def test_report_start_takes_an_offset(
    make_settings: Callable[..., Settings], sqlite_url: str, tmp_path: Path
) -> None:
    eastern = dt.timezone(dt.timedelta(hours=-5))
    start = (dt.datetime.now(dt.UTC) - dt.timedelta(days=2)).astimezone(eastern)
    start = start.replace(minute=0, second=0, microsecond=0)
    end = start + dt.timedelta(hours=2)
    result = _report(sqlite_url, tmp_path, "--start", _iso(start), "--end", _iso(end), "--json")
    assert result.exit_code == 0, result.output
    assert f'"start": "{start.astimezone(dt.UTC).isoformat()}"' in result.output
    # No offset: UTC, as the help says.
    naive = start.astimezone(dt.UTC).replace(tzinfo=None)
    result = _report(sqlite_url, tmp_path, "--start", _iso(naive), "--hours", "1")
    assert result.exit_code == 2
    assert "either hours or a start" in result.output


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--start", "0259-01-01T00:00Z"], "start must be no earlier than"),
        (["--start", "8 November"], "not an ISO 8601 date and time"),
        (["--hours", "0"], "hours must be more than 0"),
    ],
)
def test_report_refuses_bad_periods_in_one_line(
    sqlite_url: str, tmp_path: Path, args: list[str], says: str
) -> None:
    result = _report(sqlite_url, tmp_path, *args)
    assert result.exit_code == 2
    assert says in result.output
    assert "Traceback" not in result.output
