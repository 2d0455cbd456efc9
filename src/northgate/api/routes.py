"""JSON API v1: eligibility, question set, submit an application, pay, status."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Header, HTTPException, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy import select

from northgate.api.models import (
    ApplicationRequest,
    ApplicationStatus,
    EligibilityRequest,
    EligibilityResponse,
    FieldProblem,
    PaymentLink,
    StatusLookUp,
    ValidationProblem,
)
from northgate.api.submission import clean_application
from northgate.core.clock import clock_of
from northgate.core.lang import Lang
from northgate.core.routes import path
from northgate.eta.cleaning import normalize_passport_number
from northgate.eta.countries import country
from northgate.eta.eligibility import TriageAnswers, assess, explain
from northgate.eta.entry_rules import RULES_VERSION
from northgate.eta.questions import QUESTION_SET
from northgate.eta.references import normalize_reference
from northgate.payments.service import PaymentService
from northgate.storage import applications
from northgate.storage.models import Application, TravelAuthorization
from northgate.submission import submit_new_application
from northgate.web.eta.urls import url
from northgate.web.guards import guards_of

router = APIRouter(tags=["eTA"])
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=64,
        description="Retrying with the same key returns the first result instead of "
        "creating a second application.",
    ),
]


def _now(request: Request) -> datetime:
    return clock_of(request.app.state)()


@router.post(path("api.eligibility"), response_model=EligibilityResponse)
async def eligibility(body: EligibilityRequest) -> EligibilityResponse:
    """Does this traveller need an eTA, a visa, or neither?"""
    found = country(body.passport_country)
    if found is None:
        raise HTTPException(422, "passport_country is not an ISO 3166-1 alpha-2 code")
    outcome = assess(TriageAnswers(**(body.model_dump() | {"passport_country": found.code})))
    return EligibilityResponse(
        outcome=outcome.kind,
        reason=outcome.reason,
        explanation={"en": explain(outcome, "en"), "fr": explain(outcome, "fr")},
        rules_version=RULES_VERSION,
    )


@router.get(path("api.questions"))
async def questions() -> dict[str, Any]:
    """The question set: every page and field, with English and French text."""
    return {
        "version": QUESTION_SET.version,
        "steps": [
            {
                "id": step.id,
                "title": {"en": step.title("en"), "fr": step.title("fr")},
                # Worded for someone applying for another person (applying_for "other").
                "title_other": {"en": step.title("en", "other"), "fr": step.title("fr", "other")},
                "fields": [
                    {
                        "name": field.name,
                        "type": field.type,
                        "required": field.required,
                        "label": {"en": field.label("en"), "fr": field.label("fr")},
                        "label_other": {
                            "en": field.label("en", "other"),
                            "fr": field.label("fr", "other"),
                        },
                        "options": [option.value for option in field.options],
                    }
                    for field in step.fields
                ],
            }
            for step in QUESTION_SET.steps
        ],
    }


@router.post(
    path("api.applications"),
    status_code=201,
    response_model=ApplicationStatus,
    responses={422: {"model": ValidationProblem}, 200: {"model": ApplicationStatus}},
)
async def submit_application(
    body: ApplicationRequest,
    request: Request,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """Validate and submit a complete application. It is saved, with a reference, before
    any payment; pay next with ``POST /applications/{id}/payments``."""
    now = _now(request)
    cleaned = clean_application(body.answers, now.date())
    if cleaned.errors:
        problems = [
            FieldProblem(field=e.field, step=e.step, code=e.code, message=e.message(body.language))
            for e in cleaned.errors
        ]
        problem = ValidationProblem(detail="the application has problems", errors=problems)
        return JSONResponse(problem.model_dump(), status_code=422)
    database = request.app.state.database
    # The draft-token column doubles as the idempotency record for API submissions.
    token = f"api:{idempotency_key}" if idempotency_key else f"api:{secrets.token_urlsafe(24)}"
    token_hash = hashlib.sha256(token.encode()).hexdigest()
    answers = cleaned.answers
    async with database.session() as db:
        if idempotency_key:
            existing = await applications.by_draft_token(db, token_hash)
            if existing is not None:
                response.status_code = 200
                return await _status(db, existing)
        settings = request.app.state.settings
        application = await submit_new_application(
            db,
            answers=answers,
            lang=body.language,
            question_set_version=QUESTION_SET.version,
            draft_token_hash=token_hash,
            now=now,
            follow_up_after=timedelta(seconds=settings.payment_follow_up_after_seconds),
        )
        await db.commit()
        # Just submitted: no decision, so no travel authorization to look up.
        return _status_of(application, None)


@router.post(path("api.payments"), response_model=PaymentLink)
async def start_payment(application_id: str, request: Request) -> PaymentLink:
    """Get the hosted payment page for the fee. Calling again returns the same payment
    while it is in progress: a retry never charges twice."""
    async with request.app.state.database.session() as db:
        application = await applications.by_public_id(db, application_id[:64])
    if application is None:
        raise HTTPException(404, "no such application")
    if application.status == "draft":
        raise HTTPException(409, "the application has not been submitted")
    payments: PaymentService = request.app.state.payments
    lang: Lang = "fr" if application.lang == "fr" else "en"
    result = await payments.start(application.id, url("payment-return", lang))
    return PaymentLink(
        redirect_url=result.redirect_url,
        already_paid=result.already_paid,
        retry_later=result.retry_later,
    )


@router.get(path("api.application"), response_model=ApplicationStatus)
async def application_status(application_id: str, request: Request) -> ApplicationStatus:
    async with request.app.state.database.session() as db:
        application = await applications.by_public_id(db, application_id[:64])
        if application is None:
            raise HTTPException(404, "no such application")
        return await _status(db, application)


@router.post(path("api.status"), response_model=ApplicationStatus)
async def look_up_status(body: StatusLookUp, request: Request) -> ApplicationStatus:
    """Find an application by reference, passport number and date of birth."""
    reference = normalize_reference(body.reference)
    if reference is None:
        raise HTTPException(422, "reference is not valid: check it for typing mistakes")
    async with request.app.state.database.session() as db:
        application = await applications.find_for_status(
            db,
            reference=reference,
            passport_number=normalize_passport_number(body.passport_number),
            date_of_birth=body.date_of_birth,
        )
        wait = await guards_of(request).status_look_up(
            request, reference, found=application is not None
        )
        if wait:
            raise HTTPException(
                429,
                f"too many failed look-ups from this client or for this reference: "
                f"try again in {wait} seconds",
                headers={"retry-after": str(wait)},
            )
        if application is None:
            raise HTTPException(404, "no application matches these details")
        return await _status(db, application)


async def _status(db: Any, application: Application) -> ApplicationStatus:
    authorization = await db.scalar(
        select(TravelAuthorization).where(TravelAuthorization.application_id == application.id)
    )
    return _status_of(application, authorization)


def _status_of(
    application: Application, authorization: TravelAuthorization | None
) -> ApplicationStatus:
    return ApplicationStatus(
        id=application.public_id,
        reference=application.reference,
        status=application.status,  # type: ignore[arg-type]
        eta_number=authorization.eta_number if authorization else None,
        valid_until=authorization.valid_until if authorization else None,
        decision_reasons=application.decision_reasons,
    )
