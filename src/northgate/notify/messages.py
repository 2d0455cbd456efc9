"""E-mails to travellers, in their language of correspondence, as text with an HTML twin.

Each kind has a function taking exactly what the message shows, so a caller cannot forget
a field and a template cannot reach into the database. Templates live under
``templates/<lang>/<kind>.{txt,html}``; only HTML is autoescaped (escaping plain text
would print ``&amp;`` to the reader).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from email.message import EmailMessage
from email.utils import format_datetime as rfc2822_datetime
from pathlib import Path
from typing import Any, Literal

from babel.dates import format_datetime
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from northgate.core.dates import LOCALES, long_date
from northgate.core.lang import Lang
from northgate.core.typography import french_spacing
from northgate.core.zone import SERVICE_TIMEZONE

Kind = Literal["receipt", "approval", "referral", "resume", "unpaid"]
KINDS: tuple[Kind, ...] = ("receipt", "approval", "referral", "resume", "unpaid")

TEMPLATES = Path(__file__).parent / "templates"

_environment = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
    undefined=StrictUndefined,
    keep_trailing_newline=True,
    trim_blocks=True,
    lstrip_blocks=True,
)

_SUBJECTS: dict[Kind, dict[Lang, str]] = {
    "receipt": {
        "en": "Payment received – eTA application {reference}",
        "fr": "Paiement reçu – demande d’AVE {reference}",
    },
    "approval": {
        "en": "Your eTA is approved – {eta_number}",
        "fr": "Votre AVE est approuvée – {eta_number}",
    },
    "referral": {
        "en": "Your eTA application needs more review – {reference}",
        "fr": "Votre demande d’AVE doit être examinée – {reference}",
    },
    "unpaid": {
        "en": "Your eTA application {reference} is saved but not paid",
        "fr": "Votre demande d’AVE {reference} est enregistrée mais n’est pas payée",
    },
    "resume": {
        "en": "Continue your eTA application",
        "fr": "Poursuivre votre demande d’AVE",
    },
}


# When someone applied for another person, the e-mails go to, and greet, the person who
# applied, and name the traveller the application is for.
_SUBJECTS_FOR_SOMEONE_ELSE: dict[Kind, dict[Lang, str]] = {
    "approval": {
        "en": "eTA approved for {applicant} – {eta_number}",
        "fr": "AVE approuvée pour {applicant} – {eta_number}",
    },
    "referral": {
        "en": "The eTA application for {applicant} needs more review – {reference}",
        "fr": "La demande d’AVE de {applicant} doit être examinée – {reference}",
    },
    "unpaid": {
        "en": "The eTA application {reference} for {applicant} is saved but not paid",
        "fr": "La demande d’AVE {reference} de {applicant} est enregistrée mais n’est pas payée",
    },
}


@dataclass(frozen=True)
class Rendered:
    kind: Kind
    lang: Lang
    subject: str
    text: str
    html: str


def long_datetime(value: datetime, lang: Lang) -> str:
    pattern = "MMMM d, y 'at' h:mm a zzz" if lang == "en" else "d MMMM y 'à' HH 'h' mm zzz"
    return str(format_datetime(value, pattern, tzinfo=SERVICE_TIMEZONE, locale=LOCALES[lang]))


def _render(kind: Kind, lang: Lang, subject_fields: dict[str, str], **context: Any) -> Rendered:
    context = {"lang": lang, "applicant": None, **context}
    text = _environment.get_template(f"{lang}/{kind}.txt").render(context)
    html = _environment.get_template(f"{lang}/{kind}.html").render(context)
    applicant = context["applicant"]
    subjects = _SUBJECTS_FOR_SOMEONE_ELSE if applicant else _SUBJECTS
    subject = subjects.get(kind, _SUBJECTS[kind])[lang].format(
        applicant=applicant, **subject_fields
    )
    if lang == "fr":
        text, html, subject = french_spacing(text), french_spacing(html), french_spacing(subject)
    return Rendered(kind, lang, subject, text, html)


def receipt(
    lang: Lang,
    *,
    name: str,
    reference: str,
    amount: str,
    paid_on: date,
    status_url: str,
    applicant: str | None = None,
) -> Rendered:
    """Sent when the fee is paid: reference, amount, and what happens next. ``name`` is
    whom the e-mail greets; ``applicant`` the traveller when that is someone else."""
    return _render(
        "receipt",
        lang,
        {"reference": reference},
        name=name,
        reference=reference,
        amount=amount,
        paid_on=long_date(paid_on, lang),
        status_url=status_url,
        applicant=applicant,
    )


def approval(
    lang: Lang,
    *,
    name: str,
    reference: str,
    eta_number: str,
    passport_number: str,
    passport_country: str,
    valid_until: date,
    applicant: str | None = None,
) -> Rendered:
    """The eTA itself. The full passport number is shown, as IRCC does, so the traveller
    can compare it with the passport they will fly on: a typo means boarding is refused."""
    return _render(
        "approval",
        lang,
        {"eta_number": eta_number},
        name=name,
        reference=reference,
        eta_number=eta_number,
        passport_number=passport_number,
        passport_country=passport_country,
        valid_until=long_date(valid_until, lang),
        applicant=applicant,
    )


def referral(
    lang: Lang, *, name: str, reference: str, status_url: str, applicant: str | None = None
) -> Rendered:
    """Not a refusal: an officer reviews the application and may ask for documents."""
    return _render(
        "referral",
        lang,
        {"reference": reference},
        name=name,
        reference=reference,
        status_url=status_url,
        applicant=applicant,
    )


def resume(lang: Lang, *, resume_url: str, expires_at: datetime | None) -> Rendered:
    """A link back to a saved application; the web layer makes (and owns) the link."""
    return _render(
        "resume",
        lang,
        {},
        resume_url=resume_url,
        expires_at=long_datetime(expires_at, lang) if expires_at else None,
    )


def unpaid(
    lang: Lang,
    *,
    name: str,
    reference: str,
    fee: str,
    status_url: str,
    applicant: str | None = None,
) -> Rendered:
    """Sent once when a submitted application is still unpaid an hour later: people who
    lost the payment page in a crowd still have to finish before their deadline."""
    return _render(
        "unpaid",
        lang,
        {"reference": reference},
        name=name,
        reference=reference,
        fee=fee,
        status_url=status_url,
        applicant=applicant,
    )


def compose(
    rendered: Rendered, *, to: str, sender: str, message_id: str, date: datetime
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = rendered.subject
    message["Date"] = rfc2822_datetime(date)
    message["Message-ID"] = message_id
    # Tells mail servers and auto-responders this is automated (RFC 3834): no vacation
    # replies bouncing back to a no-reply address.
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(rendered.text)
    message.add_alternative(rendered.html, subtype="html")
    # After the body: set_content() clears every Content-* header already there.
    message["Content-Language"] = "fr-CA" if rendered.lang == "fr" else "en-CA"
    return message
