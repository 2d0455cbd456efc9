"""One secret, one key per purpose: how everything Northgate signs is keyed and checked.

The site has one secret (``NORTHGATE_SECRET_KEY``). Nothing signs with it directly: each
purpose (admission passes, the visitor cookie, the draft session, form tokens, ...) signs
with its own key derived from it, so a value signed for one purpose never verifies for
another, and a key that leaks through one use says nothing about the others.

Derivation, for a purpose named ``P`` (ASCII)::

    key(P) = HMAC-SHA256(secret, "northgate/" + P + "/v1" + "\x01")

which is HKDF-Expand (RFC 5869) with the secret as the pseudo-random key, the label as
``info`` and one 32-byte block. The extract step is skipped because the secret is already
a random key (generated, or at least 32 characters chosen by the operator). It is one
HMAC-SHA256 call, so the nginx edge can derive the same key with
``ngx.hmac_sha256(secret, "northgate/pass/v1\1")``. Changing a purpose's label (the
``/v1``) invalidates every value signed for it.

Signatures are HMAC-SHA256 and are compared in constant time, always as bytes. Pure code.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
from functools import lru_cache


class Purpose(enum.StrEnum):
    """Every use of the secret. A new use gets a new member, never an existing one."""

    PASS = "pass"  # noqa: S105 (a name, not a password): the admission pass
    VISITOR = "visitor"  # the visitor cookie: id and place in line (edge/gate/visitor.py)
    SHUFFLE = "shuffle"  # places given at opening to those who came early (edge/gate)
    SESSION = "session"  # the draft session cookie (web/eta/session.py)
    FORM = "form"  # CSRF tokens of forms, with or without a draft (web/eta)
    THROTTLE = "throttle"  # keyed hashes of throttled subjects (throttle/throttle.py)
    PLACE = "place"  # a place in the line handed out by the nginx edge (edge/gate/places.py)
    OPS_FORM = "ops-form"  # CSRF tokens of the operators' forms (capacity/form_token.py)


def label(purpose: Purpose) -> bytes:
    """HKDF's ``info`` for ``purpose``."""
    return f"northgate/{purpose.value}/v1".encode("ascii")


def hkdf_expand_block(prk: bytes, info: bytes) -> bytes:
    """HKDF-Expand (RFC 5869, section 2.3) with SHA-256 for a 32-byte output: T(1)."""
    return hmac.digest(prk, info + b"\x01", "sha256")


@lru_cache(maxsize=32)
def derive_key(secret: bytes, purpose: Purpose) -> bytes:
    """The 32-byte key for ``purpose`` (cached: handlers ask for it on every request)."""
    if not secret:
        raise ValueError("signing needs a non-empty secret")
    return hkdf_expand_block(secret, label(purpose))


def hmac_sha256(key: bytes, message: bytes) -> bytes:
    """One HMAC-SHA256, for code that keys it afresh on every call."""
    return hmac.new(key, message, hashlib.sha256).digest()


class Signer:
    """HMAC-SHA256 under one key, for the event loop's hot path.

    ``hmac.digest`` (OpenSSL's one-shot) releases the GIL on every call, however short
    the message; when another thread is running Python (the database driver's, the
    analytics flush), taking it back waits out that thread's switch interval. A keyed
    HMAC object copied per message keeps the GIL for short messages, and is faster alone
    too.
    """

    __slots__ = ("_keyed",)

    def __init__(self, key: bytes) -> None:
        self._keyed = hmac.new(key, digestmod=hashlib.sha256)

    @classmethod
    def for_purpose(cls, secret: bytes, purpose: Purpose) -> Signer:
        return cls(derive_key(secret, purpose))

    def digest(self, message: bytes) -> bytes:
        mac = self._keyed.copy()
        mac.update(message)
        return mac.digest()


def same_signature(presented: str | bytes, expected: str | bytes) -> bool:
    """Constant-time equality of two signatures, as bytes whatever they arrived as.

    ``presented`` should already have passed a :class:`~northgate.core.tokens.TokenShape`;
    anything that is not ASCII simply does not match (``hmac.compare_digest`` raises
    ``TypeError`` on a ``str`` with non-ASCII characters)."""
    try:
        presented_bytes = presented.encode("ascii") if isinstance(presented, str) else presented
    except UnicodeEncodeError:
        return False
    expected_bytes = expected.encode("ascii") if isinstance(expected, str) else expected
    return hmac.compare_digest(presented_bytes, expected_bytes)


def same_secret(presented: str, expected: str) -> bool:
    """Constant-time equality of a presented credential and a configured one, as UTF-8
    (a configured token may hold any character, unlike our own signatures)."""
    return hmac.compare_digest(
        presented.encode("utf-8", "surrogatepass"), expected.encode("utf-8", "surrogatepass")
    )
