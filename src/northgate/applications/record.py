"""What the service hands to the web, the API and the jobs: plain, frozen values, not
database rows (which would go stale, or load lazily, once their session is closed)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from northgate.applications.status import ApplicationStatus
from northgate.eta.dates import parse_iso

# The traveller's answers by field name, as the question set cleaned them (dates as ISO
# text): the eTA domain (northgate.eta) reads them as a mapping.
Answers = Mapping[str, Any]


@dataclass(frozen=True)
class ApplicationRecord:
    """One application as it stood when read. Its times are aware, in UTC, whatever the
    backend returned."""

    id: int
    # Unguessable handle for URLs and the API; the reference is for people.
    public_id: str
    reference: str | None
    status: ApplicationStatus
    lang: str
    answers: Answers
    version: int
    draft_token_hash: str
    email: str | None = None
    correspondence_lang: str | None = None
    passport_number: str | None = None
    date_of_birth: date | None = None
    decision_reasons: tuple[str, ...] | None = None
    submitted_at: datetime | None = None
    paid_at: datetime | None = None
    decided_at: datetime | None = None


@dataclass(frozen=True)
class AuthorizationRecord:
    """An issued eTA, as the status page and the API show it."""

    eta_number: str
    passport_number: str
    passport_country: str
    valid_until: date
    status: str  # valid, or superseded by a newer eTA for the same passport


@dataclass(frozen=True)
class StatusRecord:
    """An application with its eTA, if one was issued: what a status look-up answers."""

    application: ApplicationRecord
    authorization: AuthorizationRecord | None


def contact_fields(answers: Answers, lang: str) -> dict[str, Any]:
    """The answers copied to columns when an application is submitted: for e-mail, and
    for the status look-up."""
    return {
        "email": answers.get("email"),
        "correspondence_lang": answers.get("correspondence_language") or lang,
        "passport_number": answers.get("passport_number"),
        "date_of_birth": parse_iso(answers.get("date_of_birth")),
    }
