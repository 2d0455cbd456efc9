"""Build the ASGI application from settings: the edge in front of the web application.

Request flow, outermost first (DESIGN.md): analytics tap → error shield → request limits →
cached site → admission gate → web application (FastAPI: health, information-site forms,
the eTA journey, the JSON API, the sandbox payment page, operators' analytics). Jobs run in
an embedded worker unless production runs `northgate worker` processes.
"""

from __future__ import annotations

import contextlib
import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from northgate import __version__
from northgate.analytics import web as analytics_web
from northgate.analytics.runtime import Analytics
from northgate.api import routes as api_routes
from northgate.api.docs import add_docs
from northgate.core.asgi import ASGIApp
from northgate.core.routes import path
from northgate.edge.errors import ErrorPages
from northgate.edge.gate import build_gate
from northgate.edge.limits import RequestLimits
from northgate.edge.security import SecurityHeaders, security_headers
from northgate.edge.shield import ErrorShield
from northgate.edge.tap import Tap
from northgate.outage.classify import DATABASE, REDIS
from northgate.payments.sandbox_page import sandbox_router
from northgate.services import build_services, running_worker
from northgate.settings import Settings
from northgate.site.render import Site, build_site
from northgate.site.server import SiteServer
from northgate.storage import shared
from northgate.storage.db import Database
from northgate.web import feedback, health
from northgate.web.errors import install_error_pages
from northgate.web.eta import apply, pay, save, status, triage
from northgate.web.guards import build_guards

log = logging.getLogger(__name__)


def freeze_start_up_objects() -> None:
    """Move everything built at start-up (pre-rendered site, templates, country and address
    tables) out of the garbage collector's sight: full collections then only walk what
    requests allocate. Measured on a cached page: ~2-3 us less CPU per request (of ~33)."""
    gc.collect()
    gc.freeze()


def create_web_app(
    settings: Settings, site: Site, database: Database, analytics: Analytics | None = None
) -> FastAPI:
    redis = shared.connect(settings.redis_url) if settings.redis_url else None
    services = build_services(settings, database)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        async with contextlib.AsyncExitStack() as stack:
            if settings.embedded_worker:
                await stack.enter_async_context(running_worker(services.worker))
            if analytics is not None and settings.analytics_enabled:
                await analytics.start()
                stack.push_async_callback(analytics.stop)
            stack.push_async_callback(services.watch.close)
            freeze_start_up_objects()
            yield
        await database.close()
        if redis is not None:
            await redis.aclose()

    app = FastAPI(
        title="Northgate",
        version=__version__,
        lifespan=lifespan,
        # Served by add_docs, with the policy Swagger UI needs (northgate.api.docs).
        docs_url=None,
        redoc_url=None,
        openapi_url=path("api.openapi"),
    )
    add_docs(app)
    app.state.settings = settings
    app.state.site = site
    app.state.database = database
    app.state.redis = redis
    app.state.applications = services.applications
    app.state.payments = services.payments
    app.state.services = services
    app.state.watch = services.watch
    if redis is not None:
        services.watch.probes[REDIS] = redis.ping
    app.state.analytics = analytics
    app.state.guards = build_guards(settings, redis)
    if analytics is not None:
        analytics.flusher.watch = services.watch
    install_error_pages(app, site)
    app.include_router(health.router)
    app.include_router(feedback.router)
    app.include_router(analytics_web.router)
    app.include_router(api_routes.router)
    app.include_router(triage.router)
    app.include_router(apply.router)
    app.include_router(pay.router)
    app.include_router(save.router)
    app.include_router(status.router)
    app.include_router(sandbox_router(services.gateway, site.assets))
    # Question pages match any slug under the application path, so they come last.
    app.include_router(apply.steps_router)
    return app


def create_app(settings: Settings | None = None) -> ASGIApp:
    settings = settings or Settings()
    site = build_site(node_modules=settings.node_modules, public_origin=settings.public_origin)
    database = Database(settings.effective_database_url)
    headers = security_headers(tls=settings.behind_tls)
    errors = ErrorPages(site.errors, headers)
    analytics = Analytics(settings, database, information_paths=site.addresses())
    web = create_web_app(settings, site, database, analytics)
    # The admission gate stands behind the cached site: information pages and assets never
    # reach it. The journey ends a pass with northgate.edge.gate.end_pass(request.scope).
    gate = build_gate(settings, web, errors, site.assets)
    web.state.gate = gate.core
    # The database down is capacity lost: nobody new is admitted until it answers again
    # (people keep their place in line; passes already given stay valid).
    watch = web.state.watch
    gate.core.paused = lambda: watch.is_down(DATABASE)
    # Pre-rendered pages and error pages carry the security headers in their prepared
    # messages; the gate (waiting room) and the application get them from the middleware.
    edge: ASGIApp = SiteServer(site, SecurityHeaders(gate, headers), errors)
    edge = RequestLimits(
        edge, errors, max_body_bytes=settings.max_body_bytes, max_url_bytes=settings.max_url_bytes
    )
    # Outermost: counts every arrival, including those refused or failed inside, and turns
    # any unhandled error into the 500 page (the tap is the error shield when it is on).
    if settings.analytics_enabled:
        return Tap(edge, analytics.recorder, errors=errors)
    return ErrorShield(edge, errors)
