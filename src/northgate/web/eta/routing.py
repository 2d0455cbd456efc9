"""Register one handler under its English and French paths, with the language bound.

The paths are the route table's (northgate.core.routes), named by route. A handler gets its
:class:`Journey`: the request, its language and the services, as typed dependencies."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from northgate.core.lang import LANGUAGES, Lang
from northgate.core.routes import path
from northgate.web.dependencies import (
    Applications,
    ClockDep,
    GuardsDep,
    Payments,
    SettingsDep,
    SiteDep,
)
from northgate.web.eta.context import Journey

Handler = Callable[[Journey], Awaitable[Response]]
SlugHandler = Callable[[Journey, str], Awaitable[Response]]


def journey_in(lang: Lang) -> Callable[..., Awaitable[Journey]]:
    """The dependency that gives a handler its journey in ``lang``."""

    async def journey(
        request: Request,
        clock: ClockDep,
        settings: SettingsDep,
        site: SiteDep,
        applications: Applications,
        payments: Payments,
        guards: GuardsDep,
    ) -> Journey:
        return Journey(request, lang, clock, settings, site, applications, payments, guards)

    return journey


# One dependency per language. Given as defaults, not Annotated hints: hints are strings
# here (PEP 563), which FastAPI resolves in this module's globals, where a loop's ``lang``
# is not.
JOURNEY_IN = {lang: Depends(journey_in(lang)) for lang in LANGUAGES}


def add_localized(router: APIRouter, name: str, handler: Handler, methods: list[str]) -> None:
    for lang in LANGUAGES:

        async def endpoint(journey: Journey = JOURNEY_IN[lang]) -> Response:
            return await handler(journey)

        router.add_api_route(path(name, lang), endpoint, methods=methods)


def add_localized_slug(
    router: APIRouter, name: str, handler: SlugHandler, methods: list[str]
) -> None:
    """For a route whose path ends in ``{slug}``."""
    for lang in LANGUAGES:

        async def endpoint(slug: str, journey: Journey = JOURNEY_IN[lang]) -> Response:
            return await handler(journey, slug)

        router.add_api_route(path(name, lang), endpoint, methods=methods)
