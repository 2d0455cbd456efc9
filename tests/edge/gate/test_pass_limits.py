"""The pass at its limits: renewal's half-way point and cap, the token length limit, and
fields a signed payload must not leave empty (test_passes.py covers forgery and tampering)."""

from __future__ import annotations

import base64

import pytest

from northgate.edge.gate.passes import (
    MAX_TOKEN_LENGTH,
    Pass,
    PassProblem,
    PassRefused,
    PassSigner,
    new_jti,
)

KEY = b"k" * 32
NOW = 1_700_000_000
TTL, CAP = 600, 3600
signer = PassSigner(KEY, "eta", ttl=TTL, cap=CAP)


def _signed_raw(payload: bytes) -> str:
    encoded = base64.urlsafe_b64encode(payload).rstrip(b"=").decode()
    mac = base64.urlsafe_b64encode(signer._mac(payload)).rstrip(b"=").decode()
    return f"{encoded}.{mac}"


def _refused(token: str) -> PassProblem:
    with pytest.raises(PassRefused) as refused:
        signer.verify(token, NOW)
    return refused.value.problem


@pytest.mark.parametrize(
    "payload",
    [
        b"v1|eta||1700000000|1700000600|jti-1",  # no visitor
        b"v1|eta|visitor1|1700000000|1700000600|",  # no jti
        b"v1|eta|||1700000000|1700000600",  # neither
        b"v1|eta|visitor1|1700000000|1700000600|jti-1|extra",  # a field too many
        b"v1|eta|visitor1|1700000000||jti-1",  # no expiry
    ],
)
def test_a_signed_pass_with_a_missing_field_is_malformed(payload: bytes) -> None:
    assert _refused(_signed_raw(payload)) == PassProblem.MALFORMED


def test_a_complete_signed_payload_is_accepted() -> None:
    """The refusals above are for the field left out, not for signing by hand."""
    admitted = signer.verify(_signed_raw(b"v1|eta|visitor1|1700000000|1700000600|jti-1"), NOW)
    assert admitted == Pass("eta", "visitor1", NOW, NOW + TTL, "jti-1")


def _token_of_length(length: int) -> str:
    """A valid pass whose token is exactly ``length`` characters (the visitor id pads it)."""
    for pad in range(length):
        token = signer.sign(Pass("eta", "v" * pad, NOW, NOW + TTL, "jti-1"))
        if len(token) == length:
            return token
        if len(token) > length:
            break
    raise AssertionError(f"no token of length {length}")


def test_the_length_limit_is_exact() -> None:
    longest = _token_of_length(MAX_TOKEN_LENGTH)
    assert signer.verify(longest, NOW).jti == "jti-1"
    # The next visitor length makes a token just over the limit: refused before decoding,
    # though it is correctly signed.
    visitor = signer.verify(longest, NOW).visitor + "v"
    over = signer.sign(Pass("eta", visitor, NOW, NOW + TTL, "jti-1"))
    assert MAX_TOKEN_LENGTH < len(over) <= MAX_TOKEN_LENGTH + 2
    assert _refused(over) == PassProblem.MALFORMED


@pytest.mark.parametrize("token", ["a.b.c", "..", "abc"])
def test_a_token_needs_exactly_one_dot(token: str) -> None:
    assert _refused(token) == PassProblem.MALFORMED


def test_an_empty_key_is_refused() -> None:
    with pytest.raises(ValueError, match="non-empty key"):
        PassSigner(b"", "eta", ttl=TTL, cap=CAP)


def test_an_issued_pass_lasts_the_ttl_with_a_fresh_jti() -> None:
    first, second = signer.issue("v", NOW), signer.issue("v", NOW)
    assert (first.issued_at, first.expires_at) == (NOW, NOW + TTL)
    assert first.jti and second.jti and first.jti != second.jti
    assert len({new_jti() for _ in range(100)}) == 100
    assert signer.issue("v", NOW, "given").jti == "given"


def test_a_cap_below_the_ttl_is_raised_to_it() -> None:
    """The cap bounds renewal; a pass is never issued shorter than its ttl because of it."""
    short = PassSigner(KEY, "eta", ttl=TTL, cap=60)
    issued = short.issue("v", NOW)
    assert issued.expires_at == NOW + TTL
    short.verify(short.sign(issued), NOW)
    assert short.renewal(issued, NOW + TTL - 1) is None


def test_renewal_starts_exactly_at_half_the_ttl() -> None:
    current = signer.issue("v", NOW, "j")
    half = current.expires_at - TTL // 2
    assert signer.renewal(current, half - 1) is None  # more than half left
    renewed = signer.renewal(current, half)
    assert renewed is not None and renewed.expires_at == half + TTL


def test_renewal_keeps_who_when_and_which_admission() -> None:
    current = signer.issue("visitor-7", NOW, "jti-7")
    renewed = signer.renewal(current, NOW + 500)
    assert renewed == Pass("eta", "visitor-7", NOW, NOW + 500 + TTL, "jti-7")
    assert signer.verify(signer.sign(renewed), NOW + 500) == renewed


def test_renewal_stops_at_the_cap_and_a_capped_pass_then_expires() -> None:
    current = signer.issue("v", NOW, "j")
    moment = current.expires_at - TTL // 2
    while (renewed := signer.renewal(current, moment)) is not None:
        assert renewed.expires_at <= NOW + CAP
        assert renewed.expires_at > current.expires_at
        current = renewed
        moment = current.expires_at - TTL // 2
    assert current.expires_at == NOW + CAP
    assert signer.renewal(current, NOW + CAP - 1) is None
    signer.verify(signer.sign(current), NOW + CAP - 1)
    with pytest.raises(PassRefused) as refused:
        signer.verify(signer.sign(current), NOW + CAP)
    assert refused.value.problem == PassProblem.EXPIRED


def test_the_last_renewal_is_cut_to_the_cap() -> None:
    near = Pass("eta", "v", NOW, NOW + CAP - 100, "j")
    renewed = signer.renewal(near, NOW + CAP - 200)
    assert renewed is not None and renewed.expires_at == NOW + CAP
