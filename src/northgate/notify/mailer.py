"""What the rest of the code needs from e-mail delivery, and nothing more."""

from __future__ import annotations

from email.message import EmailMessage
from typing import Protocol


class Mailer(Protocol):
    async def send(self, message: EmailMessage) -> None:
        """Deliver or raise. Returning means the message was handed over for good (the
        SMTP server accepted it, or the file is on disk)."""
        ...
