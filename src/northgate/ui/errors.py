"""The bilingual error pages: their texts, rendered once at start-up into cached bytes.

The one home of the error pages: the edge sends them as prepared messages
(:mod:`northgate.edge.errors`), the application's exception handlers as responses
(:mod:`northgate.web.errors`), ``export-static`` writes them for nginx.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from northgate.core.lang import LANGUAGES, Lang, other_language
from northgate.ui.assets import AssetBundle
from northgate.ui.cached import CachedResponse
from northgate.ui.pages import PAGES_BY_KEY
from northgate.ui.templating import environment

HTML = "text/html; charset=utf-8"
ERROR_CACHE_CONTROL = "no-cache"


@dataclass(frozen=True)
class ErrorText:
    title: str
    paragraphs: tuple[str, ...]


ERROR_TEXTS: Mapping[int, Mapping[Lang, ErrorText]] = {
    400: {
        "en": ErrorText(
            "We could not understand that request",
            (
                "Your browser sent a request this site could not read. Please check the address "
                "and try again.",
            ),
        ),
        "fr": ErrorText(
            "Nous n’avons pas pu comprendre cette demande",
            (
                "Votre navigateur a envoyé une demande que ce site n’a pas pu lire. Veuillez "
                "vérifier l’adresse et réessayer.",
            ),
        ),
    },
    404: {
        "en": ErrorText(
            "We couldn't find that Web page",
            (
                "We're sorry you ended up here. Sometimes a page gets moved or deleted, or the "
                "address was typed with a mistake.",
                "Please check the address, or start again from the home page.",
            ),
        ),
        "fr": ErrorText(
            "Nous ne pouvons trouver cette page Web",
            (
                "Nous sommes désolés que vous ayez abouti ici. Il arrive parfois qu’une page ait "
                "été déplacée ou supprimée, ou que l’adresse ait été mal tapée.",
                "Veuillez vérifier l’adresse ou recommencer à partir de la page d’accueil.",
            ),
        ),
    },
    405: {
        "en": ErrorText(
            "That action is not allowed on this page",
            ("This page can only be read, not submitted to. Please go back and try again.",),
        ),
        "fr": ErrorText(
            "Cette action n’est pas permise sur cette page",
            (
                "Cette page peut seulement être consultée. Veuillez revenir en arrière et "
                "réessayer.",
            ),
        ),
    },
    413: {
        "en": ErrorText(
            "What you sent is too large",
            (
                "The information sent to this page was larger than it accepts. Anything you had "
                "already saved is still saved. Please go back and shorten your answer.",
            ),
        ),
        "fr": ErrorText(
            "Ce que vous avez envoyé est trop volumineux",
            (
                "Les renseignements envoyés à cette page dépassent la taille permise. Tout ce que "
                "vous aviez déjà enregistré l’est toujours. Veuillez revenir en arrière et "
                "raccourcir votre réponse.",
            ),
        ),
    },
    414: {
        "en": ErrorText(
            "That Web address is too long",
            ("Please check the address, or start again from the home page.",),
        ),
        "fr": ErrorText(
            "Cette adresse Web est trop longue",
            ("Veuillez vérifier l’adresse ou recommencer à partir de la page d’accueil.",),
        ),
    },
    500: {
        "en": ErrorText(
            "Something went wrong on our side",
            (
                "This is our error, not yours. Anything you had already saved is still saved.",
                "Please try again in a few minutes.",
            ),
        ),
        "fr": ErrorText(
            "Une erreur s’est produite de notre côté",
            (
                "Cette erreur vient de nous, pas de vous. Tout ce que vous aviez déjà enregistré "
                "l’est toujours.",
                "Veuillez réessayer dans quelques minutes.",
            ),
        ),
    },
    503: {
        "en": ErrorText(
            "This service is busy right now",
            (
                "Many people are using this service at the moment. Anything you had already "
                "saved is still saved.",
                "Please try again in a few minutes.",
            ),
        ),
        "fr": ErrorText(
            "Ce service est très occupé en ce moment",
            (
                "Beaucoup de personnes utilisent ce service en ce moment. Tout ce que vous aviez "
                "déjà enregistré l’est toujours.",
                "Veuillez réessayer dans quelques minutes.",
            ),
        ),
    },
}

CHROME: Mapping[Lang, Mapping[str, str]] = {
    "en": {
        "skip": "Skip to main content",
        "code_label": "Error",
        "home": "Go to the home page",
        "help": "Get help or contact us",
    },
    "fr": {
        "skip": "Passer au contenu principal",
        "code_label": "Erreur",
        "home": "Aller à la page d’accueil",
        "help": "Obtenir de l’aide ou nous joindre",
    },
}


def render_error(status: int, lang: Lang, *, assets: AssetBundle) -> bytes:
    """The page for ``status`` in ``lang``, followed by the same text in the other language."""

    def part(part_lang: Lang) -> dict[str, Any]:
        text = ERROR_TEXTS[status][part_lang]
        return {
            "lang": part_lang,
            "title": text.title,
            "paragraphs": text.paragraphs,
            "help_url": PAGES_BY_KEY["help"].path(part_lang),
            **CHROME[part_lang],
        }

    template = environment(lang).get_template("errors/error.html")
    return template.render(
        status=status, first=part(lang), second=part(other_language(lang)), asset=assets.url
    ).encode()


def render_error_pages(
    assets: AssetBundle, last_modified: datetime
) -> dict[tuple[int, Lang], CachedResponse]:
    """Every error page, by status and language."""
    return {
        (status, lang): CachedResponse(
            render_error(status, lang, assets=assets),
            HTML,
            last_modified,
            cache_control=ERROR_CACHE_CONTROL,
            status=status,
        )
        for status in ERROR_TEXTS
        for lang in LANGUAGES
    }


def error_page(
    pages: Mapping[tuple[int, Lang], CachedResponse], status: int, lang: Lang
) -> CachedResponse:
    """The page for ``status``, or the 500 page for a status that has none of its own."""
    return pages.get((status, lang)) or pages[(500, lang)]
