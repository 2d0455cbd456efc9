"""Pay the fee and see the confirmation.

The application is already durable (``submitted``, with a reference) when this starts. The
payment service carries the idempotency keys; this module only routes the browser, so a
reload, a double click or the back button lands on the right page without a second charge.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from northgate.applications.status import PAID_OR_LATER, ApplicationStatus
from northgate.core.lang import Lang, other_language
from northgate.edge.gate import end_pass
from northgate.eta.fee import ETA_FEE
from northgate.ui.i18n import gettext
from northgate.ui.journey_urls import url
from northgate.web.eta.context import Journey
from northgate.web.eta.draft import open_draft, read_form, redirect
from northgate.web.eta.routing import add_localized

router = APIRouter(include_in_schema=False)
PAYMENT_PROBLEMS = ("declined", "failed", "retry")


def _elsewhere(status: ApplicationStatus, lang: Lang) -> Response | None:
    """Only a submitted, unpaid application belongs on the payment page."""
    if status == ApplicationStatus.DRAFT:
        return redirect(url("review", lang))
    if status in PAID_OR_LATER:
        return redirect(url("confirmation", lang))
    return None


async def pay_page(journey: Journey) -> Response:
    request, lang = journey.request, journey.lang
    draft = await open_draft(journey)
    if isinstance(draft, Response):
        return draft
    if (elsewhere := _elsewhere(draft.application.status, lang)) is not None:
        return elsewhere
    problem = request.query_params.get("problem")
    return draft.render(
        "eta/pay.html",
        title=gettext(lang, "Pay the eTA fee"),
        other_url=url("pay", other_language(lang)),
        reference=draft.application.reference,
        fee=ETA_FEE.format(lang),
        problem=problem if problem in PAYMENT_PROBLEMS else None,
        back_url=None,
    )


async def pay(journey: Journey) -> Response:
    request, lang = journey.request, journey.lang
    draft = await open_draft(journey)
    if isinstance(draft, Response):
        return draft
    if not draft.csrf_valid(await read_form(request)):
        return draft.redirect(url("pay", lang))
    if (elsewhere := _elsewhere(draft.application.status, lang)) is not None:
        return elsewhere
    result = await journey.payments.start(draft.application.id, url("payment-return", lang))
    if result.already_paid:
        return draft.redirect(url("confirmation", lang))
    if result.redirect_url is None:
        return draft.redirect(url("pay", lang) + "?problem=retry")
    return draft.redirect(result.redirect_url)


async def payment_return(journey: Journey) -> Response:
    """Where the gateway sends the browser back. The outcome is read from the gateway,
    never from this URL's parameters."""
    request, lang = journey.request, journey.lang
    gateway_payment_id = request.query_params.get("payment", "")
    if not gateway_payment_id or len(gateway_payment_id) > 64:
        return redirect(url("pay", lang))
    try:
        result = await journey.payments.settle(gateway_payment_id)
    except LookupError:
        return redirect(url("pay", lang))
    # refund_due: this charge duplicated an approved one (the service logs it for an
    # operator to refund); the application itself is paid, so confirm it.
    if result.status in ("approved", "refund_due"):
        # Done with the gate: the place goes to the next person in the waiting room.
        await end_pass(request.scope)
        return redirect(url("confirmation", lang))
    if result.status in ("declined", "failed"):
        return redirect(url("pay", lang) + f"?problem={result.status}")
    # Still pending at the gateway: show a page that checks again by itself.
    return journey.render(
        "eta/payment_pending.html",
        title=gettext(lang, "We are confirming your payment"),
        other_url=url("payment-return", other_language(lang)) + f"?payment={gateway_payment_id}",
        headers={"refresh": "5"},
        back_url=None,
    )


async def confirmation(journey: Journey) -> Response:
    lang = journey.lang
    draft = await open_draft(journey)
    if isinstance(draft, Response):
        return draft
    application = draft.application
    if application.status not in PAID_OR_LATER:
        submitted = application.status == ApplicationStatus.SUBMITTED
        return redirect(url("pay" if submitted else "review", lang))
    return draft.render(
        "eta/confirmation.html",
        title=gettext(lang, "Application submitted"),
        other_url=url("confirmation", other_language(lang)),
        reference=application.reference,
        email=application.email,
        fee=ETA_FEE.format(lang),
        status_url=url("status", lang),
        back_url=None,
    )


def _register() -> None:
    add_localized(router, "eta.pay", pay_page, ["GET"])
    add_localized(router, "eta.pay", pay, ["POST"])
    add_localized(router, "eta.payment-return", payment_return, ["GET"])
    add_localized(router, "eta.confirmation", confirmation, ["GET"])


_register()
