"""Register one handler under its English and French paths, with the language bound.

The paths are the route table's (northgate.core.routes), named by route."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import APIRouter, Request
from fastapi.responses import Response

from northgate.core.lang import LANGUAGES, Lang
from northgate.core.routes import path

Handler = Callable[[Request, Lang], Awaitable[Response]]
SlugHandler = Callable[[Request, Lang, str], Awaitable[Response]]


def add_localized(router: APIRouter, name: str, handler: Handler, methods: list[str]) -> None:
    for lang in LANGUAGES:

        async def endpoint(request: Request, lang: Lang = lang) -> Response:
            return await handler(request, lang)

        router.add_api_route(path(name, lang), endpoint, methods=methods)


def add_localized_slug(
    router: APIRouter, name: str, handler: SlugHandler, methods: list[str]
) -> None:
    """For a route whose path ends in ``{slug}``."""
    for lang in LANGUAGES:

        async def endpoint(request: Request, slug: str, lang: Lang = lang) -> Response:
            return await handler(request, lang, slug)

        router.add_api_route(path(name, lang), endpoint, methods=methods)
