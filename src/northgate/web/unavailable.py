"""What a visitor gets while a dependency is down: 503 with Retry-After, never a 500.

- API (``/api/``): JSON ``{"error": "unavailable", "retry_after": n}``.
- HTML: a page in the visitor's language saying the service is unavailable for a moment
  (not "busy": that is the gate's page). After a posted form it keeps every field just
  sent in a form of its own, so "Try again" sends it as it was (nothing typed is lost);
  not on the sandbox bank's page, whose card numbers are never written back into a page.
"""

from __future__ import annotations

import random

from fastapi import Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from northgate.core import routes
from northgate.core.lang import language_of_path, other_language
from northgate.ui.assets import AssetBundle
from northgate.ui.chrome import chrome_context
from northgate.ui.i18n import gettext
from northgate.ui.templating import environment

# Jittered: a crowd refused together does not come back together.
RETRY_AFTER_RANGE = (10, 30)
_NOT_ECHOED = (routes.path("payments.sandbox"),)


def retry_after_seconds(rng: random.Random | None = None) -> int:
    return (rng or random).randint(*RETRY_AFTER_RANGE)


def unavailable_json(retry_after: int) -> JSONResponse:
    return JSONResponse(
        {
            "error": "unavailable",
            "detail": "a service this request needs is unavailable; try again later",
            "retry_after": retry_after,
        },
        status_code=503,
        headers={"retry-after": str(retry_after), "cache-control": "no-store"},
    )


async def posted_fields(request: Request) -> list[tuple[str, str]] | None:
    """The text fields of a posted form, in order, or None when there is nothing to keep."""
    if request.method != "POST" or request.url.path.startswith(_NOT_ECHOED):
        return None
    try:
        form = await request.form()
    except Exception:  # an unreadable body: the plain 503 page, which keeps nothing
        return None
    return [(name, value) for name, value in form.multi_items() if isinstance(value, str)]


def unavailable_page(
    request: Request, assets: AssetBundle, fields: list[tuple[str, str]] | None, retry_after: int
) -> Response:
    """The page; ``fields``: what was posted, to send again (None after a GET)."""
    lang = language_of_path(request.url.path)
    # Only matched routes get here, all of them under one leading slash: a local address.
    action = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    title = (
        gettext(lang, "We could not save what you sent yet")
        if fields is not None
        else gettext(lang, "This service is unavailable for a moment")
    )
    body = (
        environment(lang)
        .get_template("errors/unavailable.html")
        .render(
            chrome_context(lang, assets)
            | {
                "title": title,
                "other_url": routes.path("page.home", other_language(lang)),
                "other_lang": other_language(lang),
                "action": action,
                "fields": fields,
                "retry_after": retry_after,
            }
        )
    )
    return HTMLResponse(
        b"" if request.method == "HEAD" else body.encode(),
        status_code=503,
        headers={"retry-after": str(retry_after), "cache-control": "no-store"},
    )
