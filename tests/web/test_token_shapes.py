"""Every parser of a token a client sends back refuses what is not ours, without raising.

Fuzzed with arbitrary bytes (as servers decode headers: latin-1), arbitrary text (form
fields are UTF-8 text, surrogates included) and near-valid tokens with bytes put in. A
``TypeError`` from ``hmac.compare_digest`` on non-ASCII text used to be a 500.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from northgate.core.bearer import authorized
from northgate.core.signing import same_signature
from northgate.core.tokens import TokenShape
from northgate.edge.gate.passes import Pass, PassRefused, PassSigner
from northgate.edge.gate.visitor import Visitor, VisitorCodec
from northgate.web.eta import session as draft_session
from tests.support.fuzz import latin1, mangled

KEY = b"k" * 32
NOW = 1_700_000_000
signer = PassSigner(KEY, "eta", ttl=600, cap=3600)
codec = VisitorCodec(KEY, "eta")
PASS = signer.sign(Pass("eta", "visitor-id-1", NOW, NOW + 600, "jti-0123456789ab"))
VISITOR = codec.encode(Visitor("abcDEF012_-x", "r0a1b2c", 42, NOW + 60, NOW))
DRAFT_TOKEN = draft_session.new_token()
SESSION = draft_session.DraftSession(DRAFT_TOKEN, NOW).cookie_value(KEY)
CSRF = draft_session.csrf_token(KEY, DRAFT_TOKEN)
RESUME = draft_session.new_token()

texts = st.one_of(st.text(max_size=80), st.text(alphabet=st.characters(codec="utf-8"), max_size=80))


def candidates(valid: str) -> st.SearchStrategy[str]:
    return st.one_of(texts, mangled(valid.encode()).map(latin1))


def test_the_valid_tokens_are_accepted() -> None:
    assert signer.verify(PASS, NOW).visitor == "visitor-id-1"
    assert codec.decode(VISITOR) == Visitor("abcDEF012_-x", "r0a1b2c", 42, NOW + 60, NOW)
    assert draft_session.read_session(SESSION, KEY, NOW).token == DRAFT_TOKEN
    assert draft_session.csrf_valid(KEY, DRAFT_TOKEN, CSRF)
    assert draft_session.resume_token(RESUME) == RESUME


@pytest.mark.parametrize(
    "value",
    [
        "é" * 22,  # the MAC replaced by non-ASCII text of the right length
        "\udce9" * 22,  # a lone surrogate (undecodable bytes in a form field)
        "²" * 22,  # a Unicode digit: str.isdigit() says yes, int() says no
    ],
)
def test_non_ascii_signatures_are_refused_not_raised(value: str) -> None:
    visitor_body = VISITOR.rsplit(".", 1)[0]
    assert codec.decode(f"{visitor_body}.{value}") is None
    session_body = SESSION.rsplit(".", 1)[0]
    with pytest.raises(draft_session.SessionProblem):
        draft_session.read_session(f"{session_body}.{value[:1] * 24}", KEY, NOW)
    assert not draft_session.csrf_valid(KEY, DRAFT_TOKEN, value[:1] * 24)
    with pytest.raises(PassRefused):
        signer.verify(f"{PASS.split('.')[0]}.{value[:1] * 43}", NOW)
    assert draft_session.resume_token(value[:1] * 43) is None


def test_unicode_digits_in_a_signed_field_are_refused() -> None:
    # Signed by us with a digit int() cannot read: the shape check stops it before int().
    body = f"abc.gen.{'²'}.0.0"
    assert codec.decode(f"{body}.{codec._mac(body)}") is None


@given(candidates(PASS))
def test_fuzzed_passes_are_refused(value: str) -> None:
    if value == PASS:
        return
    try:
        admitted = signer.verify(value, NOW)
    except PassRefused:
        return
    assert admitted == signer.verify(PASS, NOW)  # base64 padding bits: the same pass


@given(candidates(VISITOR))
def test_fuzzed_visitor_cookies_are_refused(value: str) -> None:
    decoded = codec.decode(value)
    assert decoded is None or value == VISITOR


@given(candidates(SESSION))
def test_fuzzed_draft_cookies_are_refused(value: str) -> None:
    try:
        session = draft_session.read_session(value, KEY, NOW)
    except draft_session.SessionProblem:
        return
    assert value == SESSION and session.token == DRAFT_TOKEN


@given(candidates(CSRF))
def test_fuzzed_csrf_fields_are_refused(value: str) -> None:
    assert draft_session.csrf_valid(KEY, DRAFT_TOKEN, value) == (value == CSRF)


@given(candidates(RESUME))
def test_fuzzed_resume_tokens_are_refused_or_kept_whole(value: str) -> None:
    checked = draft_session.resume_token(value)
    assert checked is None or checked == value


@given(st.one_of(st.binary(max_size=60), texts))
def test_a_shape_answers_ascii_bytes_or_none(value: bytes | str) -> None:
    shape = TokenShape(r"[A-Za-z0-9_-]{4,8}\.[0-9]{1,3}", 20)
    found = shape.bytes_of(value)
    assert found is None or (found.isascii() and len(found) <= 20 and b"." in found)
    assert same_signature(value, b"abcd.1") == (value in (b"abcd.1", "abcd.1"))


@given(st.one_of(mangled(b"Basic b3A6b3BlcmF0b3ItdG9rZW4="), mangled(b"Bearer operator-token")))
def test_fuzzed_operator_credentials_are_refused(raw: bytes) -> None:
    header = latin1(raw)
    if authorized(header, "operator-token"):  # case and spacing may vary, the token not
        assert header.split()[0].lower() in ("basic", "bearer")
