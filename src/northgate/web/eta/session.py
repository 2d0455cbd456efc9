"""The applicant's session: a signed cookie that names a draft application.

The cookie holds a random draft token (the database keeps only its hash) and the time of
the last request, signed with HMAC under the session key (``Purpose.SESSION``; form tokens
have a key of their own, ``Purpose.FORM``). The session slides while the applicant is
active and ends after ``IDLE_TIMEOUT``; answers already saved stay in the database and can
be resumed from the e-mailed link. Pure code: the clock and the site's secret are passed in.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass

from northgate.core.signing import Purpose, derive_key, hmac_sha256, same_signature
from northgate.core.tokens import B64URL, NUMBER, TokenShape, b64url_length

COOKIE_NAME = "ng_draft"
IDLE_TIMEOUT_SECONDS = 60 * 60
# The warning appears this long before the session would end.
WARNING_BEFORE_SECONDS = 5 * 60
TOKEN_BYTES = 32  # the draft token and the resume-link token
SIGNATURE_BYTES = 18
_TOKEN = f"{B64URL}{{{b64url_length(TOKEN_BYTES)}}}"
_SIGNATURE = f"{B64URL}{{{b64url_length(SIGNATURE_BYTES)}}}"
# What a client may send back: anything else is refused before any HMAC work.
COOKIE_SHAPE = TokenShape(rf"{_TOKEN}\.{NUMBER}\.{_SIGNATURE}", 128)
CSRF_SHAPE = TokenShape(_SIGNATURE, 64)
RESUME_SHAPE = TokenShape(_TOKEN, 64)


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _sign(secret: bytes, purpose: Purpose, payload: str) -> str:
    digest = hmac_sha256(derive_key(secret, purpose), payload.encode())
    return base64.urlsafe_b64encode(digest[:SIGNATURE_BYTES]).decode()


@dataclass(frozen=True)
class DraftSession:
    token: str
    last_seen: int

    def cookie_value(self, key: bytes) -> str:
        payload = f"{self.token}.{self.last_seen}"
        return f"{payload}.{_sign(key, Purpose.SESSION, payload)}"

    def touched(self, now: int) -> DraftSession:
        return DraftSession(self.token, now)


class SessionProblem(Exception):
    """Why a cookie does not give a session: ``missing``, ``invalid`` or ``expired``."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def read_session(value: str | None, key: bytes, now: int) -> DraftSession:
    if not value:
        raise SessionProblem("missing")
    checked = COOKIE_SHAPE.text_of(value)
    if checked is None:
        raise SessionProblem("invalid")
    token, last_seen, signature = checked.split(".")
    if not same_signature(signature, _sign(key, Purpose.SESSION, f"{token}.{last_seen}")):
        raise SessionProblem("invalid")
    if now - int(last_seen) > IDLE_TIMEOUT_SECONDS:
        raise SessionProblem("expired")
    return DraftSession(token, int(last_seen))


def csrf_token(key: bytes, draft_token: str) -> str:
    """Bound to the draft: a form from another session, or forged, does not validate."""
    return _sign(key, Purpose.FORM, f"csrf:{draft_token}")


def csrf_valid(key: bytes, draft_token: str, submitted: str | None) -> bool:
    checked = CSRF_SHAPE.bytes_of(submitted)
    return checked is not None and same_signature(checked, csrf_token(key, draft_token))


def resume_token(value: str) -> str | None:
    """The token of a resume link as we minted it, or None for anything else."""
    return RESUME_SHAPE.text_of(value)
