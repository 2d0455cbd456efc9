"""French text keeps French spacing wherever it comes from: a (narrow) no-break space
before « ; ! ? » and a no-break space before « : », never an ordinary space or none."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest

from northgate.core.typography import french_prose, french_spacing
from northgate.eta.messages import TABLES
from northgate.eta.questions import QUESTION_SET
from northgate.notify import messages
from northgate.ui.i18n import translations
from tests.support.html import parse_html
from tests.support.journey import start_application

# Punctuation with no space, or an ordinary one, before it.
FAULT = re.compile(r"(?<![\u00a0\u202f])[;!?]| :")
ENTITY = re.compile(r"&#?\w+;")  # the ";" of "&amp;" is not punctuation


def faults(texts: Iterator[str]) -> list[str]:
    return [text for text in texts if FAULT.search(ENTITY.sub("", text))]


def _question_texts() -> Iterator[str]:
    for step in QUESTION_SET.steps:
        yield step.title("fr")
        if step.hints:
            yield step.hints["fr"]
        for field in step.fields:
            for texts in (field.labels, field.hints, field.confirm_labels, field.details_labels):
                if texts:
                    yield texts["fr"]
            for option in field.options:
                yield option.label("fr")


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        ("Quel est votre nom?", "Quel est votre nom\u202f?"),
        ("Quel est votre nom ?", "Quel est votre nom\u202f?"),
        ("chiffres; celui-ci", "chiffres\u202f; celui-ci"),
        ("Oui!", "Oui\u202f!"),
        ("A répondu oui : refus", "A répondu oui\u00a0: refus"),
        ("« AVE »", "«\u00a0AVE\u00a0»"),
        ("Déjà fait\u202f?", "Déjà fait\u202f?"),
        ("Tom &amp; Jerry", "Tom &amp; Jerry"),
    ],
)
def test_french_prose(typed: str, shown: str) -> None:
    assert french_prose(typed) == shown


def test_documents_keep_their_links() -> None:
    link = "https://example.org/fr/ave/reprendre?jeton=abc;x=1"
    assert french_spacing(f"Reprenez ici : {link}") == f"Reprenez ici\u00a0: {link}"


def test_question_pages_text() -> None:
    assert faults(_question_texts()) == []


def test_error_messages_and_explanations() -> None:
    assert faults(texts["fr"] for table in TABLES.values() for texts in table.values()) == []


def test_interface_translations() -> None:
    catalog = translations("fr")._catalog
    strings = (s for key, s in catalog.items() if key and isinstance(s, str))
    assert faults(strings) == []


def test_unpaid_e_mail() -> None:
    rendered = messages.unpaid(
        "fr", name="Élodie", reference="E123456789", fee="7,00\u00a0$\u00a0CA", status_url="/"
    )
    body = re.sub(r"<style.*?</style>|<[^>]+>", "", rendered.html, flags=re.DOTALL)
    assert faults(iter([rendered.text, body])) == []


async def test_a_french_question_page(client: httpx.AsyncClient) -> None:
    started = await start_application(client, "fr")
    page = await client.get(started.headers["location"])
    assert page.status_code == 200
    (h1,) = parse_html(page.text).find_all("h1")
    assert h1.text.strip().endswith("\u202f?")
    (main,) = parse_html(page.text).find_all("main")
    assert faults(iter([main.text])) == []
