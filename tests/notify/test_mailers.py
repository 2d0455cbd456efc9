"""Both delivery paths for real: .eml files on disk, and SMTP to a running server."""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, datetime
from pathlib import Path

from northgate.notify import messages
from northgate.notify.factory import mailer_from_settings
from northgate.notify.files import FileMailer
from northgate.notify.smtp import SmtpMailer
from northgate.settings import Settings
from tests.notify.smtp import SmtpServer


def _message(to: str = "claire@example.org") -> email.message.EmailMessage:
    rendered = messages.referral("fr", name="Zoé", reference="E42", status_url="https://x/s")
    return messages.compose(
        rendered,
        to=to,
        sender="Northgate eTA <no-reply@northgate.invalid>",
        message_id="<a1b2/c3@northgate.invalid>",
        date=datetime(2016, 11, 8, 23, 0, tzinfo=UTC),
    )


async def test_file_mailer_writes_a_parseable_eml(tmp_path: Path) -> None:
    mailer = FileMailer(tmp_path / "mail")
    await mailer.send(_message())
    [path] = list((tmp_path / "mail").iterdir())
    assert path.suffix == ".eml"
    assert "a1b2_c3@northgate.invalid" in path.name  # no "/" from the Message-ID
    parsed = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert parsed["To"] == "claire@example.org"
    assert parsed["Subject"] == "Votre demande d’AVE doit être examinée – E42"
    body = parsed.get_body(("plain",))
    assert body is not None and "72 heures" in body.get_content()


async def test_smtp_mailer_delivers_to_a_real_server(smtp_server: SmtpServer) -> None:
    mailer = SmtpMailer("127.0.0.1", smtp_server.port, timeout=5)
    await mailer.send(_message("zoe@example.org"))
    [received] = await smtp_server.wait_for(1)
    assert received.recipients == ["zoe@example.org"]
    assert received.envelope_from == "no-reply@northgate.invalid"
    assert received.message["Subject"] == "Votre demande d’AVE doit être examinée – E42"


def test_mailer_follows_settings(tmp_path: Path) -> None:
    files = mailer_from_settings(Settings(var_dir=tmp_path))
    assert isinstance(files, FileMailer) and files.directory == tmp_path / "mail"
    smtp = mailer_from_settings(
        Settings(var_dir=tmp_path, smtp_host="mail.example", smtp_port=2525)
    )
    assert isinstance(smtp, SmtpMailer) and (smtp.host, smtp.port) == ("mail.example", 2525)
