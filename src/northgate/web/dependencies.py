"""The services a handler uses, as typed FastAPI dependencies.

The process's services are built once (northgate.composition) and put in the application's
state where the app is built (northgate.app); this module is the only reader of that state,
with one accessor per service. Handlers declare what they use (``applications:
Applications``). The accessors are coroutines because FastAPI runs a plain function
dependency in a thread, a hop per request for a field read.
"""

from __future__ import annotations

from typing import Annotated, Protocol

from fastapi import Depends, Request
from redis.asyncio import Redis

from northgate.applications.service import ApplicationService
from northgate.core.clock import Clock
from northgate.outage.watch import DependencyWatch
from northgate.payments.service import PaymentService
from northgate.settings import Settings
from northgate.site.render import Site
from northgate.storage.db import Database
from northgate.web.guards import Guards


class Provided(Protocol):
    """What handlers may depend on: the part of the composition root's container
    (northgate.composition.Services) the web layer sees, without importing the layer
    above it."""

    @property
    def settings(self) -> Settings: ...
    @property
    def clock(self) -> Clock: ...
    @property
    def site(self) -> Site: ...
    @property
    def database(self) -> Database: ...
    @property
    def redis(self) -> Redis | None: ...
    @property
    def watch(self) -> DependencyWatch: ...
    @property
    def applications(self) -> ApplicationService: ...
    @property
    def payments(self) -> PaymentService: ...
    @property
    def guards(self) -> Guards: ...


def services_of(request: Request) -> Provided:
    services: Provided = request.app.state.services
    return services


async def settings_of(request: Request) -> Settings:
    return services_of(request).settings


async def clock_of(request: Request) -> Clock:
    return services_of(request).clock


async def site_of(request: Request) -> Site:
    return services_of(request).site


async def database_of(request: Request) -> Database:
    return services_of(request).database


async def redis_of(request: Request) -> Redis | None:
    return services_of(request).redis


async def watch_of(request: Request) -> DependencyWatch:
    return services_of(request).watch


async def applications_of(request: Request) -> ApplicationService:
    return services_of(request).applications


async def payments_of(request: Request) -> PaymentService:
    return services_of(request).payments


async def guards_of(request: Request) -> Guards:
    return services_of(request).guards


SettingsDep = Annotated[Settings, Depends(settings_of)]
ClockDep = Annotated[Clock, Depends(clock_of)]
SiteDep = Annotated[Site, Depends(site_of)]
DatabaseDep = Annotated[Database, Depends(database_of)]
RedisDep = Annotated[Redis | None, Depends(redis_of)]
WatchDep = Annotated[DependencyWatch, Depends(watch_of)]
Applications = Annotated[ApplicationService, Depends(applications_of)]
Payments = Annotated[PaymentService, Depends(payments_of)]
GuardsDep = Annotated[Guards, Depends(guards_of)]
