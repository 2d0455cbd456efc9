"""What every page's header and footer need: the menus, the language toggle, asset URLs.

Shared by the pages rendered once at start-up (the information site, error pages, the
waiting room) and those rendered per request (the journey, the operators' page).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from northgate.core.lang import Lang, other_language
from northgate.ui.assets import AssetBundle
from northgate.ui.pages import PAGES_BY_KEY, Page

MAIN_MENU = ("visit", "eta", "immigrate", "citizenship", "help")
FOOTER_MENU = ("help", "privacy")


@dataclass(frozen=True)
class Link:
    title: str
    url: str
    current: bool = False


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
    return {
        "asset": assets.url,
        "main_menu": _links(MAIN_MENU, lang, current),
        "footer_menu": _links(FOOTER_MENU, lang),
        "other_lang": other_language(lang),
        "url": lambda key: PAGES_BY_KEY[key].path(lang),
    }
