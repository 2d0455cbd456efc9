"""The pass: forged, tampered, expired, wrong-event and replayed passes are refused."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given
from hypothesis import strategies as st

from northgate.edge.gate.config import GateLimits
from northgate.edge.gate.core import GateCore
from northgate.edge.gate.memory import MemoryBackend
from northgate.edge.gate.passes import Pass, PassProblem, PassRefused, PassSigner

KEY = b"k" * 32
NOW = 1_700_000_000
signer = PassSigner(KEY, "eta", ttl=600, cap=3600)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _valid() -> str:
    return signer.sign(Pass("eta", "visitor1", NOW, NOW + 600, "jti-1"))


def _tamper_payload(token: str, old: str, new: str) -> str:
    payload, mac = token.split(".")
    raw = base64.urlsafe_b64decode(payload + "==").decode().replace(old, new)
    return f"{_b64(raw.encode())}.{mac}"


CASES = [
    ("empty", lambda: "", PassProblem.MALFORMED),
    ("garbage", lambda: "not a pass", PassProblem.MALFORMED),
    ("no signature", lambda: _valid().split(".")[0], PassProblem.MALFORMED),
    ("bad base64", lambda: "!!!.???", PassProblem.MALFORMED),
    ("too long", lambda: "a" * 600 + "." + "b", PassProblem.MALFORMED),
    ("signature of another key", lambda: PassSigner(b"x" * 32, "eta", ttl=600, cap=3600).sign(
        Pass("eta", "visitor1", NOW, NOW + 600, "jti-1")), PassProblem.BAD_SIGNATURE),
    ("expiry pushed", lambda: _tamper_payload(_valid(), str(NOW + 600), str(NOW + 9999)),
     PassProblem.BAD_SIGNATURE),
    ("visitor swapped", lambda: _tamper_payload(_valid(), "visitor1", "visitor2"),
     PassProblem.BAD_SIGNATURE),
    # Not the shape of a pass (a signature is 43 characters, the payload never empty): refused
    # before any HMAC work.
    ("signature truncated", lambda: _valid()[:-4], PassProblem.MALFORMED),
    ("signature of empty payload", lambda: "." + _valid().split(".")[1], PassProblem.MALFORMED),
    ("non-ASCII signature", lambda: _valid().split(".")[0] + "." + "é" * 43, PassProblem.MALFORMED),
    ("wrong event", lambda: PassSigner(KEY, "other", ttl=600, cap=3600).sign(
        Pass("other", "visitor1", NOW, NOW + 600, "jti-1")), PassProblem.WRONG_EVENT),
    ("expired", lambda: signer.sign(Pass("eta", "v", NOW - 700, NOW - 100, "j")),
     PassProblem.EXPIRED),
    ("expires exactly now", lambda: signer.sign(Pass("eta", "v", NOW - 600, NOW, "j")),
     PassProblem.EXPIRED),
    ("validity beyond the cap", lambda: signer.sign(Pass("eta", "v", NOW, NOW + 99_999, "j")),
     PassProblem.EXPIRED),
    ("signed, but not our format", lambda: _signed_raw(b"v2|eta|v|1|2|j"), PassProblem.MALFORMED),
    ("signed, fields missing", lambda: _signed_raw(b"v1|eta|v|1"), PassProblem.MALFORMED),
    ("signed, not numbers", lambda: _signed_raw(b"v1|eta|v|a|b|j"), PassProblem.MALFORMED),
    ("signed, unknown 7th field",
        lambda: _signed_raw(f"v1|eta|v|{NOW}|{NOW + 60}|j|held".encode()), PassProblem.MALFORMED),
    ("signed, 8 fields",
        lambda: _signed_raw(f"v1|eta|v|{NOW}|{NOW + 60}|j|unheld|x".encode()),
        PassProblem.MALFORMED),
]  # fmt: skip


def _signed_raw(payload: bytes) -> str:
    return f"{_b64(payload)}.{_b64(signer._mac(payload))}"


@pytest.mark.parametrize(("case", "make", "problem"), CASES, ids=[c[0] for c in CASES])
def test_refused(case: str, make: object, problem: PassProblem) -> None:
    assert callable(make)
    with pytest.raises(PassRefused) as refused:
        signer.verify(make(), NOW)
    assert refused.value.problem == problem, case


def test_valid_pass_round_trips() -> None:
    admitted = signer.verify(_valid(), NOW)
    assert admitted == Pass("eta", "visitor1", NOW, NOW + 600, "jti-1")


def test_unheld_pass_round_trips_and_stays_unheld_when_renewed() -> None:
    unheld = signer.issue("visitor1", NOW, "jti-1", held=False)
    assert signer.verify(signer.sign(unheld), NOW) == unheld and not unheld.held
    renewed = signer.renewal(unheld, NOW + 400)
    assert renewed is not None and not renewed.held
    assert signer.verify(signer.sign(unheld), NOW) != signer.verify(_valid(), NOW)


def test_renewal_slides_up_to_the_cap() -> None:
    current = signer.issue("v", NOW, "j")
    assert signer.renewal(current, NOW + 10) is None  # less than half used
    renewed = signer.renewal(current, NOW + 400)
    assert renewed is not None and renewed.expires_at == NOW + 1000
    assert renewed.issued_at == NOW and renewed.jti == "j"
    late = Pass("eta", "v", NOW, NOW + 3500, "j")
    capped = signer.renewal(late, NOW + 3300)
    assert capped is not None and capped.expires_at == NOW + 3600
    assert signer.renewal(capped, NOW + 3590) is None
    signer.verify(signer.sign(capped), NOW + 3599)


async def test_revoked_and_replayed_passes_are_refused() -> None:
    limits = GateLimits(True, "fixed", 10, 600, 2, 10, 60.0, 20.0, 0.0)
    core = GateCore(limits, MemoryBackend(), key=KEY, event="eta", pass_ttl=600, pass_cap=3600)
    admission = await core.admit(None, NOW)
    assert admission.admitted and admission.token and admission.issued
    assert isinstance(core.check_pass(admission.token, NOW), Pass)
    renewed = core.renew(admission.issued, NOW + 400)
    assert renewed is not None
    await core.revoke(admission.issued.jti)
    # The original and the renewed copy share the jti: both are refused from now on.
    assert core.check_pass(admission.token, NOW + 1) == PassProblem.REVOKED
    assert core.check_pass(renewed, NOW + 401) == PassProblem.REVOKED


@given(st.text(max_size=300))
def test_fuzzed_strings_are_never_accepted(token: str) -> None:
    with pytest.raises(PassRefused):
        signer.verify(token, NOW)


@given(st.binary(min_size=1, max_size=200), st.integers(min_value=0, max_value=120))
def test_fuzzed_payloads_with_a_forged_signature_are_refused(payload: bytes, cut: int) -> None:
    token = _valid()
    mac = token.split(".")[1]
    forged = f"{_b64(payload)}.{mac[: max(1, len(mac) - cut % len(mac))]}"
    if forged == token:
        return
    with pytest.raises(PassRefused):
        signer.verify(forged, NOW)


@given(st.integers(min_value=0, max_value=200), st.integers(min_value=0, max_value=255))
def test_every_single_byte_flip_is_refused(index: int, value: int) -> None:
    token = _valid()
    position = index % len(token)
    flipped = token[:position] + chr(value % 128) + token[position + 1 :]
    if flipped == token:
        return
    try:
        admitted = signer.verify(flipped, NOW)
    except PassRefused:
        return
    # Base64 padding bits can change without changing the bytes: same pass, no forgery.
    assert admitted == signer.verify(token, NOW)
