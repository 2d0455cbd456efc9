"""Messages kept in a list: the stand-in for tests and a fast tier without files or SMTP."""

from __future__ import annotations

import email
from email.message import EmailMessage
from email.policy import SMTP, default


class MemoryMailer:
    def __init__(self) -> None:
        self.sent: list[EmailMessage] = []

    async def send(self, message: EmailMessage) -> None:
        # Kept as the bytes the other mailers put on disk or on the wire, parsed back: a
        # message that cannot be serialised fails here as it would there, and a caller
        # changing its message afterwards does not change what was "delivered".
        parsed = email.message_from_bytes(message.as_bytes(policy=SMTP), policy=default)
        assert isinstance(parsed, EmailMessage)
        self.sent.append(parsed)
