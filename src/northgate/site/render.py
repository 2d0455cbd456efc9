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
from northgate.site.feedback import form_context
from northgate.ui.assets import STATIC_DIR, AssetBundle, load_assets, newest_mtime
from northgate.ui.cached import CachedResponse
from northgate.ui.chrome import Link, chrome_context
from northgate.ui.errors import error_page, render_error_pages
from northgate.ui.i18n import LOCALE_DIR
from northgate.ui.pages import PAGES, Page, all_page_paths, breadcrumbs, children
from northgate.ui.templating import TEMPLATE_DIR, environment

HTML = "text/html; charset=utf-8"


@dataclass(frozen=True)
class Site:
    """Everything the edge serves without calling the application."""

    responses: Mapping[str, CachedResponse]
    redirects: Mapping[str, str]
    errors: Mapping[tuple[int, Lang], CachedResponse]
    assets: AssetBundle
    last_modified: datetime

    def error(self, status: int, lang: Lang = "en") -> CachedResponse:
        return error_page(self.errors, status, lang)

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
    errors = render_error_pages(assets, last_modified)
    return Site(responses, redirects, errors, assets, last_modified)


def page_context(lang: Lang, assets: AssetBundle, current: Page | None = None) -> dict[str, Any]:
    """The chrome plus what information pages add: links into the journey and the
    "report a problem" form."""
    return (
        chrome_context(lang, assets, current)
        | {"eta_url": lambda name: routes.path(f"eta.{name}", lang)}
        | form_context(lang)
    )


def render_page(
    page: Page, lang: Lang, *, assets: AssetBundle, public_origin: str, date_modified: str
) -> bytes:
    template = environment(lang).get_template(f"pages/{lang}/{page.template}")
    context = page_context(lang, assets, page) | {
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
