"""A place in the line kept at the edge: handed out by nginx, checked by a node.

In the production topology (decision 0005) nginx gives a new visitor a place when the gate
is not admitting freely, and answers every poll from state it reads from Redis. The place
lives in the ``ng_place`` cookie, signed, so an nginx restart or another nginx host keeps
it, and a node checks it without any lookup when the visitor's turn has come.

Format (ASCII, fits a cookie): ``base64url(payload) "." base64url(hmac)``, the same shape
as the pass (:mod:`.passes`), where the payload is ``v1|event|gen|ticket|issued_at``: the
line's generation (a reset voids every place), the ticket number (unique across edges:
edges claim blocks of numbers from Redis) and when the place was taken (Unix seconds). The
signature is HMAC-SHA256 with the places' own key (``Purpose.PLACE``), so a place is never
a pass nor a visitor cookie. The Lua twin is ``deploy/nginx/lua/northgate/places.lua``;
``tests/vectors/tokens.json`` keeps both equal. Pure code: clock and key passed in.
"""

from __future__ import annotations

import base64
import binascii
import enum
import re
from dataclasses import dataclass

from northgate.core.signing import Purpose, Signer, same_signature
from northgate.core.tokens import B64URL, TokenShape, b64url_length

VERSION = "v1"
MAX_TOKEN_LENGTH = 256
# How long a place is worth: nobody waits a day, and it bounds what a copied cookie is worth.
MAX_AGE = 24 * 3600
SHAPE = TokenShape(rf"{B64URL}+\.{B64URL}{{{b64url_length(32)}}}", MAX_TOKEN_LENGTH)
_GEN = re.compile(r"[A-Za-z0-9_-]{1,32}")
_NUMBER = re.compile(r"[0-9]{1,15}")


class PlaceProblem(enum.Enum):
    MALFORMED = "malformed"
    BAD_SIGNATURE = "bad-signature"
    WRONG_EVENT = "wrong-event"
    EXPIRED = "expired"


class PlaceRefused(Exception):
    def __init__(self, problem: PlaceProblem) -> None:
        super().__init__(problem.value)
        self.problem = problem


@dataclass(frozen=True)
class Place:
    event: str
    gen: str
    ticket: int
    issued_at: int

    def payload(self) -> str:
        return f"{VERSION}|{self.event}|{self.gen}|{self.ticket}|{self.issued_at}"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)


class PlaceSigner:
    """Signs and checks places for one event. A place older than ``max_age`` seconds is
    refused (:data:`MAX_AGE` by default)."""

    def __init__(self, secret: bytes, event: str, *, max_age: int = MAX_AGE) -> None:
        self._hmac = Signer.for_purpose(secret, Purpose.PLACE)
        self.event = event
        self.max_age = max_age

    def sign(self, place: Place) -> str:
        payload = place.payload().encode("ascii")
        return f"{_b64(payload)}.{_b64(self._hmac.digest(payload))}"

    def verify(self, token: str, now: int) -> Place:
        checked = SHAPE.text_of(token)
        if checked is None:
            raise PlaceRefused(PlaceProblem.MALFORMED)
        encoded_payload, encoded_mac = checked.split(".")
        try:
            payload, mac = _unb64(encoded_payload), _unb64(encoded_mac)
        except (binascii.Error, ValueError) as error:
            raise PlaceRefused(PlaceProblem.MALFORMED) from error
        if not same_signature(mac, self._hmac.digest(payload)):
            raise PlaceRefused(PlaceProblem.BAD_SIGNATURE)
        try:
            version, event, gen, ticket, issued = payload.decode("ascii").split("|")
        except (UnicodeDecodeError, ValueError) as error:
            raise PlaceRefused(PlaceProblem.MALFORMED) from error
        if (
            version != VERSION
            or not _GEN.fullmatch(gen)
            or not _NUMBER.fullmatch(ticket)
            or not _NUMBER.fullmatch(issued)
            or int(ticket) < 1
        ):
            raise PlaceRefused(PlaceProblem.MALFORMED)
        if event != self.event:
            raise PlaceRefused(PlaceProblem.WRONG_EVENT)
        issued_at = int(issued)
        if issued_at > now + 60 or now - issued_at > self.max_age:
            raise PlaceRefused(PlaceProblem.EXPIRED)
        return Place(event, gen, int(ticket), issued_at)
