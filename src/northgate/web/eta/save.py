"""Save and come back later: a resume link by e-mail, and the page that ends a session."""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email
from fastapi import APIRouter
from fastapi.responses import Response

from northgate.applications.status import ApplicationStatus
from northgate.core.lang import other_language
from northgate.eta.questions import QUESTION_SET
from northgate.ui.i18n import gettext
from northgate.ui.journey_urls import step_url, url
from northgate.web.eta import session as draft_session
from northgate.web.eta.context import Journey
from northgate.web.eta.draft import open_draft, read_form, redirect
from northgate.web.eta.routing import add_localized, add_localized_slug
from northgate.web.guards import wait_minutes

router = APIRouter(include_in_schema=False)


async def save_page(journey: Journey) -> Response:
    lang = journey.lang
    draft = await open_draft(journey)
    if isinstance(draft, Response):
        return draft
    return draft.render(
        "eta/save.html",
        title=gettext(lang, "Save your application and come back later"),
        other_url=url("save", other_language(lang)),
        email=draft.application.answers.get("email") or "",
        error=None,
        sent_to=None,
        back_url=None,
    )


async def send_resume_link(journey: Journey) -> Response:
    request, lang = journey.request, journey.lang
    draft = await open_draft(journey)
    if isinstance(draft, Response):
        return draft
    form = await read_form(request)
    if not draft.csrf_valid(form):
        return draft.redirect(url("save", lang))
    typed = form.get("email", "").strip()
    try:
        address = validate_email(typed, check_deliverability=False).normalized
    except EmailNotValidError:
        return draft.render(
            "eta/save.html",
            title=gettext(lang, "Save your application and come back later"),
            other_url=url("save", other_language(lang)),
            status=422,
            email=typed,
            error=gettext(
                lang, "Enter an e-mail address in the correct format, like name@example.com"
            ),
            sent_to=None,
            back_url=None,
        )
    # Drafts cost nothing to make: the limits are per recipient and per client, so nobody
    # can use this form to flood an inbox.
    wait = await journey.guards.resume_email(request, address)
    if wait:
        minutes = wait_minutes(wait)
        message = (
            gettext(lang, "Too many links have been sent. Try again in 1 minute.")
            if minutes == 1
            else gettext(lang, "Too many links have been sent. Try again in %(minutes)s minutes.")
            % {"minutes": minutes}
        )
        return draft.render(
            "eta/save.html",
            title=gettext(lang, "Save your application and come back later"),
            other_url=url("save", other_language(lang)),
            status=429,
            headers={"retry-after": str(wait)},
            email=typed,
            error=message,
            sent_to=None,
            back_url=None,
        )
    journey = draft.journey
    resume_token = draft_session.new_token()
    origin = journey.settings.public_origin
    await journey.applications.email_resume_link(
        draft.application.draft_token_hash,
        resume_token_hash=draft_session.token_hash(resume_token),
        to=address,
        resume_url=f"{origin}{url('resume', lang)}/{resume_token}",
        now=journey.now,
    )
    return draft.render(
        "eta/save.html",
        title=gettext(lang, "We have e-mailed you a link"),
        other_url=url("save", other_language(lang)),
        email=address,
        error=None,
        sent_to=address,
        back_url=None,
    )


async def resume(journey: Journey, token: str) -> Response:
    """Open a saved application from its e-mailed link, in a new session."""
    lang = journey.lang
    new_token = draft_session.new_token()
    checked = draft_session.resume_token(token)
    application = None
    if checked is not None:
        # A new session token: the old cookie (perhaps on a shared computer) stops working.
        application = await journey.applications.resume(
            draft_session.token_hash(checked),
            new_draft_token_hash=draft_session.token_hash(new_token),
            now=journey.now,
        )
    if application is None:
        return journey.render(
            "eta/resume_invalid.html",
            title=gettext(lang, "This link has expired or is not valid"),
            other_url=url("start", other_language(lang)),
            status=404,
            start_url=url("start", lang),
            back_url=None,
        )
    answers, status = application.answers, application.status
    if status != ApplicationStatus.DRAFT:
        submitted = status == ApplicationStatus.SUBMITTED
        target = url("pay" if submitted else "confirmation", lang)
    else:
        step = QUESTION_SET.first_incomplete_step(answers, journey.today)
        target = step_url(step, lang) if step else url("review", lang)
    response = redirect(target)
    journey.set_session_cookie(
        response, draft_session.DraftSession(new_token, int(journey.now.timestamp()))
    )
    return response


async def session_ended(journey: Journey) -> Response:
    lang = journey.lang
    response = journey.render(
        "eta/session_ended.html",
        title=gettext(lang, "Your session has ended"),
        other_url=url("session-ended", other_language(lang)),
        start_url=url("start", lang),
        back_url=None,
    )
    response.delete_cookie(draft_session.COOKIE_NAME, path="/")
    return response


def _register() -> None:
    add_localized(router, "eta.save", save_page, ["GET"])
    add_localized(router, "eta.save", send_resume_link, ["POST"])
    add_localized(router, "eta.session-ended", session_ended, ["GET"])
    add_localized_slug(router, "eta.resume-link", resume, ["GET"])


_register()
