"""The services a handler uses, from the application's state (set where the app is
built, northgate.app): one accessor per service, so handlers never reach into
``request.app.state`` themselves."""

from __future__ import annotations

from fastapi import Request

from northgate.applications.service import ApplicationService


def applications_of(request: Request) -> ApplicationService:
    return request.app.state.applications  # type: ignore[no-any-return]
