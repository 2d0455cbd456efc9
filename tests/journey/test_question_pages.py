"""Question pages as an applicant sees them: examples drawn from today's date."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from northgate.core.lang import Lang
from northgate.eta.questions import QUESTION_SET
from northgate.ui.journey_urls import step_url
from tests.support.html import parse_html
from tests.support.journey import start_application


@pytest.mark.parametrize("lang", ["en", "fr"])
async def test_date_examples_on_question_pages_are_drawn_from_today(
    client: httpx.AsyncClient, lang: Lang
) -> None:
    await start_application(client, lang)
    page = QUESTION_SET.step("passport-dates")
    assert page is not None
    shown = await client.get(step_url(page, lang))
    assert shown.status_code == 200
    today = datetime.now(UTC).date()
    hints = [p.text for p in parse_html(shown.text).find_all("p", class_="ng-hint")]
    expiry = today + timedelta(days=2920)
    assert any(h.endswith(f"{expiry.day} {expiry.month} {expiry.year}") for h in hints), hints
    assert not any("{" in h for h in hints)
