"""The visitor cookie: who this browser is, and its place in line, signed.

``ng_visitor`` holds ``visitor.gen.ticket.due.joined.sig``: a random visitor id, the queue
generation and ticket number (0 when not in line), the admission time last promised to
the visitor (so the estimate shown does not creep up) and an HMAC. Every tab and refresh
sends the same cookie, so a browser holds one place however often it asks. The place is
in the cookie, not in shared state: that keeps the shared state a few bytes per waiter.
Pure code.
"""

from __future__ import annotations

import base64
from typing import NamedTuple

from northgate.core.signing import Purpose, Signer, same_signature
from northgate.core.tokens import B64URL, NUMBER, TokenShape, b64url_length
from northgate.edge.gate import ids

MAX_LENGTH = 200
MAC_BYTES = 16
# id.gen.ticket.due.joined.mac, as encode() writes it; anything else is refused unread.
SHAPE = TokenShape(
    rf"{B64URL}{{1,32}}\.{B64URL}{{0,32}}\.{NUMBER}\.{NUMBER}\.{NUMBER}"
    rf"\.{B64URL}{{{b64url_length(MAC_BYTES)}}}",
    MAX_LENGTH,
)


class Visitor(NamedTuple):
    id: str
    gen: str = ""
    ticket: int = 0
    due: int = 0  # Unix seconds: the admission time last shown, 0 when none
    joined: int = 0  # Unix seconds: when this place was taken

    def placed(self, gen: str, ticket: int, due: int = 0, joined: int = 0) -> Visitor:
        return Visitor(self.id, gen, ticket, due, joined)  # not replace(): a hot path

    def unplaced(self) -> Visitor:
        return Visitor(self.id)


def new_visitor() -> Visitor:
    return Visitor(ids.token(9))


class VisitorCodec:
    def __init__(self, secret: bytes, event: str) -> None:
        self._hmac = Signer.for_purpose(secret, Purpose.VISITOR)
        self._event = event

    def _mac(self, body: str) -> str:
        digest = self._hmac.digest(f"{self._event}|{body}".encode())
        return base64.urlsafe_b64encode(digest[:MAC_BYTES]).rstrip(b"=").decode()

    def encode(self, visitor: Visitor) -> str:
        body = f"{visitor.id}.{visitor.gen}.{visitor.ticket}.{visitor.due}.{visitor.joined}"
        return f"{body}.{self._mac(body)}"

    def decode(self, value: str | None) -> Visitor | None:
        """The visitor in a cookie value, or None when it is missing, malformed or forged."""
        checked = SHAPE.text_of(value)
        if checked is None:
            return None
        *fields, mac = checked.split(".")
        if not same_signature(mac, self._mac(".".join(fields))):
            return None
        visitor_id, gen, ticket, due, joined = fields
        return Visitor(visitor_id, gen, int(ticket), int(due), int(joined))
