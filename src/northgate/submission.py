"""Submitting an application, the same way from the web journey and from the API: it gets
a reference and becomes durable, and its payment follow-up is scheduled, in one
transaction (the caller commits)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from northgate.core.lang import Lang
from northgate.eta.dates import parse_iso
from northgate.eta.references import new_reference
from northgate.jobs.follow_up import schedule_follow_up
from northgate.storage import applications
from northgate.storage.models import Application


def contact_fields(answers: Mapping[str, Any], lang: Lang) -> dict[str, Any]:
    """The answers copied to columns: for e-mail, and for the status look-up."""
    return {
        "email": answers.get("email"),
        "correspondence_lang": answers.get("correspondence_language") or lang,
        "passport_number": answers.get("passport_number"),
        "date_of_birth": parse_iso(answers.get("date_of_birth")),
    }


async def submit_application(
    session: AsyncSession,
    application: Application,
    *,
    lang: Lang,
    now: datetime,
    follow_up_after: timedelta,
) -> Application:
    submitted = await applications.submit(
        session,
        application,
        new_reference=new_reference,
        contact=contact_fields(application.answers, lang),
        now=now,
    )
    await schedule_follow_up(session, submitted.id, now=now, after=follow_up_after)
    return submitted


async def submit_new_application(
    session: AsyncSession,
    *,
    answers: Mapping[str, Any],
    lang: Lang,
    question_set_version: str,
    draft_token_hash: str,
    now: datetime,
    follow_up_after: timedelta,
) -> Application:
    """A complete application that was never a draft (the API): created submitted."""
    submitted = await applications.create_submitted(
        session,
        lang=lang,
        question_set_version=question_set_version,
        draft_token_hash=draft_token_hash,
        answers=answers,
        new_reference=new_reference,
        contact=contact_fields(answers, lang),
        now=now,
    )
    await schedule_follow_up(session, submitted.id, now=now, after=follow_up_after)
    return submitted
