"""Operator surfaces over HTTP: the JSON API and the analytics page, with chart exports.

The router is built over the process's analytics, settings and clock (northgate.app): the
analytics sit below the web layer, so they are handed in rather than read from it."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response

from northgate.analytics.auth import operator_only
from northgate.analytics.report.charts import charts_of, render_svg
from northgate.analytics.report.model import Report
from northgate.analytics.report.page import PATHS, render_page
from northgate.analytics.report.periods import Period, PeriodError, live_period, requested_period
from northgate.analytics.report.png import render_png
from northgate.analytics.runtime import Analytics
from northgate.core.clock import Clock
from northgate.core.lang import Lang
from northgate.core.routes import path
from northgate.settings import Settings
from northgate.ui.assets import AssetBundle

_NO_STORE = {"cache-control": "no-store"}

Hours = Annotated[str | None, Query(description="'live' or a number of hours back from now")]
When = Annotated[dt.datetime | None, Query(description="ISO 8601 with a time zone")]


def choose_period(
    settings: Settings,
    clock: Clock,
    hours: str | None,
    start: dt.datetime | None,
    end: dt.datetime | None,
) -> Period:
    kept = dt.timedelta(days=settings.analytics_hour_retention_days)
    try:
        number = None if hours is None or hours == "live" else float(hours)
        return requested_period(number, start, end, now=clock(), kept=kept)
    except (ValueError, PeriodError) as error:
        detail = str(error) if isinstance(error, PeriodError) else "hours must be a number"
        raise HTTPException(422, detail) from error


async def _report(analytics: Analytics, period: Period) -> Report:
    return await analytics.reports.report(period)


async def _json(report: Report) -> JSONResponse:
    """A long period's series are large: turning them into JSON is kept off the event loop."""
    return await asyncio.to_thread(lambda: JSONResponse(report.to_json(), headers=_NO_STORE))


async def _page(
    analytics: Analytics,
    settings: Settings,
    clock: Clock,
    assets: AssetBundle,
    hours: str | None,
    lang: Lang,
) -> HTMLResponse:
    period = choose_period(settings, clock, hours, None, None)
    chosen = await _report(analytics, period)
    html = await asyncio.to_thread(
        render_page,
        chosen,
        analytics.reports.timezone,
        hours or "live",
        lang=lang,
        assets=assets,
        baseline_weeks=analytics.reports.baseline_weeks,
        flush_seconds=analytics.reports.flush_seconds,
    )
    return HTMLResponse(html, headers=_NO_STORE)


def operator_router(
    analytics: Analytics, settings: Settings, clock: Clock, assets: AssetBundle
) -> APIRouter:
    """The operators' endpoints, over ``analytics``; ``assets`` style the page."""
    token = settings.operator_token.get_secret_value()
    router = APIRouter(dependencies=[Depends(operator_only(token))])

    @router.get(path("api.analytics.live"), tags=["analytics"])
    async def live() -> JSONResponse:
        """The last 5 complete minutes, with the same time last week and anomaly flags."""
        return await _json(await _report(analytics, live_period(clock())))

    @router.get(path("api.analytics.report"), tags=["analytics"])
    async def report(
        hours: Hours = None,
        start: When = None,
        end: When = None,
    ) -> JSONResponse:
        """Any period: ``?hours=24``, or ``?start=…&end=…`` (ISO 8601); default live."""
        period = choose_period(settings, clock, hours, start, end)
        return await _json(await _report(analytics, period))

    @router.get(path("api.analytics.anomalies"), tags=["analytics"])
    async def anomalies(
        hours: Hours = None,
        start: When = None,
        end: When = None,
    ) -> JSONResponse:
        """Only the anomaly flags and the tests behind them."""
        report = await _report(analytics, choose_period(settings, clock, hours, start, end))
        chosen = await asyncio.to_thread(report.to_json)
        body: dict[str, Any] = {"period": chosen["period"], **chosen["anomalies"]}
        return JSONResponse(body, headers=_NO_STORE)

    @router.get(PATHS["en"], include_in_schema=False)
    async def page(hours: Hours = None) -> HTMLResponse:
        return await _page(analytics, settings, clock, assets, hours, "en")

    @router.get(PATHS["fr"], include_in_schema=False)
    async def page_fr(hours: Hours = None) -> HTMLResponse:
        return await _page(analytics, settings, clock, assets, hours, "fr")

    @router.get(path("ops.analytics.chart"), include_in_schema=False)
    async def chart(
        name: str,
        fmt: str,
        hours: Hours = None,
        start: When = None,
        end: When = None,
        lang: Annotated[Lang, Query(description="en or fr: the chart's words")] = "en",
    ) -> Response:
        if fmt not in ("png", "svg"):
            raise HTTPException(404)
        try:
            period = choose_period(settings, clock, hours, start, end)
        except HTTPException as error:
            # Outside /api/ errors get the site's generic page: say what was wrong instead.
            return PlainTextResponse(str(error.detail), error.status_code, headers=_NO_STORE)
        chosen = await _report(analytics, period)
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

    return router
