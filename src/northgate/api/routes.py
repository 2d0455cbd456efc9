"""JSON API v1: eligibility, question set, submit an application, pay, status."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, HTTPException, Request, Response
from fastapi.responses import JSONResponse

from northgate.api.models import (
    ApplicationRequest,
    EligibilityRequest,
    EligibilityResponse,
    FieldProblem,
    PaymentLink,
    StatusLookUp,
    ValidationProblem,
)
from northgate.api.models import ApplicationStatus as ApplicationState
from northgate.api.submission import clean_application
from northgate.applications.record import StatusRecord
from northgate.applications.status import ApplicationStatus
from northgate.core.lang import Lang
from northgate.core.routes import path
from northgate.eta.cleaning import normalize_passport_number
from northgate.eta.countries import country
from northgate.eta.eligibility import TriageAnswers, assess, explain
from northgate.eta.entry_rules import RULES_VERSION
from northgate.eta.questions import QUESTION_SET
from northgate.eta.references import normalize_reference
from northgate.ui.journey_urls import url
from northgate.web.dependencies import Applications, ClockDep, GuardsDep, Payments

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
    response_model=ApplicationState,
    responses={422: {"model": ValidationProblem}, 200: {"model": ApplicationState}},
)
async def submit_application(
    body: ApplicationRequest,
    response: Response,
    applications: Applications,
    clock: ClockDep,
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """Validate and submit a complete application. It is saved, with a reference, before
    any payment; pay next with ``POST /applications/{id}/payments``."""
    now = clock()
    cleaned = clean_application(body.answers, now.date())
    if cleaned.errors:
        problems = [
            FieldProblem(field=e.field, step=e.step, code=e.code, message=e.message(body.language))
            for e in cleaned.errors
        ]
        problem = ValidationProblem(detail="the application has problems", errors=problems)
        return JSONResponse(problem.model_dump(), status_code=422)
    submitted = await applications.submit_complete(
        cleaned.answers, lang=body.language, idempotency_key=idempotency_key, now=now
    )
    if not submitted.created:
        response.status_code = 200
    return _status_of(submitted.status)


@router.post(path("api.payments"), response_model=PaymentLink)
async def start_payment(
    application_id: str, applications: Applications, payments: Payments
) -> PaymentLink:
    """Get the hosted payment page for the fee. Calling again returns the same payment
    while it is in progress: a retry never charges twice."""
    application = await applications.by_public_id(application_id[:64])
    if application is None:
        raise HTTPException(404, "no such application")
    if application.status == ApplicationStatus.DRAFT:
        raise HTTPException(409, "the application has not been submitted")
    lang: Lang = "fr" if application.lang == "fr" else "en"
    result = await payments.start(application.id, url("payment-return", lang))
    return PaymentLink(
        redirect_url=result.redirect_url,
        already_paid=result.already_paid,
        retry_later=result.retry_later,
    )


@router.get(path("api.application"), response_model=ApplicationState)
async def application_status(application_id: str, applications: Applications) -> ApplicationState:
    status = await applications.status(application_id[:64])
    if status is None:
        raise HTTPException(404, "no such application")
    return _status_of(status)


@router.post(path("api.status"), response_model=ApplicationState)
async def look_up_status(
    body: StatusLookUp, request: Request, applications: Applications, guards: GuardsDep
) -> ApplicationState:
    """Find an application by reference, passport number and date of birth."""
    reference = normalize_reference(body.reference)
    if reference is None:
        raise HTTPException(422, "reference is not valid: check it for typing mistakes")
    status = await applications.look_up(
        reference=reference,
        passport_number=normalize_passport_number(body.passport_number),
        date_of_birth=body.date_of_birth,
    )
    wait = await guards.status_look_up(request, reference, found=status is not None)
    if wait:
        raise HTTPException(
            429,
            f"too many failed look-ups from this client or for this reference: "
            f"try again in {wait} seconds",
            headers={"retry-after": str(wait)},
        )
    if status is None:
        raise HTTPException(404, "no application matches these details")
    return _status_of(status)


def _status_of(status: StatusRecord) -> ApplicationState:
    application, authorization = status.application, status.authorization
    return ApplicationState(
        id=application.public_id,
        reference=application.reference,
        status=application.status.value,
        eta_number=authorization.eta_number if authorization else None,
        valid_until=authorization.valid_until if authorization else None,
        decision_reasons=(
            None if application.decision_reasons is None else list(application.decision_reasons)
        ),
    )
