"""E-mails read right in both languages, and the HTML part escapes what travellers typed."""

from __future__ import annotations

from datetime import UTC, date, datetime

from northgate.core.lang import Lang
from northgate.notify import messages


def test_approval_in_french_follows_french_typography() -> None:
    rendered = messages.approval(
        "fr",
        name="Élodie Tremblay",
        reference="E123456789",
        eta_number="V123456789",
        passport_number="XK9876543",
        passport_country="France",
        valid_until=date(2031, 11, 8),
    )
    assert rendered.subject == "Votre AVE est approuvée – V123456789"
    assert "Numéro de passeport\u00a0: XK9876543" in rendered.text
    assert "Valide jusqu’au\u00a0: 8 novembre 2031" in rendered.text
    assert "présentez une nouvelle demande" in rendered.text
    assert 'lang="fr-CA"' in rendered.html
    assert " :" not in rendered.text and " ?" not in rendered.text


def test_receipt_in_english_states_the_fee_and_what_happens_next() -> None:
    rendered = messages.receipt(
        "en",
        name="Claire Martin",
        reference="E123456789",
        amount="CAD $7.00",
        paid_on=date(2016, 11, 8),
        status_url="https://example.org/en/eta/status",
    )
    assert rendered.subject == "Payment received – eTA application E123456789"
    assert "Fee paid: CAD $7.00" in rendered.text
    assert "within minutes" in rendered.text and "several\ndays" in rendered.text
    assert 'href="https://example.org/en/eta/status"' in rendered.html


def test_referral_explains_the_review() -> None:
    cases: tuple[tuple[Lang, str], ...] = (("en", "72 hours"), ("fr", "72 heures"))
    for lang, words in cases:
        rendered = messages.referral(lang, name="A B", reference="E1", status_url="https://x/s")
        assert words in rendered.text
        assert "E1" in rendered.subject


def test_html_escapes_answers_but_text_does_not() -> None:
    rendered = messages.referral(
        "en", name="<b>O'Brien & Co</b>", reference="E1", status_url="https://x/s?a=1&b=2"
    )
    assert "<b>O'Brien & Co</b>" in rendered.text
    assert "&lt;b&gt;O&#39;Brien &amp; Co&lt;/b&gt;" in rendered.html
    assert 'href="https://x/s?a=1&amp;b=2"' in rendered.html


def test_resume_link_and_expiry_are_shown_in_eastern_time() -> None:
    rendered = messages.resume(
        "fr",
        resume_url="https://example.org/fr/ave/reprendre/abc",
        expires_at=datetime(2016, 11, 9, 4, 0, tzinfo=UTC),
    )
    assert "https://example.org/fr/ave/reprendre/abc" in rendered.text
    assert "8 novembre 2016 à 23\u00a0h 00" in rendered.text


def test_compose_makes_text_and_html_alternatives() -> None:
    rendered = messages.resume("en", resume_url="https://x/r", expires_at=None)
    message = messages.compose(
        rendered,
        to="claire@example.org",
        sender="Northgate eTA <no-reply@northgate.invalid>",
        message_id="<abc@northgate.invalid>",
        date=datetime(2016, 11, 8, tzinfo=UTC),
    )
    assert message.get_content_type() == "multipart/alternative"
    assert [part.get_content_type() for part in message.iter_parts()] == [
        "text/plain",
        "text/html",
    ]
    assert message["Message-ID"] == "<abc@northgate.invalid>"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["Content-Language"] == "en-CA"


def test_for_someone_else_the_parent_is_greeted_and_the_child_named() -> None:
    cases: tuple[tuple[Lang, str, str], ...] = (
        ("en", "eTA approved for Léa Tremblay – V1", "linked\nelectronically to their passport"),
        ("fr", "AVE approuvée pour Léa Tremblay – V1", "électroniquement à son passeport"),
    )
    for lang, subject, passport in cases:
        rendered = messages.approval(
            lang,
            name="Marie Tremblay",
            reference="E1",
            eta_number="V1",
            passport_number="X1",
            passport_country="France",
            valid_until=date(2031, 11, 8),
            applicant="Léa Tremblay",
        )
        assert rendered.subject == subject
        assert "Marie Tremblay," in rendered.text and passport in rendered.text
        assert "Your" not in rendered.text and "Votre" not in rendered.text
        assert "Léa Tremblay" in rendered.html
        receipt = messages.receipt(
            lang,
            name="Marie Tremblay",
            reference="E1",
            amount="7",
            paid_on=date(2016, 11, 8),
            status_url="https://x/s",
            applicant="Léa Tremblay",
        )
        assert "Léa Tremblay" in receipt.text and "Léa Tremblay" in receipt.html
        assert "for your Electronic" not in receipt.text
        assert "pour votre demande" not in receipt.text
    for kind in (messages.referral, messages.unpaid):
        extra = {"fee": "7"} if kind is messages.unpaid else {}
        text = kind("en", name="M", reference="E1", status_url="u", applicant="Léa", **extra).text
        assert "application for Léa" in text
