"""Jinja2 environments, one per language, with that language's translations installed.

One environment per language keeps rendering free of shared mutable state, so pages
rendered at start-up and forms rendered per request can use the same templates safely.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from northgate.core.dates import long_date
from northgate.core.lang import Lang
from northgate.ui.i18n import translations

TEMPLATE_DIR = Path(__file__).parent / "templates"


@cache
def environment(lang: Lang) -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATE_DIR),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
        # Templates ship with the code: compiled once per process, never stat()ed again
        # on each render to see whether the file changed (a restart picks up a release).
        auto_reload=False,
    )
    env.install_gettext_translations(translations(lang), newstyle=True)  # type: ignore[attr-defined]
    env.globals["lang"] = lang
    env.filters["long_date"] = lambda value: long_date(value, lang)
    return env
