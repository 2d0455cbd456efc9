"""Render the whole information site once: every page in both languages, the error pages,
assets, robots.txt and the sitemap, as :class:`CachedResponse` objects keyed by path."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from northgate.core import routes
from northgate.core.lang import LANGUAGES, Lang, other_language
from northgate.site.cached import CachedResponse
from northgate.site.errors import CHROME, ERROR_TEXTS
from northgate.site.feedback import FEEDBACK_PATHS, MAX_DETAILS, PROBLEMS
from northgate.site.pages import PAGES, PAGES_BY_KEY, Page, all_page_paths, breadcrumbs, children
from northgate.web.assets import STATIC_DIR, AssetBundle, load_assets, newest_mtime
from northgate.web.i18n import LOCALE_DIR
from northgate.web.templating import TEMPLATE_DIR, environment

HTML = "text/html; charset=utf-8"
MAIN_MENU = ("visit", "eta", "immigrate", "citizenship", "help")
FOOTER_MENU = ("help", "privacy")
ERROR_CACHE_CONTROL = "no-cache"


@dataclass(frozen=True)
class Link:
    title: str
    url: str
    current: bool = False


@dataclass(frozen=True)
class Site:
    """Everything the edge serves without calling the application."""

    responses: Mapping[str, CachedResponse]
    redirects: Mapping[str, str]
    errors: Mapping[tuple[int, Lang], CachedResponse]
    assets: AssetBundle
    last_modified: datetime

    def error(self, status: int, lang: Lang = "en") -> CachedResponse:
        return self.errors.get((status, lang)) or self.errors[(500, lang)]

    def addresses(self) -> list[str]:
        """Every address the site answers by itself: its cached responses (pages and
        assets), its redirects, and the language choice at ``/``."""
        return [*self.responses, *self.redirects, "/"]


def build_site(*, node_modules: Path, public_origin: str) -> Site:
    assets = load_assets(node_modules)
    last_modified = newest_mtime(TEMPLATE_DIR, LOCALE_DIR, STATIC_DIR)
    responses: dict[str, CachedResponse] = dict(assets.responses(last_modified))
    redirects: dict[str, str] = {}
    for page, lang, path in all_page_paths():
        body = render_page(
            page,
            lang,
            assets=assets,
            public_origin=public_origin,
            date_modified=last_modified.date().isoformat(),
        )
        responses[path] = CachedResponse(body, HTML, last_modified)
        # Tolerate the other trailing-slash form; one canonical URL per page.
        alias = path[:-1] if path.endswith("/") else path + "/"
        redirects[alias] = path
    sitemap_path = routes.path("site.sitemap")
    api = routes.path("api.other")
    responses[routes.path("site.robots")] = CachedResponse(
        f"User-agent: *\nDisallow: {api}/\nSitemap: {public_origin}{sitemap_path}\n".encode(),
        "text/plain; charset=utf-8",
        last_modified,
    )
    responses[sitemap_path] = CachedResponse(
        sitemap(public_origin), "application/xml; charset=utf-8", last_modified
    )
    errors = {
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
    return Site(responses, redirects, errors, assets, last_modified)


def _links(keys: tuple[str, ...], lang: Lang, current: Page | None = None) -> list[Link]:
    return [
        Link(
            PAGES_BY_KEY[key].titles[lang],
            PAGES_BY_KEY[key].path(lang),
            current is not None and key == current.key,
        )
        for key in keys
    ]


def chrome_context(lang: Lang, assets: AssetBundle, current: Page | None = None) -> dict[str, Any]:
    """What every page's header and footer need; shared with dynamically rendered pages."""
    return {
        "asset": assets.url,
        "main_menu": _links(MAIN_MENU, lang, current),
        "footer_menu": _links(FOOTER_MENU, lang),
        "other_lang": other_language(lang),
        "url": lambda key: PAGES_BY_KEY[key].path(lang),
        "eta_url": lambda name: routes.path(f"eta.{name}", lang),
        "feedback_action": FEEDBACK_PATHS[lang],
        "problems": PROBLEMS,
        "max_details": MAX_DETAILS,
    }


def render_page(
    page: Page, lang: Lang, *, assets: AssetBundle, public_origin: str, date_modified: str
) -> bytes:
    template = environment(lang).get_template(f"pages/{lang}/{page.template}")
    context = chrome_context(lang, assets, page) | {
        "page": page,
        "title": page.titles[lang],
        "current_url": page.path(lang),
        "other_url": page.path(other_language(lang)),
        "public_origin": public_origin,
        "breadcrumbs": [Link(p.titles[lang], p.path(lang)) for p in breadcrumbs(page)],
        "children": [Link(p.titles[lang], p.path(lang)) for p in children(page)],
        "date_modified": date_modified,
    }
    return template.render(context).encode()


def render_error(status: int, lang: Lang, *, assets: AssetBundle) -> bytes:
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


def sitemap(public_origin: str) -> bytes:
    entries = []
    for page in PAGES:
        for lang in LANGUAGES:
            alternates = "".join(
                f'<xhtml:link rel="alternate" hreflang="{alt}" '
                f'href="{escape(public_origin + page.path(alt))}"/>'
                for alt in LANGUAGES
            )
            entries.append(
                f"<url><loc>{escape(public_origin + page.path(lang))}</loc>{alternates}</url>"
            )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        'xmlns:xhtml="http://www.w3.org/1999/xhtml">' + "".join(entries) + "</urlset>\n"
    ).encode()
