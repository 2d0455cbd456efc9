"""The admission pass: a signed, expiring, event-bound token checked without any I/O.

Format (ASCII, fits a cookie): ``base64url(payload) "." base64url(hmac)`` where the payload
is ``v1|event|visitor|issued_at|expires_at|jti`` (Unix seconds). The signature is
HMAC-SHA256 over the payload with the passes' key (``Purpose.PASS``, derived from the site's
secret by :mod:`northgate.core.signing`), compared in constant time.

A pass issued to a client that showed no sign of keeping cookies (no visitor cookie or
header) is *unheld*: its place among the active is held only while the request that got it
runs, and is taken for good when the pass comes back (see ``GateCore.claim``). Its payload
ends with a seventh field, ``unheld``; held passes keep the six fields.

``issued_at`` never changes while the pass slides: renewal only pushes ``expires_at``,
at most to ``issued_at + cap``, so an active applicant keeps the place for a bounded time.
The ``jti`` names one admission: revoking it (after submission) refuses every copy of the
pass, old or renewed, which is how replays are refused. Pure code: clock and key passed in.
"""

from __future__ import annotations

import base64
import binascii
import enum
from dataclasses import dataclass

from northgate.core.signing import Purpose, Signer, same_signature
from northgate.core.tokens import B64URL, TokenShape, b64url_length
from northgate.edge.gate import ids

VERSION = "v1"
UNHELD = "unheld"
MAX_TOKEN_LENGTH = 512
# base64url(payload) "." base64url(HMAC-SHA256): the only shape verify() reads further.
SHAPE = TokenShape(rf"{B64URL}+\.{B64URL}{{{b64url_length(32)}}}", MAX_TOKEN_LENGTH)


class PassProblem(enum.Enum):
    MALFORMED = "malformed"
    BAD_SIGNATURE = "bad-signature"
    WRONG_EVENT = "wrong-event"
    EXPIRED = "expired"
    REVOKED = "revoked"


class PassRefused(Exception):
    def __init__(self, problem: PassProblem) -> None:
        super().__init__(problem.value)
        self.problem = problem


@dataclass(frozen=True)
class Pass:
    event: str
    visitor: str
    issued_at: int
    expires_at: int
    jti: str
    held: bool = True  # False: no place is kept for it until it comes back

    def payload(self) -> str:
        fields = (
            VERSION, self.event, self.visitor, str(self.issued_at), str(self.expires_at), self.jti,
        )  # fmt: skip
        return "|".join(fields if self.held else (*fields, UNHELD))


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)


def new_jti() -> str:
    return ids.token(12)


class PassSigner:
    """Issues, checks and renews passes for one event, keyed from the site's secret."""

    def __init__(self, secret: bytes, event: str, *, ttl: int, cap: int) -> None:
        if not secret:
            raise ValueError("a pass needs a non-empty key")
        self._hmac = Signer.for_purpose(secret, Purpose.PASS)
        self.event = event
        self.ttl = ttl
        self.cap = max(cap, ttl)

    def _mac(self, payload: bytes) -> bytes:
        return self._hmac.digest(payload)

    def sign(self, admitted: Pass) -> str:
        payload = admitted.payload().encode()
        return f"{_b64(payload)}.{_b64(self._mac(payload))}"

    def expires_at(self, now: int) -> int:
        """When a pass issued at ``now`` expires (before any renewal)."""
        return min(now + self.ttl, now + self.cap)

    def issue(self, visitor: str, now: int, jti: str | None = None, *, held: bool = True) -> Pass:
        return Pass(self.event, visitor, now, self.expires_at(now), jti or new_jti(), held)

    def verify(self, token: str, now: int) -> Pass:
        """The pass in ``token``, or :class:`PassRefused` saying why not (no revocation check)."""
        checked = SHAPE.text_of(token)
        if checked is None:
            raise PassRefused(PassProblem.MALFORMED)
        encoded_payload, encoded_mac = checked.split(".")
        try:
            payload = _unb64(encoded_payload)
            mac = _unb64(encoded_mac)
        except (binascii.Error, ValueError) as error:
            raise PassRefused(PassProblem.MALFORMED) from error
        if not same_signature(mac, self._mac(payload)):
            raise PassRefused(PassProblem.BAD_SIGNATURE)
        try:
            fields = payload.decode("ascii").split("|")
            held = len(fields) == 6
            if not held and fields[6:] != [UNHELD]:
                raise ValueError("not a pass payload")
            version, event, visitor, issued, expires, jti = fields[:6]
            issued_at, expires_at = int(issued), int(expires)
        except (UnicodeDecodeError, ValueError) as error:
            raise PassRefused(PassProblem.MALFORMED) from error
        if version != VERSION or not jti or not visitor:
            raise PassRefused(PassProblem.MALFORMED)
        if event != self.event:
            raise PassRefused(PassProblem.WRONG_EVENT)
        if now >= expires_at or expires_at > issued_at + self.cap:
            raise PassRefused(PassProblem.EXPIRED)
        return Pass(event, visitor, issued_at, expires_at, jti, held)

    def renewal(self, current: Pass, now: int) -> Pass | None:
        """A renewed pass when more than half of the current validity is used, else None."""
        limit = current.issued_at + self.cap
        if current.expires_at >= limit:
            return None
        if current.expires_at - now > self.ttl // 2:
            return None
        expires_at = min(now + self.ttl, limit)
        if expires_at <= current.expires_at:
            return None
        return Pass(
            current.event, current.visitor, current.issued_at, expires_at, current.jti,
            current.held,
        )  # fmt: skip
