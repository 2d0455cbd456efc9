"""The route table: every public path of Northgate, in both languages, named once.

Everything that needs to know a path reads it from here: the web application registers its
routes from it, the admission gate classifies requests by it, analytics count arrivals per
section by it, e-mails link to it and the site builds its information pages' addresses from
it. Renaming a slug is one edit in this module.

Each route says, besides its path in each language, the gate class the admission gate
applies (with whether a pass is needed; possibly different for reads and writes: submitting
costs more than looking), the analytics section its arrivals are counted in, and how it
matches a request path (northgate.core.routing).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from northgate.core.lang import LANGUAGES, Lang
from northgate.core.routing import Gate, GateClass, Route, RouteTable

BYPASS: Final = Gate(GateClass.BYPASS, needs_pass=False)
# The journey: an admitted visitor's pages.
JOURNEY: Final = Gate(GateClass.DEFAULT, needs_pass=True)
# Open to anyone at once (never queued), shed only at the limit.
OPEN: Final = Gate(GateClass.DEFAULT, needs_pass=False)
# Submitting and paying: never shed once admitted.
COMMIT: Final = Gate(GateClass.CRITICAL, needs_pass=True)
# Back from the bank: must land even without a pass, or people pay twice.
LANDING: Final = Gate(GateClass.CRITICAL, needs_pass=False)
LOOK_UP: Final = Gate(GateClass.SHEDDABLE, needs_pass=True)
REPORT: Final = Gate(GateClass.SHEDDABLE, needs_pass=False)


def _both(path: str) -> Mapping[Lang, str]:
    """A language-neutral path: the same in English and French."""
    return {lang: path for lang in LANGUAGES}


def _in(lang_slugs: Mapping[Lang, str]) -> Mapping[Lang, str]:
    """An information page's path: ``/{lang}/{slug}`` (the home page's slug is empty)."""
    return {lang: f"/{lang}/{lang_slugs[lang]}" for lang in LANGUAGES}


def _under(base: Mapping[Lang, str], en: str, fr: str) -> Mapping[Lang, str]:
    slugs: Mapping[Lang, str] = {"en": en, "fr": fr}
    return {lang: f"{base[lang]}/{slugs[lang]}" for lang in LANGUAGES}


# The eTA's information page; the journey's pages live under it.
ETA: Final = _in({"en": "eta", "fr": "ave"})
_APPLY: Final = _under(ETA, "apply", "demande")
_STATUS: Final = _under(ETA, "status", "etat")
_RESUME: Final = _under(ETA, "resume", "reprendre")
_ANALYTICS_PAGE: Final = "/ops/analytics"
_OPS_PAGE: Final = "/ops"
_CALENDAR: Final = f"{_OPS_PAGE}/calendar"
_API: Final = "/api/v1"


def _page(key: str, paths: Mapping[Lang, str]) -> Route:
    return Route(f"page.{key}", paths, "information", BYPASS)


# The information pages, keyed as in the site's catalogue (northgate.ui.pages), which
# holds their titles and where they sit in the site.
_PAGES: Final = (
    _page("home", _in({"en": "", "fr": ""})),
    _page("visit", _in({"en": "visit-canada", "fr": "visiter-canada"})),
    _page("eta", ETA),
    _page("eta-who-needs", _under(ETA, "who-needs-an-eta", "qui-doit-obtenir-une-ave")),
    _page("eta-after-applying", _under(ETA, "after-you-apply", "apres-la-demande")),
    _page("immigrate", _in({"en": "immigrate", "fr": "immigrer"})),
    _page("citizenship", _in({"en": "citizenship", "fr": "citoyennete"})),
    _page("help", _in({"en": "help", "fr": "aide"})),
    _page("privacy", _in({"en": "privacy", "fr": "confidentialite"})),
)

_SITE: Final = (
    # Chooses the language by Accept-Language.
    Route("site.root", _both("/"), "information", BYPASS),
    Route("site.feedback", _in({"en": "feedback", "fr": "retroaction"}), "information", BYPASS),
    Route("site.robots", _both("/robots.txt"), "assets", BYPASS),
    Route("site.sitemap", _both("/sitemap.xml"), "assets", BYPASS),
    Route("site.favicon", _both("/favicon.ico"), "assets", BYPASS),
    # Versioned: /assets/{version}/{file}.
    Route("site.assets", _both("/assets"), "assets", BYPASS, "below"),
)

# The eTA journey. Its names are the web layer's page names (northgate.ui.journey_urls).
_JOURNEY: Final = (
    # Anything else under the eTA page: a mistyped journey address, still the journey.
    Route("eta.other", ETA, "eta", BYPASS, "below"),
    # Do I need an eTA? Cheap and answers most visitors: never queued.
    Route("eta.triage", _under(ETA, "check", "verifier"), "eta", OPEN, "tree"),
    # The application's steps, question pages included.
    Route("eta.start", _APPLY, "eta", JOURNEY, "tree"),
    Route("eta.question", _under(_APPLY, "{slug}", "{slug}"), "eta", JOURNEY),
    Route(
        "eta.review",
        _under(_APPLY, "check-your-answers", "verifier-vos-reponses"),
        "eta",
        JOURNEY,
        writes=COMMIT,
    ),
    Route("eta.pay", _under(_APPLY, "pay", "paiement"), "payment", JOURNEY, writes=COMMIT),
    Route(
        "eta.payment-return",
        _under(_APPLY, "payment-return", "retour-paiement"),
        "payment",
        LANDING,
        "tree",
    ),
    # The reference after payment, and the notice that a session ended: shown without a
    # pass (the pass ends with the application; the session may have ended in line).
    Route(
        "eta.confirmation",
        _under(_APPLY, "confirmation", "confirmation"),
        "eta",
        JOURNEY,
        "tree",
        reads=OPEN,
    ),
    Route(
        "eta.session-ended",
        _under(_APPLY, "session-ended", "session-terminee"),
        "eta",
        JOURNEY,
        "tree",
        reads=OPEN,
    ),
    Route("eta.save", _under(_APPLY, "save", "enregistrer"), "eta", JOURNEY),
    Route("eta.status", _STATUS, "status", LOOK_UP, "tree"),
    Route("eta.resend", _under(_STATUS, "resend", "renvoyer"), "status", LOOK_UP),
    Route("eta.resume", _RESUME, "eta", JOURNEY, "tree"),
    # Followed from the e-mail "save and come back later": the token is the slug.
    Route("eta.resume-link", _under(_RESUME, "{slug}", "{slug}"), "eta", JOURNEY),
)

_API_ROUTES: Final = (
    # Anything else under /api/ (not a version the gate knows): counted, never gated.
    Route("api.other", _both("/api"), "api", BYPASS, "below"),
    Route("api.docs", _both("/api/docs"), "ops", BYPASS, "tree"),
    Route("api.openapi", _both("/api/openapi.json"), "ops", BYPASS, "tree"),
    Route("api.v1", _both(_API), "api", JOURNEY, "below"),
    # The same question as the triage page, and as open.
    Route("api.eligibility", _both(f"{_API}/eligibility"), "api", OPEN),
    Route("api.questions", _both(f"{_API}/questions"), "api", JOURNEY),
    Route("api.applications", _both(f"{_API}/applications"), "api", JOURNEY, "tree", writes=COMMIT),
    Route(
        "api.application",
        _both(f"{_API}/applications/{{application_id}}"),
        "api",
        JOURNEY,
        writes=COMMIT,
    ),
    Route(
        "api.payments",
        _both(f"{_API}/applications/{{application_id}}/payments"),
        "payment",
        JOURNEY,
        writes=COMMIT,
    ),
    Route("api.status", _both(f"{_API}/status"), "status", LOOK_UP, "tree"),
    # Operators' analytics (and beacons): shed first, never queued.
    Route("api.analytics", _both(f"{_API}/analytics"), "ops", REPORT, "tree"),
    Route("api.analytics.live", _both(f"{_API}/analytics/live"), "ops", REPORT),
    Route("api.analytics.report", _both(f"{_API}/analytics/report"), "ops", REPORT),
    Route("api.analytics.anomalies", _both(f"{_API}/analytics/anomalies"), "ops", REPORT),
    # Capacity: the forecast and advice; the event calendar (operators' token).
    Route("api.capacity", _both(f"{_API}/capacity"), "ops", REPORT, "tree"),
    Route("api.capacity.events", _both(f"{_API}/capacity/events"), "ops", REPORT),
    Route("api.capacity.event", _both(f"{_API}/capacity/events/{{event_id}}"), "ops", REPORT),
)

_OPS: Final = (
    # Probes and operations: never gated.
    Route("ops.healthz", _both("/healthz"), "ops", BYPASS),
    Route("ops.readyz", _both("/readyz"), "ops", BYPASS),
    Route("ops.metrics", _both("/metrics"), "ops", BYPASS),
    Route("ops.other", _both("/ops"), "ops", BYPASS, "below"),
    # The gate answers these itself (northgate.edge.gate.admin).
    Route("ops.gate", _both("/ops/gate"), "ops", BYPASS, "tree"),
    Route("ops.gate.limits", _both("/ops/gate/limits"), "ops", BYPASS),
    Route("ops.gate.reset", _both("/ops/gate/reset"), "ops", BYPASS),
    Route(
        "ops.analytics",
        {"en": _ANALYTICS_PAGE, "fr": f"{_ANALYTICS_PAGE}/fr"},
        "ops",
        REPORT,
        "tree",
    ),
    Route(
        "ops.analytics.chart", _both(f"{_ANALYTICS_PAGE}/charts/{{name}}.{{fmt}}"), "ops", REPORT
    ),
    Route("ops.reports", _both("/ops/reports"), "ops", REPORT, "tree"),
    # The operators' capacity page: forecast, alerts, the event calendar, scaling history.
    Route("ops.capacity", {"en": _OPS_PAGE, "fr": f"{_OPS_PAGE}/fr"}, "ops", REPORT),
    Route("ops.capacity.chart", _both(f"{_OPS_PAGE}/charts/{{name}}.{{fmt}}"), "ops", REPORT),
    Route("ops.calendar", {"en": _CALENDAR, "fr": f"{_CALENDAR}/fr"}, "ops", REPORT),
    Route(
        "ops.calendar.delete",
        {"en": f"{_CALENDAR}/{{event_id}}/delete", "fr": f"{_CALENDAR}/{{event_id}}/supprimer"},
        "ops",
        REPORT,
    ),
)

_PAYMENTS: Final = (
    # The sandbox gateway's card page, standing in for the bank's: never shed, never queued.
    Route("payments.sandbox", _both("/sandbox-pay"), "payment", LANDING, "tree"),
    Route(
        "payments.sandbox.charge",
        _both("/sandbox-pay/{gateway_payment_id}"),
        "payment",
        LANDING,
    ),
)

ROUTES: Final[tuple[Route, ...]] = (*_PAGES, *_SITE, *_JOURNEY, *_API_ROUTES, *_OPS, *_PAYMENTS)
BY_NAME: Final[Mapping[str, Route]] = {route.name: route for route in ROUTES}


def route(name: str) -> Route:
    return BY_NAME[name]


def path(name: str, lang: Lang = "en") -> str:
    """The path of the route called ``name`` in ``lang``."""
    return BY_NAME[name].paths[lang]


def paths(name: str) -> Mapping[Lang, str]:
    return BY_NAME[name].paths


def is_api_path(path: str) -> bool:
    """Under ``/api/``: answered in JSON, never with a page."""
    return path.startswith(BY_NAME["api.other"].paths["en"] + "/")


def page_slug(key: str, lang: Lang) -> str:
    """An information page's slug: its path without the language (the home page's is "")."""
    return path(f"page.{key}", lang).removeprefix(f"/{lang}/")


TABLE: Final = RouteTable(ROUTES)
