"""Apply: start, one question per page, check your answers, submit.

Answers are saved to the database after every page, so nothing typed and continued from
is ever lost; the submitted application is durable, with a reference, before payment.
"""

from __future__ import annotations

import contextlib

from fastapi import APIRouter
from fastapi.responses import Response
from starlette.exceptions import HTTPException

from northgate.applications.service import StaleApplication
from northgate.core.lang import Lang, other_language
from northgate.eta.countries import countries_for
from northgate.eta.fee import ETA_FEE
from northgate.eta.question_model import voice_of
from northgate.eta.questions import QUESTION_SET, YES_NO, Step
from northgate.eta.results import FieldError
from northgate.eta.validation import form_for, validate_application, validate_step
from northgate.ui.i18n import gettext
from northgate.ui.journey_urls import step_url, url
from northgate.ui.pages import PAGES_BY_KEY
from northgate.web.eta import session as draft_session
from northgate.web.eta.context import Journey
from northgate.web.eta.draft import OpenDraft, after_submission, open_draft, read_form, redirect
from northgate.web.eta.forms import posted_fields
from northgate.web.eta.review import review_sections
from northgate.web.eta.routing import add_localized, add_localized_slug

router = APIRouter(include_in_schema=False)
# Question pages match any slug: the app includes this router after every fixed route.
steps_router = APIRouter(include_in_schema=False)
RETURN_TO_REVIEW = "review"


async def _open_editable(journey: Journey) -> OpenDraft | Response:
    lang = journey.lang
    draft = await open_draft(journey)
    if isinstance(draft, Response):
        return draft
    return after_submission(draft.application, lang) or draft


# --- Start -----------------------------------------------------------------------------


def _start_page(
    journey: Journey, *, status: int = 200, error_list: list[tuple[str, str]] | None = None
) -> Response:
    lang = journey.lang
    return journey.render_form(
        "eta/start.html",
        title=gettext(lang, "Apply for an eTA"),
        other_url=url("start", other_language(lang)),
        status=status,
        fee=ETA_FEE.format(lang),
        back_url=PAGES_BY_KEY["eta"].path(lang),
        triage_url=url("triage", lang),
        status_url=url("status", lang),
        error_list=error_list or [],
    )


async def start_page(journey: Journey) -> Response:
    return _start_page(journey)


async def start(journey: Journey) -> Response:
    request, lang = journey.request, journey.lang
    # Without the page's token (a post from another site) no draft is created, and the
    # browser keeps the draft cookie it has.
    if not journey.form_token_valid(await read_form(request)):
        return _start_page(journey, status=403, error_list=journey.form_token_problem("start"))
    token = draft_session.new_token()
    await journey.applications.start(lang=lang, draft_token_hash=draft_session.token_hash(token))
    first = QUESTION_SET.visible_steps({}, journey.today)[0]
    response = redirect(step_url(first, lang))
    journey.set_session_cookie(
        response, draft_session.DraftSession(token, int(journey.now.timestamp()))
    )
    return response


# --- Questions ---------------------------------------------------------------------------


def _render_step(
    draft: OpenDraft,
    step: Step,
    *,
    values: dict[str, str],
    errors: list[FieldError],
    warnings: list[FieldError],
    returning: bool,
    status: int = 200,
) -> Response:
    lang, today = draft.lang, draft.journey.today
    answers = draft.application.answers
    previous = QUESTION_SET.previous_step(step.id, answers, today)
    if returning:
        back = url("review", lang)
    elif previous is not None:
        back = step_url(previous, lang)
    else:
        back = url("start", lang)
    return draft.render(
        "eta/step.html",
        title=step.title(lang, voice_of(answers)),
        other_url=step_url(step, other_language(lang)),
        status=status,
        step=step.on(today),
        values=values,
        errors={error.field: error.message(lang) for error in errors},
        error_list=[(error.field, error.message(lang)) for error in errors],
        warnings=[warning.message(lang) for warning in warnings],
        progress=QUESTION_SET.progress(step.id, answers, today),
        form_action=step_url(step, lang) + ("?return=review" if returning else ""),
        back_url=back,
        countries=countries_for(lang),
        yes_no=YES_NO,
        voice=voice_of(answers),
    )


def _step_or_404(lang: Lang, slug: str) -> Step:
    step = QUESTION_SET.step_by_slug(slug, lang)
    if step is None:
        raise HTTPException(404)
    return step


async def show_step(journey: Journey, slug: str) -> Response:
    request, lang = journey.request, journey.lang
    step = _step_or_404(lang, slug)
    draft = await _open_editable(journey)
    if isinstance(draft, Response):
        return draft
    answers, today = draft.application.answers, draft.journey.today
    if not step.is_visible(answers, today):
        target = QUESTION_SET.first_incomplete_step(answers, today)
        return draft.redirect(step_url(target, lang) if target else url("review", lang))
    return _render_step(
        draft,
        step,
        values=form_for(step, answers),
        errors=[],
        warnings=[],
        returning=request.query_params.get("return") == RETURN_TO_REVIEW,
    )


async def submit_step(journey: Journey, slug: str) -> Response:
    request, lang = journey.request, journey.lang
    step = _step_or_404(lang, slug)
    draft = await _open_editable(journey)
    if isinstance(draft, Response):
        return draft
    form = await read_form(request)
    if not draft.csrf_valid(form):
        # A form from another session, or forged: show the page again; nothing is saved.
        return draft.redirect(step_url(step, lang))
    returning = request.query_params.get("return") == RETURN_TO_REVIEW
    fields = posted_fields(form)
    today = draft.journey.today
    result = validate_step(step, fields, draft.application.answers, today)
    if not result.ok:
        return _render_step(
            draft,
            step,
            values=fields,
            errors=result.errors,
            warnings=result.warnings,
            returning=returning,
            status=422,
        )
    try:
        saved = await journey.applications.save_answers(
            draft.application.draft_token_hash,
            result.values,
            now=draft.journey.now,
            read=draft.application,
        )
    except StaleApplication:
        # Saved from another tab (or submitted) since this request read the draft: show
        # the page again as it now stands rather than overwrite those answers.
        return draft.redirect(step_url(step, lang))
    answers = saved.answers
    if form.get("action") == "save":
        return draft.redirect(url("save", lang))
    if returning and QUESTION_SET.first_incomplete_step(answers, today) is None:
        return draft.redirect(url("review", lang))
    following = QUESTION_SET.next_step(step.id, answers, today)
    target = following or QUESTION_SET.first_incomplete_step(answers, today)
    return draft.redirect(step_url(target, lang) if target else url("review", lang))


# --- Check your answers and submit ---------------------------------------------------------


async def review(journey: Journey) -> Response:
    lang = journey.lang
    draft = await _open_editable(journey)
    if isinstance(draft, Response):
        return draft
    answers, today = draft.application.answers, draft.journey.today
    incomplete = QUESTION_SET.first_incomplete_step(answers, today)
    if incomplete is not None:
        return draft.redirect(step_url(incomplete, lang))
    return draft.render(
        "eta/review.html",
        title=gettext(lang, "Check your answers before you pay"),
        other_url=url("review", other_language(lang)),
        sections=review_sections(answers, lang, today),
        version=draft.application.version,
        fee=ETA_FEE.format(lang),
        back_url=None,
        error_list=[],
    )


async def submit_application(journey: Journey) -> Response:
    request, lang = journey.request, journey.lang
    # A replayed or double-clicked submit is sent on by _open_editable: it is submitted.
    draft = await _open_editable(journey)
    if isinstance(draft, Response):
        return draft
    if not draft.csrf_valid(await read_form(request)):
        return draft.redirect(url("review", lang))
    journey = draft.journey
    errors = validate_application(draft.application.answers, journey.today)
    if errors:
        target = QUESTION_SET.step(errors[0].step) if errors[0].step else None
        return draft.redirect(step_url(target, lang) if target else url("review", lang))
    # A concurrent request may have submitted it first (or changed it since it was
    # checked: the pay page then sends it back to be checked again): the redirect is right.
    with contextlib.suppress(StaleApplication):
        await journey.applications.submit(
            draft.application.draft_token_hash,
            lang=lang,
            now=journey.now,
            read=draft.application,
        )
    return draft.redirect(url("pay", lang))


def _register() -> None:
    add_localized(router, "eta.start", start_page, ["GET"])
    add_localized(router, "eta.start", start, ["POST"])
    add_localized(router, "eta.review", review, ["GET"])
    add_localized(router, "eta.review", submit_application, ["POST"])
    add_localized_slug(steps_router, "eta.question", show_step, ["GET"])
    add_localized_slug(steps_router, "eta.question", submit_step, ["POST"])


_register()
