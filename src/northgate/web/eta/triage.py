""" "Do I need an eTA?": a short set of questions and a clear answer, from the rules table."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from northgate.core.lang import Lang, other_language
from northgate.eta.countries import countries_for, country
from northgate.eta.eligibility import TriageAnswers, assess, explain
from northgate.eta.fee import ETA_FEE
from northgate.ui.i18n import gettext
from northgate.ui.journey_urls import url
from northgate.ui.pages import PAGES_BY_KEY
from northgate.web.eta.context import Journey
from northgate.web.eta.routing import add_localized

router = APIRouter(include_in_schema=False)
# The part of "Who needs an eTA" about visitor visas: the next step for those who need one.
VISITOR_VISA_SECTION = "visitor-visa"
TRAVEL_MODES = ("air", "land", "sea")
CANADIAN_STATUSES = ("none", "citizen", "permanent_resident")
YES_NO_QUESTIONS = (
    "us_lawful_permanent_resident",
    "has_valid_canadian_visa",
    "had_canadian_visa_last_10_years",
    "has_valid_us_nonimmigrant_visa",
)


def read_triage(form: Mapping[str, str], lang: Lang) -> TriageAnswers | list[tuple[str, str]]:
    errors: list[tuple[str, str]] = []
    passport_country = form.get("passport_country", "")
    if country(passport_country) is None:
        errors.append(
            ("passport_country", gettext(lang, "Select the country that issued your passport"))
        )
    travel_mode = form.get("travel_mode", "")
    if travel_mode not in TRAVEL_MODES:
        errors.append(("travel_mode", gettext(lang, "Select how you will travel to Canada")))
    # Every question must be answered: nothing is assumed for the traveller.
    canadian_status = form.get("canadian_status", "")
    if canadian_status not in CANADIAN_STATUSES:
        errors.append(("canadian_status", gettext(lang, "Select your status in Canada")))
    flags = {}
    for name in YES_NO_QUESTIONS:
        value = form.get(name, "")
        if value not in ("yes", "no"):
            errors.append((name, gettext(lang, "Select yes or no")))
        flags[name] = value == "yes"
    if errors:
        return errors
    found = country(passport_country)
    assert found is not None
    return TriageAnswers(
        passport_country=found.code,
        travel_mode=travel_mode,  # type: ignore[arg-type]
        canadian_status=canadian_status,  # type: ignore[arg-type]
        **flags,
    )


def _context(lang: Lang, values: Mapping[str, str], errors: list[tuple[str, str]]) -> Any:
    return {
        "countries": countries_for(lang),
        "values": values,
        "errors": dict(errors),
        "error_list": errors,
        "back_url": None,
    }


async def triage_page(journey: Journey) -> Response:
    lang = journey.lang
    return journey.render(
        "eta/triage.html",
        title=gettext(lang, "Find out if you need an eTA"),
        other_url=url("triage", other_language(lang)),
        **_context(lang, {}, []),
    )


async def triage_answer(journey: Journey) -> Response:
    request, lang = journey.request, journey.lang
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    answers = read_triage(form, lang)
    if isinstance(answers, list):
        return journey.render(
            "eta/triage.html",
            title=gettext(lang, "Find out if you need an eTA"),
            other_url=url("triage", other_language(lang)),
            status=422,
            **_context(lang, form, answers),
        )
    outcome = assess(answers)
    # The result offers "Apply for an eTA", a form that starts an application.
    return journey.render_form(
        "eta/triage_result.html",
        title={
            "eta_required": gettext(lang, "You need an eTA"),
            "no_eta_needed": gettext(lang, "You do not need an eTA"),
            "visa_required": gettext(lang, "You need a visitor visa, not an eTA"),
        }[outcome.kind],
        other_url=url("triage", other_language(lang)),
        outcome=outcome,
        explanation=explain(outcome, lang),
        apply_url=url("start", lang),
        fee=ETA_FEE.format(lang),
        visa_info_url=f"{PAGES_BY_KEY['eta-who-needs'].path(lang)}#{VISITOR_VISA_SECTION}",
        triage_url=url("triage", lang),
        back_url=url("triage", lang),
    )


add_localized(router, "eta.triage", triage_page, ["GET"])
add_localized(router, "eta.triage", triage_answer, ["POST"])
