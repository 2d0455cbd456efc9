"""Build the ASGI application from settings: the edge in front of the web application.

Request flow, outermost first (DESIGN.md): error shield → request limits → cached site →
web application (FastAPI: health, forms, API).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from northgate import __version__
from northgate.edge.asgi import ASGIApp
from northgate.edge.limits import RequestLimits
from northgate.edge.shield import ErrorShield
from northgate.settings import Settings
from northgate.site.render import Site, build_site
from northgate.site.server import ErrorPages, SiteServer
from northgate.storage import shared
from northgate.storage.db import Database
from northgate.web import feedback, health
from northgate.web.errors import install_error_pages

log = logging.getLogger(__name__)


def create_web_app(settings: Settings, site: Site, database: Database) -> FastAPI:
    redis = shared.connect(settings.redis_url) if settings.redis_url else None

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        await database.close()
        if redis is not None:
            await redis.aclose()

    app = FastAPI(
        title="Northgate",
        version=__version__,
        lifespan=lifespan,
        docs_url="/api/docs",
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    app.state.settings = settings
    app.state.site = site
    app.state.database = database
    app.state.redis = redis
    install_error_pages(app, site)
    app.include_router(health.router)
    app.include_router(feedback.router)
    return app


def create_app(settings: Settings | None = None) -> ASGIApp:
    settings = settings or Settings()
    site = build_site(node_modules=settings.node_modules, public_origin=settings.public_origin)
    database = Database(settings.effective_database_url)
    errors = ErrorPages(site)
    web = create_web_app(settings, site, database)
    edge: ASGIApp = SiteServer(site, web, errors)
    edge = RequestLimits(
        edge, errors, max_body_bytes=settings.max_body_bytes, max_url_bytes=settings.max_url_bytes
    )
    return ErrorShield(edge, errors)
