"""What every journey handler needs: language, clock, key, session and rendering, and the
services it calls (the database is the application service's), from the typed
dependencies (northgate.web.dependencies)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from northgate.applications.service import ApplicationService
from northgate.core.clock import Clock
from northgate.core.lang import Lang, other_language
from northgate.payments.service import PaymentService
from northgate.settings import Settings
from northgate.site.render import Site
from northgate.ui.chrome import chrome_context
from northgate.ui.i18n import gettext
from northgate.ui.templating import environment
from northgate.web.eta import form_token
from northgate.web.eta import session as draft_session
from northgate.web.guards import Guards

NO_STORE = {"cache-control": "no-store"}


@dataclass(frozen=True)
class Journey:
    request: Request
    lang: Lang
    clock: Clock
    settings: Settings
    site: Site
    applications: ApplicationService
    payments: PaymentService
    guards: Guards

    @property
    def now(self) -> datetime:
        return self.clock()

    @property
    def today(self) -> date:
        return self.now.date()

    @property
    def key(self) -> bytes:
        return self.settings.effective_secret_key

    @property
    def secure_cookies(self) -> bool:
        return self.settings.behind_tls

    def render(
        self,
        template: str,
        *,
        title: str,
        other_url: str,
        status: int = 200,
        headers: dict[str, str] | None = None,
        **context: Any,
    ) -> HTMLResponse:
        body = (
            environment(self.lang)
            .get_template(template)
            .render(
                chrome_context(self.lang, self.site.assets)
                | {"title": title, "other_url": other_url, "other_lang": other_language(self.lang)}
                | context
            )
        )
        return HTMLResponse(body, status_code=status, headers={**NO_STORE, **(headers or {})})

    def render_form(
        self,
        template: str,
        *,
        title: str,
        other_url: str,
        status: int = 200,
        headers: dict[str, str] | None = None,
        **context: Any,
    ) -> HTMLResponse:
        """A page with a form posted before there is a draft: it carries the form token
        (``csrf``), and the page gives the browser its form cookie if it has none."""
        token, new_cookie = form_token.token_for(self.request, self.key)
        response = self.render(
            template,
            title=title,
            other_url=other_url,
            status=status,
            headers=headers,
            **(context | {"csrf": token}),
        )
        if new_cookie is not None:
            form_token.set_cookie(response, new_cookie, secure=self.secure_cookies)
        return response

    def form_token_valid(self, form: Mapping[str, str]) -> bool:
        return form_token.valid(self.request, self.key, form)

    def form_token_problem(self, field: str) -> list[tuple[str, str]]:
        """The error shown when a form came without its token: from another site, or from
        a page open since before the browser's cookies were cleared."""
        return [
            (
                field,
                gettext(
                    self.lang,
                    "This form had expired or did not come from this site, so nothing was "
                    "done. Please try again.",
                ),
            )
        ]

    def set_session_cookie(self, response: Response, session: draft_session.DraftSession) -> None:
        response.set_cookie(
            draft_session.COOKIE_NAME,
            session.cookie_value(self.key),
            httponly=True,
            secure=self.secure_cookies,
            samesite="lax",
            path="/",
        )

    def session_context(self, session: draft_session.DraftSession) -> dict[str, Any]:
        """What the session-timeout warning needs to show itself in time."""
        return {
            "session_expires_at": session.last_seen + draft_session.IDLE_TIMEOUT_SECONDS,
            "session_warn_before": draft_session.WARNING_BEFORE_SECONDS,
            "session_warn_minutes": draft_session.WARNING_BEFORE_SECONDS // 60,
            "session_idle_minutes": draft_session.IDLE_TIMEOUT_SECONDS // 60,
        }
