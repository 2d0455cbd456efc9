"""The embedded default: each message becomes an ``.eml`` file under ``var/mail/``."""

from __future__ import annotations

import asyncio
import os
import re
import tempfile
from datetime import datetime
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path

from northgate.core.clock import utc_now

_UNSAFE = re.compile(r"[^A-Za-z0-9._@-]+")


class FileMailer:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    async def send(self, message: EmailMessage) -> None:
        await asyncio.to_thread(self._write, message)

    def path_for(self, message: EmailMessage, now: datetime | None = None) -> Path:
        stamp = (now or utc_now()).strftime("%Y%m%dT%H%M%S%fZ")
        message_id = _UNSAFE.sub("_", str(message.get("Message-ID", "no-id")).strip("<> "))
        return self.directory / f"{stamp}-{message_id}.eml"

    def _write(self, message: EmailMessage) -> None:
        # Write to a temporary file in the same directory, flush it to disk, then rename:
        # a reader (or a crash) never sees half a message under the final name.
        self.directory.mkdir(parents=True, exist_ok=True)
        target = self.path_for(message)
        fd, temporary = tempfile.mkstemp(dir=self.directory, prefix=".", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(message.as_bytes(policy=SMTP))
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
