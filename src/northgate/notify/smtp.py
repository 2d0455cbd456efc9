"""Production delivery: hand each message to an SMTP relay."""

from __future__ import annotations

from email.message import EmailMessage

import aiosmtplib


class SmtpMailer:
    def __init__(
        self,
        host: str,
        port: int = 25,
        username: str = "",
        password: str = "",
        starttls: bool = False,
        timeout: float = 30.0,
    ) -> None:
        self.host = host
        self.port = port
        self.username = username or None
        self.password = password or None
        self.starttls = starttls
        # Bounded so a hung relay fails the job (retried later) instead of the lease.
        self.timeout = timeout

    async def send(self, message: EmailMessage) -> None:
        # One connection per message: jobs are spread over time and across workers, and a
        # pooled connection would have to survive relay restarts. Errors propagate; the
        # worker retries the job with a backoff.
        await aiosmtplib.send(
            message,
            hostname=self.host,
            port=self.port,
            username=self.username,
            password=self.password,
            start_tls=self.starttls,
            timeout=self.timeout,
        )
