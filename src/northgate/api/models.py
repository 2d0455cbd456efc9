"""Request and response bodies of the JSON API (they make the OpenAPI schema)."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class EligibilityRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    passport_country: str = Field(min_length=2, max_length=2, examples=["GB"])
    travel_mode: Literal["air", "land", "sea"]
    canadian_status: Literal["none", "citizen", "permanent_resident"] = "none"
    us_lawful_permanent_resident: bool = False
    has_valid_canadian_visa: bool = False
    had_canadian_visa_last_10_years: bool = False
    has_valid_us_nonimmigrant_visa: bool = False


class EligibilityResponse(BaseModel):
    outcome: Literal["eta_required", "no_eta_needed", "visa_required"]
    reason: str
    explanation: dict[str, str] = Field(description="Plain-language reason in 'en' and 'fr'")
    rules_version: str


class ApplicationRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    language: Literal["en", "fr"] = "en"
    answers: dict[str, Any] = Field(
        description="Answers keyed by field name (see GET /api/v1/questions): dates as "
        "YYYY-MM-DD, check boxes as true/false, yes/no questions as 'yes'/'no' with "
        "'<name>_details' when 'yes'.",
        examples=[{"applying_for": "self", "surname": "Tremblay"}],
    )


class FieldProblem(BaseModel):
    field: str
    step: str | None
    code: str
    message: str


class ValidationProblem(BaseModel):
    detail: str
    errors: list[FieldProblem]


class PaymentLink(BaseModel):
    redirect_url: str | None
    already_paid: bool
    retry_later: bool


class ApplicationStatus(BaseModel):
    id: str = Field(description="Opaque identifier for this API")
    reference: str | None
    status: Literal["draft", "submitted", "paid", "approved", "referred"]
    eta_number: str | None = None
    valid_until: date | None = None
    decision_reasons: list[str] | None = None


class StatusLookUp(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reference: str = Field(max_length=32)
    passport_number: str = Field(max_length=40)
    date_of_birth: date
