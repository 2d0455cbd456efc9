"""One secret, one key per purpose: keys differ between purposes and between secrets, stay
the same for the same purpose, are derived as documented (so the nginx edge can derive them
too), and a signature verifies only untampered."""

from __future__ import annotations

import hashlib
import hmac
import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from northgate.core.signing import (
    Purpose,
    Signer,
    derive_key,
    hkdf_expand_block,
    hmac_sha256,
    label,
    same_secret,
    same_signature,
)

SECRET = b"s" * 32


def test_each_purpose_gets_its_own_key() -> None:
    keys = {purpose: derive_key(SECRET, purpose) for purpose in Purpose}
    assert len(set(keys.values())) == len(Purpose)
    assert all(len(key) == 32 and key != SECRET for key in keys.values())


def test_the_same_purpose_gets_the_same_key() -> None:
    for purpose in Purpose:
        assert derive_key(SECRET, purpose) == derive_key(bytes(SECRET), purpose)


def test_another_secret_gives_other_keys() -> None:
    for purpose in Purpose:
        assert derive_key(SECRET, purpose) != derive_key(b"t" * 32, purpose)


def test_the_labels_are_distinct_and_versioned() -> None:
    labels = [label(purpose) for purpose in Purpose]
    assert len(set(labels)) == len(labels)
    assert label(Purpose.PASS) == b"northgate/pass/v1"


def test_a_key_is_one_hmac_sha256_call_as_documented() -> None:
    # What the nginx edge computes: ngx.hmac_sha256(secret, "northgate/pass/v1\1").
    expected = hmac.new(SECRET, b"northgate/pass/v1\x01", hashlib.sha256).digest()
    assert derive_key(SECRET, Purpose.PASS) == expected


def test_the_derivation_is_hkdf_expand() -> None:
    # RFC 5869, appendix A.1 (test case 1): PRK, info, and the first 32 bytes of the OKM.
    prk = bytes.fromhex("077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5")
    info = bytes.fromhex("f0f1f2f3f4f5f6f7f8f9")
    okm = bytes.fromhex("3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf")
    assert hkdf_expand_block(prk, info) == okm


def test_an_empty_secret_is_refused() -> None:
    with pytest.raises(ValueError, match="non-empty"):
        derive_key(b"", Purpose.SESSION)


def test_a_signer_for_a_purpose_signs_with_that_purposes_key() -> None:
    message = b"v1|eta|visitor|1|2|jti"
    signed = Signer.for_purpose(SECRET, Purpose.PASS).digest(message)
    assert signed == hmac_sha256(derive_key(SECRET, Purpose.PASS), message)
    assert signed != Signer.for_purpose(SECRET, Purpose.VISITOR).digest(message)


def test_a_signature_for_one_purpose_is_no_signature_for_another() -> None:
    message = b"the same bytes"
    signatures = [Signer.for_purpose(SECRET, p).digest(message) for p in Purpose]
    for one, other in itertools.combinations(signatures, 2):
        assert not same_signature(one, other)


@given(message=st.binary(max_size=64), position=st.integers(min_value=0), flip=st.integers(1, 255))
def test_a_tampered_message_or_signature_does_not_verify(
    message: bytes, position: int, flip: int
) -> None:
    signer = Signer.for_purpose(SECRET, Purpose.SESSION)
    signature = signer.digest(message)
    assert same_signature(signature, signer.digest(message))
    tampered = bytearray(signature)
    tampered[position % len(tampered)] ^= flip
    assert not same_signature(bytes(tampered), signature)
    if message:
        changed = bytearray(message)
        changed[position % len(changed)] ^= flip
        assert not same_signature(signer.digest(bytes(changed)), signature)


def test_signatures_compare_as_bytes_whatever_they_arrive_as() -> None:
    assert same_signature("abc_-1", b"abc_-1")
    assert same_signature(b"abc_-1", "abc_-1")
    assert not same_signature("abc_-\u00e9", "abc_-1")  # non-ASCII: no match, no TypeError
    assert not same_signature("abc", "abcd")


def test_configured_secrets_compare_as_utf8() -> None:
    assert same_secret("jeton-é", "jeton-é")
    assert not same_secret("jeton-e", "jeton-é")
    assert not same_secret("", "token")
    assert not same_secret("\udcff", "token")  # a lone surrogate: no match, no error
