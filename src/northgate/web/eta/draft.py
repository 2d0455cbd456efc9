"""The application a browser is working on, opened from its session cookie.

Every journey page after "start" begins the same way: read the signed session, find the
draft, refresh the sliding session cookie on the way out, and check the CSRF token of a
posted form. This module does that once for all of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from northgate.applications.record import ApplicationRecord
from northgate.applications.status import IN_PROGRESS, ApplicationStatus
from northgate.core.lang import Lang
from northgate.ui.journey_urls import url
from northgate.web.eta import session as draft_session
from northgate.web.eta.context import NO_STORE, Journey


def redirect(location: str) -> RedirectResponse:
    return RedirectResponse(location, status_code=303, headers=NO_STORE)


async def read_form(request: Request) -> dict[str, str]:
    """Text fields only: a file part where text is expected is simply not an answer."""
    form = await request.form()
    return {name: value for name, value in form.items() if isinstance(value, str)}


@dataclass(frozen=True)
class OpenDraft:
    journey: Journey
    application: ApplicationRecord
    session: draft_session.DraftSession

    @property
    def lang(self) -> Lang:
        return self.journey.lang

    @property
    def csrf(self) -> str:
        return draft_session.csrf_token(self.journey.key, self.session.token)

    def csrf_valid(self, form: dict[str, str]) -> bool:
        return draft_session.csrf_valid(
            self.journey.key, self.session.token, form.get("csrf_token")
        )

    @property
    def session_matters(self) -> bool:
        """Whether the visitor still needs this session: to answer, or to pay. Once paid,
        nothing is left to do here, so nothing is lost when it ends."""
        return self.application.status in IN_PROGRESS

    def render(
        self, template: str, *, title: str, other_url: str, status: int = 200, **context: Any
    ) -> HTMLResponse:
        """A page of the open application: CSRF token, the timeout warning while the
        session matters, refreshed cookie."""
        warning = self.journey.session_context(self.session) if self.session_matters else {}
        response = self.journey.render(
            template,
            title=title,
            other_url=other_url,
            status=status,
            **({"csrf": self.csrf} | warning | context),
        )
        self.journey.set_session_cookie(response, self.session)
        return response

    def redirect(self, location: str) -> RedirectResponse:
        response = redirect(location)
        self.journey.set_session_cookie(response, self.session)
        return response


async def open_draft(journey: Journey) -> OpenDraft | Response:
    """The open application, or the redirect that explains why there is none."""
    request, lang = journey.request, journey.lang
    now = int(journey.now.timestamp())
    try:
        session = draft_session.read_session(
            request.cookies.get(draft_session.COOKIE_NAME), journey.key, now
        )
    except draft_session.SessionProblem as problem:
        ended = problem.reason == "expired"
        return redirect(url("session-ended" if ended else "start", lang))
    application = await journey.applications.open(draft_session.token_hash(session.token))
    if application is None:
        return redirect(url("start", lang))
    return OpenDraft(journey, application, session.touched(now))


def after_submission(application: ApplicationRecord, lang: Lang) -> Response | None:
    """Submitted applications cannot be edited: send the browser where it belongs."""
    if application.status == ApplicationStatus.SUBMITTED:
        return redirect(url("pay", lang))
    if application.status != ApplicationStatus.DRAFT:
        return redirect(url("confirmation", lang))
    return None
