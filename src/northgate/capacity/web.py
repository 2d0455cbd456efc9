"""The operators' capacity surfaces: the page (English and French) with its calendar form
and chart exports, and the JSON API. Operators only (the analytics' token check).

The router is handed its service, settings and clock where the app is built
(northgate.app), like the analytics' router: both sit below the web layer."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from northgate.analytics.auth import operator_only
from northgate.analytics.report.charts import render_svg
from northgate.analytics.report.png import render_png
from northgate.capacity import form_token
from northgate.capacity.calendar import Event, EventErrors, parse_event
from northgate.capacity.page import PATHS, charts_of, error_messages, render_page
from northgate.capacity.serialise import event_json, overview_json
from northgate.capacity.service import CapacityService, Overview
from northgate.core.clock import Clock
from northgate.core.lang import Lang
from northgate.core.routes import path
from northgate.settings import Settings
from northgate.ui.assets import AssetBundle
from northgate.ui.i18n import negotiate_language

_NO_STORE = {"cache-control": "no-store"}


def capacity_router(
    service: CapacityService, settings: Settings, clock: Clock, assets: AssetBundle
) -> APIRouter:
    token = settings.operator_token.get_secret_value()
    router = APIRouter(dependencies=[Depends(operator_only(token))])
    tz = service.timezone

    def secret() -> bytes:
        return settings.effective_secret_key

    async def page(
        request: Request,
        lang: Lang,
        *,
        status: int = 200,
        errors: dict[str, str] | None = None,
        values: dict[str, str] | None = None,
    ) -> HTMLResponse:
        cookie = form_token.valid_cookie(request.cookies.get(form_token.COOKIE_NAME))
        new = None
        if cookie is None:
            cookie = new = form_token.new_cookie()
        overview = await service.overview(clock())
        html = await asyncio.to_thread(
            render_page,
            overview,
            tz,
            lang=lang,
            assets=assets,
            csrf_token=form_token.token_for(secret(), cookie),
            errors=errors,
            values=values,
        )
        response = HTMLResponse(html, status_code=status, headers=_NO_STORE)
        if new is not None:
            response.set_cookie(
                form_token.COOKIE_NAME,
                new,
                httponly=True,
                secure=settings.behind_tls,
                samesite="strict",
                path=PATHS["en"],
            )
        return response

    async def form_of(request: Request) -> dict[str, str]:
        form = await request.form()
        return {key: value for key, value in form.items() if isinstance(value, str)}

    def forged(request: Request, values: dict[str, str]) -> bool:
        cookie = request.cookies.get(form_token.COOKIE_NAME)
        return not form_token.token_valid(secret(), cookie, values.get("csrf_token"))

    async def add(request: Request, lang: Lang) -> Response:
        values = await form_of(request)
        if forged(request, values):
            return await page(request, lang, status=403, errors={"form": "csrf"})
        parsed = parse_event(values, tz)
        if isinstance(parsed, EventErrors):
            shown = {k: v for k, v in values.items() if k != "csrf_token"}
            return await page(request, lang, status=422, errors=parsed.fields, values=shown)
        await service.add_event(parsed, clock())
        return RedirectResponse(f"{PATHS[lang]}#calendar", status_code=303, headers=_NO_STORE)

    async def remove(request: Request, lang: Lang, event_id: int) -> Response:
        values = await form_of(request)
        if forged(request, values):
            return await page(request, lang, status=403, errors={"form": "csrf"})
        if not await service.remove_event(event_id):
            return await page(request, lang, status=404, errors={"form": "missing"})
        return RedirectResponse(f"{PATHS[lang]}#calendar", status_code=303, headers=_NO_STORE)

    @router.get(PATHS["en"], include_in_schema=False)
    async def page_en(request: Request) -> HTMLResponse:
        return await page(request, "en")

    @router.get(PATHS["fr"], include_in_schema=False)
    async def page_fr(request: Request) -> HTMLResponse:
        return await page(request, "fr")

    @router.post(path("ops.calendar", "en"), include_in_schema=False)
    async def add_en(request: Request) -> Response:
        return await add(request, "en")

    @router.post(path("ops.calendar", "fr"), include_in_schema=False)
    async def add_fr(request: Request) -> Response:
        return await add(request, "fr")

    @router.post(path("ops.calendar.delete", "en"), include_in_schema=False)
    async def remove_en(request: Request, event_id: int) -> Response:
        return await remove(request, "en", event_id)

    @router.post(path("ops.calendar.delete", "fr"), include_in_schema=False)
    async def remove_fr(request: Request, event_id: int) -> Response:
        return await remove(request, "fr", event_id)

    @router.get(path("ops.capacity.chart"), include_in_schema=False)
    async def chart(
        name: str,
        fmt: str,
        lang: Annotated[Lang, Query(description="en or fr: the chart's words")] = "en",
    ) -> Response:
        if fmt not in ("png", "svg"):
            raise HTTPException(404)
        overview = await service.overview(clock())
        charts = charts_of(overview, tz, lang)
        if name not in charts:
            raise HTTPException(404)
        stamp = overview.now.strftime("%Y%m%dT%H%MZ")
        disposition = {"content-disposition": f'inline; filename="northgate-{name}-{stamp}.{fmt}"'}
        if fmt == "svg":
            svg = await asyncio.to_thread(render_svg, charts[name])
            return Response(svg, media_type="image/svg+xml", headers={**_NO_STORE, **disposition})
        png = await asyncio.to_thread(render_png, charts[name])
        return Response(png, media_type="image/png", headers={**_NO_STORE, **disposition})

    # The JSON API: errors in the language the client asks for (Accept-Language).

    def invalid(request: Request, errors: EventErrors) -> JSONResponse:
        words = error_messages(negotiate_language(request.headers.get("accept-language")))
        return JSONResponse(
            {"errors": {name: words[code] for name, code in errors.fields.items()}},
            status_code=422,
            headers=_NO_STORE,
        )

    def not_found(request: Request) -> JSONResponse:
        words = error_messages(negotiate_language(request.headers.get("accept-language")))
        return JSONResponse({"detail": words["missing"]}, status_code=404, headers=_NO_STORE)

    async def body_of(request: Request) -> dict[str, Any] | None:
        try:
            body = await request.json()
        except ValueError:
            return None
        return body if isinstance(body, dict) else None

    def json_event(event: Event) -> JSONResponse:
        return JSONResponse(event_json(event, tz), headers=_NO_STORE)

    @router.get(path("api.capacity"), tags=["capacity"])
    async def overview() -> JSONResponse:
        """Capacity now, the forecast with time to saturation, advice, warnings, alerts,
        the calendar's advice and the scaling history."""
        result: Overview = await service.overview(clock())
        return JSONResponse(overview_json(result, tz), headers=_NO_STORE)

    @router.get(path("api.capacity.events"), tags=["capacity"])
    async def list_events() -> JSONResponse:
        """Every event in the calendar, past ones included."""
        events = await service.events()
        return JSONResponse({"events": [event_json(e, tz) for e in events]}, headers=_NO_STORE)

    @router.post(path("api.capacity.events"), tags=["capacity"], status_code=201)
    async def create_event(request: Request) -> JSONResponse:
        """Add an event: ``name``, ``starts_at``, ``ends_at`` (ISO 8601; without an offset,
        the operators' time zone), ``multiplier``, ``pre_queue``."""
        body = await body_of(request)
        if body is None:
            return invalid(request, EventErrors({"body": "body.invalid"}))
        parsed = parse_event(body, tz)
        if isinstance(parsed, EventErrors):
            return invalid(request, parsed)
        created = await service.add_event(parsed, clock())
        return JSONResponse(event_json(created, tz), status_code=201, headers=_NO_STORE)

    @router.get(path("api.capacity.event"), tags=["capacity"])
    async def get_event(request: Request, event_id: int) -> JSONResponse:
        found = await service.calendar.get(event_id)
        return json_event(found) if found is not None else not_found(request)

    @router.put(path("api.capacity.event"), tags=["capacity"])
    async def update_event(request: Request, event_id: int) -> JSONResponse:
        """Replace an event (the same fields as adding one)."""
        body = await body_of(request)
        if body is None:
            return invalid(request, EventErrors({"body": "body.invalid"}))
        parsed = parse_event(body, tz, event_id=event_id)
        if isinstance(parsed, EventErrors):
            return invalid(request, parsed)
        updated = await service.update_event(event_id, parsed)
        return json_event(updated) if updated is not None else not_found(request)

    @router.delete(path("api.capacity.event"), tags=["capacity"], status_code=204)
    async def delete_event(request: Request, event_id: int) -> Response:
        if not await service.remove_event(event_id):
            return not_found(request)
        return Response(status_code=204, headers=_NO_STORE)

    return router
