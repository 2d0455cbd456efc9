"""The sandbox gateway's hosted payment page: a card form standing in for the bank's.

It stands for a third party's page, so nothing here depends on the portal's templates or
session; but a traveller sent here from the portal must see where they are, so it wears
the site's stylesheet and name, with a banner saying that no real money moves. It works
without JavaScript, in English and French (``?lang=fr``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from northgate.core.lang import Lang, language_of_path
from northgate.eta.fee import Money
from northgate.payments.cards import TEST_CARDS, CardErrors, validate_card
from northgate.payments.sandbox import SandboxGateway
from northgate.ui.assets import AssetBundle
from northgate.ui.cross_site import cross_site

_environment = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(default=True),
    undefined=StrictUndefined,
)

_FIELDS = (
    ("number", "cc-number", "numeric"),
    ("expiry", "cc-exp", "numeric"),
    ("cvc", "cc-csc", "numeric"),
    ("name", "cc-name", "text"),
)

_TEXT: dict[Lang, dict[str, Any]] = {
    "en": {
        "site_name": "Northgate",
        "tagline": "Immigration, citizenship and travel to Canada",
        "test_mode": "Test mode",
        "brand": "Sandbox Pay: a test payment page, no real money moves.",
        "title": "Pay by card",
        "other_language": "Français",
        "amount": "Amount:",
        "pay": "Pay",
        "error_prefix": "Error:",
        "error_summary": "There is a problem",
        "labels": {
            "number": "Card number",
            "expiry": "Expiry date",
            "cvc": "Security code (CVC)",
            "name": "Name on card",
        },
        "hints": {
            "number": "The long number on the front of your card",
            "expiry": "MM/YY, for example 04/29",
            "cvc": "The last 3 digits on the back of the card",
            "name": "",
        },
        "errors": {
            "number_missing": "Enter the card number",
            "number_invalid": "Enter a valid card number, like the 16 digits on your card",
            "expiry_missing": "Enter the expiry date",
            "expiry_invalid": "Enter the expiry date as MM/YY, for example 04/29",
            "expiry_past": "This card has expired: use another card",
            "cvc_invalid": "Enter the 3 or 4 digit security code",
            "name_missing": "Enter the name as it appears on the card",
        },
        "test_cards": "Test cards",
        "test_cards_hint": "Use any future expiry date, any 3 digits and any name.",
        "card_number": "Card number",
        "result": "Result",
        "outcomes": {
            "approved": "Approved",
            "declined": "Declined",
            "failed": "Processing error",
        },
    },
    "fr": {
        "site_name": "Northgate",
        "tagline": "Immigration, citoyenneté et voyages au Canada",
        "test_mode": "Mode test",
        "brand": "Sandbox Pay : une page de paiement de test, aucun argent réel n’est débité.",
        "title": "Payer par carte",
        "other_language": "English",
        "amount": "Montant :",
        "pay": "Payer",
        "error_prefix": "Erreur :",
        "error_summary": "Il y a un problème",
        "labels": {
            "number": "Numéro de carte",
            "expiry": "Date d’expiration",
            "cvc": "Code de sécurité (CVC)",
            "name": "Nom sur la carte",
        },
        "hints": {
            "number": "Le long numéro au recto de votre carte",
            "expiry": "MM/AA, par exemple 04/29",
            "cvc": "Les 3 derniers chiffres au verso de la carte",
            "name": "",
        },
        "errors": {
            "number_missing": "Entrez le numéro de carte",
            "number_invalid": (
                "Entrez un numéro de carte valide, comme les 16 chiffres sur votre carte"
            ),
            "expiry_missing": "Entrez la date d’expiration",
            "expiry_invalid": "Entrez la date d’expiration au format MM/AA, par exemple 04/29",
            "expiry_past": "Cette carte est expirée : utilisez une autre carte",
            "cvc_invalid": "Entrez le code de sécurité à 3 ou 4 chiffres",
            "name_missing": "Entrez le nom tel qu’il figure sur la carte",
        },
        "test_cards": "Cartes de test",
        "test_cards_hint": (
            "Utilisez une date d’expiration future, 3 chiffres et un nom quelconques."
        ),
        "card_number": "Numéro de carte",
        "result": "Résultat",
        "outcomes": {
            "approved": "Approuvée",
            "declined": "Refusée",
            "failed": "Erreur de traitement",
        },
    },
}


def _lang(value: object, return_url: str) -> Lang:
    """``?lang=`` if given; otherwise the merchant's language, read from where it wants
    the traveller back (``/fr/…``), as a real gateway takes a locale with the charge."""
    if value in ("en", "fr"):
        return "fr" if value == "fr" else "en"
    return language_of_path(urlsplit(return_url).path)


def format_amount(amount_cents: int, currency: str, lang: Lang) -> str:
    """As the merchant's own pages state it (``CAD $7.00`` / ``7,00 $ CA``)."""
    return Money(amount_cents=amount_cents, currency=currency).format(lang)


def with_payment(return_url: str, gateway_payment_id: str) -> str:
    """The return URL with ``payment=<id>`` added, keeping any query it already has."""
    parts = urlsplit(return_url)
    query = f"{parts.query}&" if parts.query else ""
    query += urlencode({"payment": gateway_payment_id})
    return urlunsplit(parts._replace(query=query))


def sandbox_router(gateway: SandboxGateway, assets: AssetBundle, public_origin: str) -> APIRouter:
    """``GET``/``POST {base_path}/{id}``; mount with ``app.include_router``. ``assets`` give
    the page the site's stylesheet; ``public_origin`` is where its own form is posted from."""
    router = APIRouter(include_in_schema=False)
    path = f"{gateway.base_path}/{{gateway_payment_id}}"

    def render(
        charge_id: str,
        amount: str,
        lang: Lang,
        *,
        errors: dict[str, str],
        values: dict[str, str],
    ) -> HTMLResponse:
        action = f"{gateway.base_path}/{charge_id}"
        other: Lang = "en" if lang == "fr" else "fr"
        body = _environment.get_template("sandbox_pay.html").render(
            lang=lang,
            other_lang=other,
            other_url=f"{action}?lang={other}",
            t=_TEXT[lang],
            stylesheet=assets.url("northgate.css"),
            favicon=assets.url("img/favicon.svg"),
            amount=amount,
            action=action,
            errors=errors,
            # The card number and CVC are never echoed back into the page.
            values={k: v for k, v in values.items() if k in ("expiry", "name")},
            fields=_FIELDS,
            test_cards=[
                (" ".join(n[i : i + 4] for i in range(0, 16, 4)), o) for n, o in TEST_CARDS.items()
            ],
        )
        return HTMLResponse(
            body,
            status_code=422 if errors else 200,
            headers={"cache-control": "no-store", "x-robots-tag": "noindex"},
        )

    @router.get(path)
    async def show(request: Request, gateway_payment_id: str) -> Response:
        charge = await gateway.charge(gateway_payment_id)
        if charge is None:
            return HTMLResponse("Unknown payment / Paiement inconnu", status_code=404)
        if charge.status != "pending":
            # Back button after paying, or an expired page: the merchant shows the outcome.
            return RedirectResponse(with_payment(charge.return_url, gateway_payment_id), 303)
        lang = _lang(request.query_params.get("lang"), charge.return_url)
        amount = format_amount(charge.amount_cents, charge.currency, lang)
        return render(gateway_payment_id, amount, lang, errors={}, values={})

    @router.post(path)
    async def pay(request: Request, gateway_payment_id: str) -> Response:
        charge = await gateway.charge(gateway_payment_id)
        if charge is None:
            return HTMLResponse("Unknown payment / Paiement inconnu", status_code=404)
        if cross_site(request, public_origin):
            # Like a real gateway's card form: only its own page may submit it.
            return HTMLResponse(
                "This payment form was not sent from its page: nothing was charged. / "
                "Ce formulaire de paiement ne venait pas de sa page\u00a0: rien n’a été débité.",
                status_code=403,
            )
        form = await request.form()
        values = {key: value for key, value in form.items() if isinstance(value, str)}
        lang = _lang(values.get("lang") or request.query_params.get("lang"), charge.return_url)
        if charge.status == "pending":
            card = validate_card(
                values.get("number", ""),
                values.get("expiry", ""),
                values.get("cvc", ""),
                values.get("name", ""),
                today=gateway.clock().date(),
            )
            if isinstance(card, CardErrors):
                amount = format_amount(charge.amount_cents, charge.currency, lang)
                return render(
                    gateway_payment_id,
                    amount,
                    lang,
                    errors=dict(card.fields),
                    values=values,
                )
            # Conditional on still pending: a second submit does not change the outcome.
            await gateway.complete(gateway_payment_id, card.outcome, card.last4)
        return RedirectResponse(with_payment(charge.return_url, gateway_payment_id), 303)

    return router
