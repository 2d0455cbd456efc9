"""Apply: start, one question per page, save and return, check your answers, submit.

Answers are saved to the database after every page, so nothing typed and continued from
is ever lost; the submitted application is durable, with a reference, before payment.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.exceptions import HTTPException

from northgate.eta.countries import countries_for
from northgate.eta.fee import ETA_FEE
from northgate.eta.questions import QUESTION_SET, YES_NO, Step
from northgate.eta.validation import form_for, validate_application, validate_step
from northgate.site.pages import Lang, other_language
from northgate.storage import applications
from northgate.storage.models import Application
from northgate.submission import submit_application as submit_for_payment
from northgate.web.eta import session as draft_session
from northgate.web.eta.context import Journey
from northgate.web.eta.forms import posted_fields
from northgate.web.eta.review import review_sections
from northgate.web.eta.routing import add_localized, add_localized_slug
from northgate.web.eta.urls import step_url, url
from northgate.web.i18n import gettext

router = APIRouter(include_in_schema=False)
# Question pages match any slug: the app includes this router after every fixed route.
steps_router = APIRouter(include_in_schema=False)
RETURN_TO_REVIEW = "review"


async def _form(request: Request) -> dict[str, str]:
    form = await request.form()
    return {name: value for name, value in form.items() if isinstance(value, str)}


def _redirect(location: str) -> RedirectResponse:
    return RedirectResponse(location, status_code=303, headers={"cache-control": "no-store"})


async def load_draft(
    journey: Journey,
) -> tuple[Application, draft_session.DraftSession] | Response:
    """The application this browser is working on, or the page that explains why not."""
    try:
        session = draft_session.read_session(
            journey.request.cookies.get(draft_session.COOKIE_NAME),
            journey.key,
            int(journey.now.timestamp()),
        )
    except draft_session.SessionProblem as problem:
        if problem.reason == "expired":
            return _redirect(url("session-ended", journey.lang))
        return _redirect(url("start", journey.lang))
    async with journey.database.session() as db:
        application = await applications.by_draft_token(db, draft_session.token_hash(session.token))
    if application is None:
        return _redirect(url("start", journey.lang))
    return application, session.touched(int(journey.now.timestamp()))


def _after_submission(application: Application, lang: Lang) -> Response | None:
    """Submitted applications cannot be edited: send the browser where it belongs."""
    if application.status == "submitted":
        return _redirect(url("pay", lang))
    if application.status != "draft":
        return _redirect(url("confirmation", lang))
    return None


# --- Start -----------------------------------------------------------------------------


async def start_page(request: Request, lang: Lang) -> Response:
    journey = Journey(request, lang)
    return journey.render(
        "eta/start.html",
        title=gettext(lang, "Apply for an eTA"),
        other_url=url("start", other_language(lang)),
        fee=_fee(lang),
        back_url=f"/{lang}/{'eta' if lang == 'en' else 'ave'}",
        triage_url=url("triage", lang),
        status_url=url("status", lang),
    )


async def start(request: Request, lang: Lang) -> Response:
    journey = Journey(request, lang)
    token = draft_session.new_token()
    async with journey.database.session() as db:
        await applications.create_draft(
            db,
            lang=lang,
            question_set_version=QUESTION_SET.version,
            draft_token_hash=draft_session.token_hash(token),
        )
        await db.commit()
    first = QUESTION_SET.visible_steps({}, journey.today)[0]
    response = _redirect(step_url(first, lang))
    journey.set_session_cookie(
        response, draft_session.DraftSession(token, int(journey.now.timestamp()))
    )
    return response


# --- Questions ---------------------------------------------------------------------------


def _step_context(
    journey: Journey,
    step: Step,
    application: Application,
    session: draft_session.DraftSession,
    *,
    values: dict[str, str],
    errors: list[Any],
    warnings: list[Any],
    returning: bool,
) -> dict[str, Any]:
    lang = journey.lang
    answers = application.answers
    previous = QUESTION_SET.previous_step(step.id, answers, journey.today)
    if returning:
        back = url("review", lang)
    elif previous is not None:
        back = step_url(previous, lang)
    else:
        back = url("start", lang)
    action = step_url(step, lang) + ("?return=review" if returning else "")
    return {
        "step": step,
        "values": values,
        "errors": {error.field: error.message(lang) for error in errors},
        "error_list": [(error.field, error.message(lang)) for error in errors],
        "warnings": [warning.message(lang) for warning in warnings],
        "progress": QUESTION_SET.progress(step.id, answers, journey.today),
        "form_action": action,
        "csrf": draft_session.csrf_token(journey.key, session.token),
        "back_url": back,
        "countries": countries_for(lang),
        "yes_no": YES_NO,
        **journey.session_context(session),
    }


async def show_step(request: Request, lang: Lang, slug: str) -> Response:
    journey = Journey(request, lang)
    step = QUESTION_SET.step_by_slug(slug, lang)
    if step is None:
        return _not_found(request)
    loaded = await load_draft(journey)
    if isinstance(loaded, Response):
        return loaded
    application, session = loaded
    if (elsewhere := _after_submission(application, lang)) is not None:
        return elsewhere
    if not step.is_visible(application.answers, journey.today):
        target = QUESTION_SET.first_incomplete_step(application.answers, journey.today)
        return _redirect(step_url(target, lang) if target else url("review", lang))
    returning = request.query_params.get("return") == RETURN_TO_REVIEW
    response = journey.render(
        "eta/step.html",
        title=step.title(lang),
        other_url=step_url(step, other_language(lang)),
        **_step_context(
            journey,
            step,
            application,
            session,
            values=form_for(step, application.answers),
            errors=[],
            warnings=[],
            returning=returning,
        ),
    )
    journey.set_session_cookie(response, session)
    return response


async def submit_step(request: Request, lang: Lang, slug: str) -> Response:
    journey = Journey(request, lang)
    step = QUESTION_SET.step_by_slug(slug, lang)
    if step is None:
        return _not_found(request)
    loaded = await load_draft(journey)
    if isinstance(loaded, Response):
        return loaded
    application, session = loaded
    if (elsewhere := _after_submission(application, lang)) is not None:
        return elsewhere
    form = await _form(request)
    if not draft_session.csrf_valid(journey.key, session.token, form.get("csrf_token")):
        return _forbidden(journey, step)
    returning = request.query_params.get("return") == RETURN_TO_REVIEW
    fields = posted_fields(form)
    result = validate_step(step, fields, application.answers, journey.today)
    if not result.ok:
        response = journey.render(
            "eta/step.html",
            title=step.title(lang),
            other_url=step_url(step, other_language(lang)),
            status=422,
            **_step_context(
                journey,
                step,
                application,
                session,
                values=fields,
                errors=result.errors,
                warnings=result.warnings,
                returning=returning,
            ),
        )
        journey.set_session_cookie(response, session)
        return response
    async with journey.database.session() as db:
        fresh = await applications.by_draft_token(db, application.draft_token_hash)
        assert fresh is not None
        await applications.save_answers(
            db, fresh, result.values, expected_version=None, now=journey.now
        )
        await db.commit()
        answers = fresh.answers
    if form.get("action") == "save":
        target = url("save", lang)
    elif returning and QUESTION_SET.first_incomplete_step(answers, journey.today) is None:
        target = url("review", lang)
    else:
        following = QUESTION_SET.next_step(step.id, answers, journey.today)
        incomplete = QUESTION_SET.first_incomplete_step(answers, journey.today)
        target_step = following if following is not None else incomplete
        target = step_url(target_step, lang) if target_step else url("review", lang)
    redirect = _redirect(target)
    journey.set_session_cookie(redirect, session)
    return redirect


# --- Check your answers and submit ---------------------------------------------------------


async def review(request: Request, lang: Lang) -> Response:
    journey = Journey(request, lang)
    loaded = await load_draft(journey)
    if isinstance(loaded, Response):
        return loaded
    application, session = loaded
    if (elsewhere := _after_submission(application, lang)) is not None:
        return elsewhere
    incomplete = QUESTION_SET.first_incomplete_step(application.answers, journey.today)
    if incomplete is not None:
        return _redirect(step_url(incomplete, lang))
    response = journey.render(
        "eta/review.html",
        title=gettext(lang, "Check your answers before you pay"),
        other_url=url("review", other_language(lang)),
        sections=review_sections(application.answers, lang, journey.today),
        csrf=draft_session.csrf_token(journey.key, session.token),
        version=application.version,
        fee=_fee(lang),
        back_url=None,
        error_list=[],
        **journey.session_context(session),
    )
    journey.set_session_cookie(response, session)
    return response


async def submit_application(request: Request, lang: Lang) -> Response:
    journey = Journey(request, lang)
    loaded = await load_draft(journey)
    if isinstance(loaded, Response):
        return loaded
    application, session = loaded
    # A replayed or double-clicked submit lands here after the first one succeeded.
    if (elsewhere := _after_submission(application, lang)) is not None:
        return elsewhere
    form = await _form(request)
    if not draft_session.csrf_valid(journey.key, session.token, form.get("csrf_token")):
        return _redirect(url("review", lang))
    errors = validate_application(application.answers, journey.today)
    if errors:
        first = errors[0]
        target = QUESTION_SET.step(first.step) if first.step else None
        return _redirect(step_url(target, lang) if target else url("review", lang))
    async with journey.database.session() as db:
        fresh = await applications.by_draft_token(db, application.draft_token_hash)
        assert fresh is not None
        # A concurrent request may have submitted it first: the redirect is still right.
        with contextlib.suppress(applications.StaleApplication):
            await submit_for_payment(
                db, fresh, lang=lang, now=journey.now, follow_up_after=journey.follow_up_after
            )
        await db.commit()
    response = _redirect(url("pay", lang))
    journey.set_session_cookie(response, session)
    return response


# --- helpers ---------------------------------------------------------------------------


def _fee(lang: Lang) -> str:
    return ETA_FEE.format(lang)


def _not_found(request: Request) -> Response:
    raise HTTPException(404)


def _forbidden(journey: Journey, step: Step) -> Response:
    """A form from another session, or forged: show the page again, with saved answers."""
    return _redirect(step_url(step, journey.lang))


def _register() -> None:
    def path(name: str) -> Callable[[Lang], str]:
        return lambda lang: url(name, lang)

    add_localized(router, path("start"), start_page, ["GET"])
    add_localized(router, path("start"), start, ["POST"])
    add_localized(router, path("review"), review, ["GET"])
    add_localized(router, path("review"), submit_application, ["POST"])
    add_localized_slug(steps_router, path("start"), show_step, ["GET"])
    add_localized_slug(steps_router, path("start"), submit_step, ["POST"])


_register()
