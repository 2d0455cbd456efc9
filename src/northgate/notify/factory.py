"""Choose the mailer from settings: files by default, SMTP when a host is configured."""

from __future__ import annotations

from northgate.notify.files import FileMailer
from northgate.notify.mailer import Mailer
from northgate.notify.smtp import SmtpMailer
from northgate.settings import Settings


def mailer_from_settings(settings: Settings) -> Mailer:
    if not settings.smtp_host:
        return FileMailer(settings.mail_dir)
    return SmtpMailer(
        host=settings.smtp_host,
        port=settings.smtp_port,
        username=settings.smtp_username,
        password=settings.smtp_password.get_secret_value(),
        starttls=settings.smtp_starttls,
    )
