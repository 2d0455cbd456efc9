"""Routes for "report a problem on this page"."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from northgate.core import routes
from northgate.core.lang import Lang, other_language
from northgate.settings import Settings
from northgate.site.feedback import (
    FEEDBACK_PATHS,
    FeedbackErrors,
    form_context,
    validate_feedback,
)
from northgate.site.render import Site
from northgate.storage.db import Database
from northgate.storage.feedback import save_feedback
from northgate.ui.assets import AssetBundle
from northgate.ui.chrome import chrome_context
from northgate.ui.cross_site import cross_site
from northgate.ui.i18n import gettext
from northgate.ui.pages import PAGES_BY_KEY
from northgate.ui.templating import environment
from northgate.web.dependencies import DatabaseDep, SettingsDep, SiteDep

router = APIRouter(include_in_schema=False)


def _render(assets: AssetBundle, lang: Lang, status: int, **context: Any) -> HTMLResponse:
    template = environment(lang).get_template("forms/feedback.html")
    body = template.render(
        chrome_context(lang, assets)
        | form_context(lang)
        | {
            "title": context.pop("title"),
            "other_url": routes.path("page.home", other_language(lang)),
            **context,
        }
    )
    return HTMLResponse(body, status_code=status, headers={"cache-control": "no-store"})


async def _submit(
    request: Request, lang: Lang, settings: Settings, site: Site, database: Database
) -> Response:
    form = await request.form()
    values = {key: value for key, value in form.items() if isinstance(value, str)}
    outcome = validate_feedback(values)
    page = PAGES_BY_KEY.get(values.get("page", ""))
    back = page.path(lang) if page else routes.path("page.home", lang)
    if cross_site(request, settings.public_origin):
        # The form is on pre-rendered pages, so it has no per-visitor token: another
        # site's form is recognised by what the browser says about where it came from.
        return _render(
            site.assets,
            lang,
            403,
            title=gettext(lang, "Report a problem on this page"),
            errors={"page": "cross-site"},
            values={},
            back=back,
            thanks=False,
        )
    if isinstance(outcome, FeedbackErrors):
        return _render(
            site.assets,
            lang,
            422,
            title=gettext(lang, "Report a problem on this page"),
            errors=outcome.fields,
            values=values,
            back=back,
            thanks=False,
        )
    await save_feedback(
        database,
        page_key=outcome.page_key,
        lang=lang,
        problem=outcome.problem,
        details=outcome.details,
    )
    return _render(
        site.assets,
        lang,
        200,
        title=gettext(lang, "Thank you for your feedback"),
        errors={},
        values={},
        back=back,
        thanks=True,
    )


@router.post(FEEDBACK_PATHS["en"])
async def feedback_en(
    request: Request, settings: SettingsDep, site: SiteDep, database: DatabaseDep
) -> Response:
    return await _submit(request, "en", settings, site, database)


@router.post(FEEDBACK_PATHS["fr"])
async def feedback_fr(
    request: Request, settings: SettingsDep, site: SiteDep, database: DatabaseDep
) -> Response:
    return await _submit(request, "fr", settings, site, database)
