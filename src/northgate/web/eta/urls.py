"""The journey's URLs in each language: parallel, so the language toggle keeps your place."""

from __future__ import annotations

from collections.abc import Mapping

from northgate.eta.questions import Step
from northgate.site.pages import Lang

BASE: Mapping[Lang, str] = {"en": "/en/eta", "fr": "/fr/ave"}

PATHS: Mapping[str, Mapping[Lang, str]] = {
    "triage": {"en": "check", "fr": "verifier"},
    "start": {"en": "apply", "fr": "demande"},
    "review": {"en": "apply/check-your-answers", "fr": "demande/verifier-vos-reponses"},
    "pay": {"en": "apply/pay", "fr": "demande/paiement"},
    "payment-return": {"en": "apply/payment-return", "fr": "demande/retour-paiement"},
    "confirmation": {"en": "apply/confirmation", "fr": "demande/confirmation"},
    "save": {"en": "apply/save", "fr": "demande/enregistrer"},
    "session-ended": {"en": "apply/session-ended", "fr": "demande/session-terminee"},
    "status": {"en": "status", "fr": "etat"},
    "resend": {"en": "status/resend", "fr": "etat/renvoyer"},
    "resume": {"en": "resume", "fr": "reprendre"},
}


# Where a visitor without an application in progress may start: linked from the home page
# and the eTA pages, and reached by following links alone (tests/site/test_crawl.py).
ENTRY_POINTS: tuple[str, ...] = ("triage", "start", "status")
# Pages open to anyone but reached only by being sent there (the session ended), never by a
# link. Every other journey page needs an application in progress.
LANDING_PAGES: tuple[str, ...] = ("session-ended",)


def url(name: str, lang: Lang) -> str:
    return f"{BASE[lang]}/{PATHS[name][lang]}"


def step_url(step: Step, lang: Lang) -> str:
    return f"{url('start', lang)}/{step.slug(lang)}"
