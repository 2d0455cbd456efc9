"""Operator surfaces over HTTP: the JSON API and the analytics page, with chart exports."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from northgate.analytics.auth import require_operator
from northgate.analytics.charts import charts_of, render_svg
from northgate.analytics.page import PAGE_POLICY, render_page
from northgate.analytics.periods import Period, last_hours, live_period, period_between
from northgate.analytics.png import render_png
from northgate.analytics.report import Report
from northgate.analytics.runtime import Analytics

router = APIRouter(dependencies=[Depends(require_operator)])
_NO_STORE = {"cache-control": "no-store"}
MAX_HOURS = 24 * 400

Hours = Annotated[str | None, Query(description="'live' or a number of hours back from now")]
When = Annotated[dt.datetime | None, Query(description="ISO 8601 with a time zone")]


def _analytics(request: Request) -> Analytics:
    analytics: Analytics | None = getattr(request.app.state, "analytics", None)
    if analytics is None:
        raise HTTPException(404, "analytics are not configured")
    return analytics


def choose_period(hours: str | None, start: dt.datetime | None, end: dt.datetime | None) -> Period:
    now = dt.datetime.now(dt.UTC)
    try:
        if start is not None:
            return period_between(start, end or now)
        if hours is None or hours == "live":
            return live_period(now)
        value = float(hours)
    except ValueError as error:
        raise HTTPException(422, str(error)) from error
    if not 0 < value <= MAX_HOURS:
        raise HTTPException(422, f"hours must be in (0, {MAX_HOURS}]")
    return last_hours(now, value)


async def _report(request: Request, period: Period) -> Report:
    return await _analytics(request).reports.report(period)


@router.get("/api/v1/analytics/live", tags=["analytics"])
async def live(request: Request) -> JSONResponse:
    """The last 5 complete minutes, with the same time last week and anomaly flags."""
    report = await _report(request, live_period(dt.datetime.now(dt.UTC)))
    return JSONResponse(report.to_json(), headers=_NO_STORE)


@router.get("/api/v1/analytics/report", tags=["analytics"])
async def report(
    request: Request, hours: Hours = None, start: When = None, end: When = None
) -> JSONResponse:
    """Any period: ``?hours=24``, or ``?start=…&end=…`` (ISO 8601); default live."""
    chosen = await _report(request, choose_period(hours, start, end))
    return JSONResponse(chosen.to_json(), headers=_NO_STORE)


@router.get("/api/v1/analytics/anomalies", tags=["analytics"])
async def anomalies(
    request: Request, hours: Hours = None, start: When = None, end: When = None
) -> JSONResponse:
    """Only the anomaly flags and the tests behind them."""
    chosen = (await _report(request, choose_period(hours, start, end))).to_json()
    body: dict[str, Any] = {"period": chosen["period"], **chosen["anomalies"]}
    return JSONResponse(body, headers=_NO_STORE)


@router.get("/ops/analytics", include_in_schema=False)
async def page(request: Request, hours: Hours = None) -> HTMLResponse:
    analytics = _analytics(request)
    chosen = await _report(request, choose_period(hours, None, None))
    html = render_page(chosen, analytics.reports.timezone, hours or "live")
    return HTMLResponse(html, headers={**_NO_STORE, "content-security-policy": PAGE_POLICY})


@router.get("/ops/analytics/charts/{name}.{fmt}", include_in_schema=False)
async def chart(
    request: Request,
    name: str,
    fmt: str,
    hours: Hours = None,
    start: When = None,
    end: When = None,
) -> Response:
    analytics = _analytics(request)
    if fmt not in ("png", "svg"):
        raise HTTPException(404)
    chosen = await _report(request, choose_period(hours, start, end))
    charts = charts_of(chosen, analytics.reports.timezone)
    if name not in charts:
        raise HTTPException(404)
    stamp = chosen.period.end.strftime("%Y%m%dT%H%MZ")
    disposition = {"content-disposition": f'inline; filename="northgate-{name}-{stamp}.{fmt}"'}
    if fmt == "svg":
        return Response(
            render_svg(charts[name]),
            media_type="image/svg+xml",
            headers={**_NO_STORE, **disposition},
        )
    png = await asyncio.to_thread(render_png, charts[name])
    return Response(png, media_type="image/png", headers={**_NO_STORE, **disposition})
