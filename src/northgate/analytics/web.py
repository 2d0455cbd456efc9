"""Operator surfaces over HTTP: the JSON API and the analytics page, with chart exports."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response

from northgate.analytics.auth import require_operator
from northgate.analytics.report.charts import charts_of, render_svg
from northgate.analytics.report.model import Report
from northgate.analytics.report.page import PATHS, render_page
from northgate.analytics.report.periods import Period, PeriodError, live_period, requested_period
from northgate.analytics.report.png import render_png
from northgate.analytics.runtime import Analytics
from northgate.core.clock import clock_of
from northgate.core.lang import Lang
from northgate.core.routes import path

router = APIRouter(dependencies=[Depends(require_operator)])
_NO_STORE = {"cache-control": "no-store"}

Hours = Annotated[str | None, Query(description="'live' or a number of hours back from now")]
When = Annotated[dt.datetime | None, Query(description="ISO 8601 with a time zone")]


def _analytics(request: Request) -> Analytics:
    analytics: Analytics | None = getattr(request.app.state, "analytics", None)
    if analytics is None:
        raise HTTPException(404, "analytics are not configured")
    return analytics


def choose_period(
    request: Request, hours: str | None, start: dt.datetime | None, end: dt.datetime | None
) -> Period:
    kept = dt.timedelta(days=request.app.state.settings.analytics_hour_retention_days)
    try:
        number = None if hours is None or hours == "live" else float(hours)
        return requested_period(number, start, end, now=clock_of(request.app.state)(), kept=kept)
    except (ValueError, PeriodError) as error:
        detail = str(error) if isinstance(error, PeriodError) else "hours must be a number"
        raise HTTPException(422, detail) from error


async def _report(request: Request, period: Period) -> Report:
    return await _analytics(request).reports.report(period)


async def _json(report: Report) -> JSONResponse:
    """A long period's series are large: turning them into JSON is kept off the event loop."""
    return await asyncio.to_thread(lambda: JSONResponse(report.to_json(), headers=_NO_STORE))


@router.get(path("api.analytics.live"), tags=["analytics"])
async def live(request: Request) -> JSONResponse:
    """The last 5 complete minutes, with the same time last week and anomaly flags."""
    return await _json(await _report(request, live_period(clock_of(request.app.state)())))


@router.get(path("api.analytics.report"), tags=["analytics"])
async def report(
    request: Request, hours: Hours = None, start: When = None, end: When = None
) -> JSONResponse:
    """Any period: ``?hours=24``, or ``?start=…&end=…`` (ISO 8601); default live."""
    return await _json(await _report(request, choose_period(request, hours, start, end)))


@router.get(path("api.analytics.anomalies"), tags=["analytics"])
async def anomalies(
    request: Request, hours: Hours = None, start: When = None, end: When = None
) -> JSONResponse:
    """Only the anomaly flags and the tests behind them."""
    report = await _report(request, choose_period(request, hours, start, end))
    chosen = await asyncio.to_thread(report.to_json)
    body: dict[str, Any] = {"period": chosen["period"], **chosen["anomalies"]}
    return JSONResponse(body, headers=_NO_STORE)


async def _page(request: Request, hours: str | None, lang: Lang) -> HTMLResponse:
    analytics = _analytics(request)
    period = choose_period(request, hours, None, None)
    chosen = await _report(request, period)
    html = await asyncio.to_thread(
        render_page,
        chosen,
        analytics.reports.timezone,
        hours or "live",
        lang=lang,
        assets=request.app.state.site.assets,
        baseline_weeks=analytics.reports.baseline_weeks,
        flush_seconds=analytics.reports.flush_seconds,
    )
    return HTMLResponse(html, headers=_NO_STORE)


@router.get(PATHS["en"], include_in_schema=False)
async def page(request: Request, hours: Hours = None) -> HTMLResponse:
    return await _page(request, hours, "en")


@router.get(PATHS["fr"], include_in_schema=False)
async def page_fr(request: Request, hours: Hours = None) -> HTMLResponse:
    return await _page(request, hours, "fr")


@router.get(path("ops.analytics.chart"), include_in_schema=False)
async def chart(
    request: Request,
    name: str,
    fmt: str,
    hours: Hours = None,
    start: When = None,
    end: When = None,
    lang: Annotated[Lang, Query(description="en or fr: the chart's words")] = "en",
) -> Response:
    analytics = _analytics(request)
    if fmt not in ("png", "svg"):
        raise HTTPException(404)
    try:
        period = choose_period(request, hours, start, end)
    except HTTPException as error:
        # Outside /api/ errors get the site's generic page: say what was wrong instead.
        return PlainTextResponse(str(error.detail), error.status_code, headers=_NO_STORE)
    chosen = await _report(request, period)
    charts = await asyncio.to_thread(charts_of, chosen, analytics.reports.timezone, lang)
    if name not in charts:
        raise HTTPException(404)
    stamp = chosen.period.end.strftime("%Y%m%dT%H%MZ")
    disposition = {"content-disposition": f'inline; filename="northgate-{name}-{stamp}.{fmt}"'}
    if fmt == "svg":
        return Response(
            await asyncio.to_thread(render_svg, charts[name]),
            media_type="image/svg+xml",
            headers={**_NO_STORE, **disposition},
        )
    png = await asyncio.to_thread(render_png, charts[name])
    return Response(png, media_type="image/png", headers={**_NO_STORE, **disposition})
