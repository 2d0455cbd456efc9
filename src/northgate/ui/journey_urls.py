"""The journey's URLs in each language: parallel, so the language toggle keeps your place."""

from __future__ import annotations

from collections.abc import Mapping

from northgate.core.lang import Lang
from northgate.core.routes import ETA, ROUTES, path
from northgate.eta.questions import QUESTION_SET, Step

_PREFIX = "eta."
BASE: Mapping[Lang, str] = ETA

# The journey's pages by name, each as its path below BASE: the route table's "eta.*"
# routes with a page of their own (not the catch-all, not the slug routes).
PATHS: Mapping[str, Mapping[Lang, str]] = {
    route.name.removeprefix(_PREFIX): {
        lang: page.removeprefix(BASE[lang] + "/") for lang, page in route.paths.items()
    }
    for route in ROUTES
    if route.name.startswith(_PREFIX) and route.match != "below" and not route.templated
}


# Where a visitor without an application in progress may start: linked from the home page
# and the eTA pages, and reached by following links alone (tests/site/test_crawl.py).
ENTRY_POINTS: tuple[str, ...] = ("triage", "start", "status")
# Pages open to anyone but reached only by being sent there (the session ended), never by a
# link. Every other journey page needs an application in progress.
LANDING_PAGES: tuple[str, ...] = ("session-ended",)


def url(name: str, lang: Lang) -> str:
    return path(_PREFIX + name, lang)


def step_url(step: Step, lang: Lang) -> str:
    return f"{url('start', lang)}/{step.slug(lang)}"


def page_to_wait_on(path: str) -> str:
    """The page to show again (GET) for a form posted to ``path``: the path itself, except
    for the forms posted to an address that has no page of its own."""
    for lang in BASE:
        if path == url("resend", lang):
            return url("status", lang)
    return path


def counterpart(path: str) -> str | None:
    """The same journey page in the other language (for a page that does not render its own
    toggle, such as the waiting room in front of it), or None when ``path`` is not one."""
    lang = next((lang for lang, base in BASE.items() if (path + "/").startswith(base + "/")), None)
    if lang is None:
        return None
    rest = path[len(BASE[lang]) + 1 :]
    other: Lang = "fr" if lang == "en" else "en"
    for name in sorted(PATHS, key=lambda name: -len(PATHS[name][lang])):
        page = PATHS[name][lang]
        if rest == page:
            return url(name, other)
        if rest.startswith(page + "/"):
            tail = rest[len(page) + 1 :]
            if name == "start":  # a question page: its slug differs between languages
                step = QUESTION_SET.step_by_slug(tail, lang)
                return step_url(step, other) if step is not None else url(name, other)
            return f"{url(name, other)}/{tail}" if name == "resume" else url(name, other)
    return BASE[other]
