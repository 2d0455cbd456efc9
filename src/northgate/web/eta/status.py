"""Status look-up (reference + passport number + date of birth) and re-sending a lost e-mail."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from fastapi import APIRouter
from fastapi.responses import Response

from northgate.applications.record import StatusRecord
from northgate.applications.resending import ResendResult, offered_kind
from northgate.core.lang import Lang, other_language
from northgate.eta.cleaning import normalize_passport_number
from northgate.eta.fee import ETA_FEE
from northgate.eta.question_model import voice_of
from northgate.eta.references import normalize_reference
from northgate.ui.i18n import gettext
from northgate.ui.journey_urls import url
from northgate.web.eta.context import Journey
from northgate.web.eta.routing import add_localized
from northgate.web.guards import wait_minutes

router = APIRouter(include_in_schema=False)


@dataclass
class LookUp:
    reference: str | None = None
    passport_number: str | None = None
    date_of_birth: date | None = None
    errors: list[tuple[str, str]] = field(default_factory=list)


def read_look_up(form: Mapping[str, str], lang: Lang) -> LookUp:
    """Check the three answers, with a specific message for each problem."""
    result = LookUp()
    typed_reference = form.get("reference", "").strip()
    if not typed_reference:
        result.errors.append(("reference", gettext(lang, "Enter your application reference")))
    else:
        result.reference = normalize_reference(typed_reference)
        if result.reference is None:
            result.errors.append(
                (
                    "reference",
                    gettext(
                        lang,
                        "Check your application reference: it has 12 letters and numbers, "
                        "like 4KX7-92QD-MH3P",
                    ),
                )
            )
    passport = normalize_passport_number(form.get("passport_number", "").strip())
    if not passport:
        result.errors.append(("passport_number", gettext(lang, "Enter the passport number")))
    elif not (4 <= len(passport) <= 20 and passport.isalnum()):
        result.errors.append(
            (
                "passport_number",
                gettext(lang, "Passport number must be 4 to 20 letters and numbers"),
            )
        )
    else:
        result.passport_number = passport
    parts = [form.get(f"date_of_birth-{part}", "").strip() for part in ("day", "month", "year")]
    if not all(parts):
        result.errors.append(
            (
                "date_of_birth-day",
                gettext(lang, "Enter the date of birth, with day, month and year"),
            )
        )
    else:
        try:
            day, month, year = (int(part) for part in parts)
            result.date_of_birth = date(year, month, day)
        except ValueError:
            result.errors.append(
                ("date_of_birth-day", gettext(lang, "Date of birth must be a real date"))
            )
    return result


async def status_page(journey: Journey) -> Response:
    lang = journey.lang
    return journey.render_form(
        "eta/status.html",
        title=gettext(lang, "Check the status of your eTA application"),
        other_url=url("status", other_language(lang)),
        values={},
        errors={},
        error_list=[],
        back_url=None,
    )


async def look_up(journey: Journey) -> Response:
    request, lang = journey.request, journey.lang
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    if not journey.form_token_valid(form):
        return without_token(journey, form)
    found = read_look_up(form, lang)
    status: StatusRecord | None = None
    if not found.errors:
        assert found.reference and found.passport_number and found.date_of_birth
        status = await journey.applications.look_up(
            reference=found.reference,
            passport_number=found.passport_number,
            date_of_birth=found.date_of_birth,
        )
        wait = await journey.guards.status_look_up(
            request, found.reference, found=status is not None
        )
        if wait:
            return limited(journey, form, wait)
        if status is None:
            found.errors.append(
                (
                    "reference",
                    gettext(
                        lang,
                        "We could not find an application with these details. Check the "
                        "reference, passport number and date of birth.",
                    ),
                )
            )
    if found.errors or status is None:
        return journey.render_form(
            "eta/status.html",
            title=gettext(lang, "Check the status of your eTA application"),
            other_url=url("status", other_language(lang)),
            status=422,
            values=form,
            errors=dict(found.errors),
            error_list=found.errors,
            back_url=None,
        )
    return _result_page(journey, status, form, resent=None)


def _result_page(
    journey: Journey, status: StatusRecord, form: Mapping[str, str], resent: ResendResult | None
) -> Response:
    lang, application = journey.lang, status.application
    return journey.render_form(
        "eta/status_result.html",
        title=gettext(lang, "Application status"),
        other_url=url("status", other_language(lang)),
        application=application,
        authorization=status.authorization,
        resend_kind=offered_kind(application.status),
        resend_url=url("resend", lang),
        resent=resent.value if resent else None,
        fee=ETA_FEE.format(lang),
        lookup=form,
        back_url=url("status", lang),
        voice=voice_of(application.answers),
    )


async def resend(journey: Journey) -> Response:
    """The look-up answers travel with the button, and are checked again: knowing the
    reference alone never sends anything."""
    request, lang = journey.request, journey.lang
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    if not journey.form_token_valid(form):
        return without_token(journey, form)
    found = read_look_up(form, lang)
    if found.errors:
        return look_up_again(journey, form)
    assert found.reference and found.passport_number and found.date_of_birth
    applications = journey.applications
    status = await applications.look_up(
        reference=found.reference,
        passport_number=found.passport_number,
        date_of_birth=found.date_of_birth,
    )
    wait = await journey.guards.status_look_up(request, found.reference, found=status is not None)
    if wait:
        return limited(journey, form, wait)
    if status is None:
        return look_up_again(journey, form)
    application = status.application
    result = await applications.resend(
        application.id, offered_kind(application.status), now=journey.now
    )
    return _result_page(journey, status, form, resent=result)


def _form_again(
    journey: Journey,
    form: Mapping[str, str],
    *,
    status: int,
    errors: list[tuple[str, str]],
    headers: dict[str, str] | None = None,
) -> Response:
    """The look-up form shown again with what was typed and why it was not looked up."""
    return journey.render_form(
        "eta/status.html",
        title=gettext(journey.lang, "Check the status of your eTA application"),
        other_url=url("status", other_language(journey.lang)),
        status=status,
        headers=headers,
        values=form,
        errors=dict(errors),
        error_list=errors,
        back_url=None,
    )


def look_up_again(journey: Journey, form: Mapping[str, str]) -> Response:
    return _form_again(journey, form, status=422, errors=[])


def without_token(journey: Journey, form: Mapping[str, str]) -> Response:
    """A look-up posted without the page's token (from another site): nothing is looked up
    or sent, and the form is shown again with what was typed."""
    return _form_again(journey, form, status=403, errors=journey.form_token_problem("reference"))


def limited(journey: Journey, form: Mapping[str, str], wait: int) -> Response:
    """Too many failed look-ups from this client or for this reference: 429, whatever the
    answers were, with the time to wait."""
    lang, minutes = journey.lang, wait_minutes(wait)
    message = (
        gettext(lang, "Too many attempts to find an application. Try again in 1 minute.")
        if minutes == 1
        else gettext(
            lang, "Too many attempts to find an application. Try again in %(minutes)s minutes."
        )
        % {"minutes": minutes}
    )
    return _form_again(
        journey,
        form,
        status=429,
        errors=[("reference", message)],
        headers={"retry-after": str(wait)},
    )


def _register() -> None:
    add_localized(router, "eta.status", status_page, ["GET"])
    add_localized(router, "eta.status", look_up, ["POST"])
    add_localized(router, "eta.resend", resend, ["POST"])


_register()
