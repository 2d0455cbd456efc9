"""The application's errors rendered with the site's bilingual error pages."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from fastapi import FastAPI, Request
from fastapi.exception_handlers import request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect
from starlette.responses import Response

from northgate.core.lang import language_of_path
from northgate.core.routes import is_api_path
from northgate.edge.limits import BodyTooLarge
from northgate.outage.classify import OUTAGE_TYPES, dependency_of
from northgate.outage.watch import DependencyWatch
from northgate.site.render import Site
from northgate.web import unavailable as unavailable_pages

log = logging.getLogger(__name__)


def install_error_pages(app: FastAPI, site: Site, watch: DependencyWatch) -> None:
    def page(request: Request, status: int, headers: Mapping[str, str] | None = None) -> Response:
        lang = language_of_path(request.url.path)
        cached = site.error(status, lang)
        body = b"" if request.method == "HEAD" else cached.body
        response = Response(
            body,
            status_code=status,
            media_type=cached.content_type,
            headers={"cache-control": cached.cache_control, **(headers or {})},
        )
        return response

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        if is_api_path(request.url.path):
            return JSONResponse(
                {"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers
            )
        return page(request, exc.status_code, exc.headers)

    async def undeliverable(request: Request, _exc: Exception) -> Response:
        # The client went away or sent a body the server could not decode (bad chunking).
        return page(request, 400, {"connection": "close"})

    async def too_large(request: Request, _exc: Exception) -> Response:
        return page(request, 413, {"connection": "close"})

    async def unhandled(request: Request, exc: Exception) -> Response:
        log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
        return page(request, 500)

    async def unavailable(request: Request, exc: Exception) -> Response:
        # Registered for the exception types an outage raises, so that Starlette answers
        # here and does not re-raise (its catch-all handler re-raises after answering,
        # and the edge would log the traceback a second time).
        dependency = dependency_of(exc)
        if dependency is None:
            return await unhandled(request, exc)
        watch.failed(dependency, exc)
        retry_after = unavailable_pages.retry_after_seconds()
        if is_api_path(request.url.path):
            return unavailable_pages.unavailable_json(retry_after)
        fields = await unavailable_pages.posted_fields(request)
        return unavailable_pages.unavailable_page(request, site.assets, fields or None, retry_after)

    async def invalid(request: Request, exc: Exception) -> Response:
        if is_api_path(request.url.path):
            assert isinstance(exc, RequestValidationError)
            return await request_validation_exception_handler(request, exc)
        return page(request, 400)

    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(BodyTooLarge, too_large)
    app.add_exception_handler(ClientDisconnect, undeliverable)
    app.add_exception_handler(RequestValidationError, invalid)
    for outage_type in OUTAGE_TYPES:
        app.add_exception_handler(outage_type, unavailable)
    app.add_exception_handler(Exception, unhandled)
