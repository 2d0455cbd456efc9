"""What every Mailer promises its callers, held against each one: in memory, ``.eml`` files,
and SMTP to a real server (aiosmtpd). Returning from ``send`` means the message was handed
over whole, exactly as composed, once; failing to hand it over raises."""

from __future__ import annotations

import asyncio
import email
import email.policy
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage, MIMEPart
from pathlib import Path
from typing import Literal

import pytest

from northgate.notify import messages
from northgate.notify.files import FileMailer
from northgate.notify.mailer import Mailer
from northgate.notify.memory import MemoryMailer
from northgate.notify.smtp import SmtpMailer
from tests.notify.smtp import SmtpServer
from tests.support.servers import free_port


@dataclass
class Delivery:
    mailer: Mailer
    # What reached the other side, parsed, in any order; waits for ``count`` messages.
    delivered: Callable[[int], Awaitable[list[EmailMessage]]]


def _parse(raw: bytes) -> EmailMessage:
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


@pytest.fixture(params=["memory", "files", "smtp"])
def delivery(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Delivery]:
    if request.param == "memory":
        memory = MemoryMailer()

        async def kept(count: int) -> list[EmailMessage]:
            return list(memory.sent)

        yield Delivery(memory, kept)
    elif request.param == "files":
        directory = tmp_path / "mail"

        async def written(count: int) -> list[EmailMessage]:
            return [_parse(path.read_bytes()) for path in sorted(directory.glob("*.eml"))]

        yield Delivery(FileMailer(directory), written)
    else:
        server = SmtpServer()
        server.controller.start()

        async def received(count: int) -> list[EmailMessage]:
            return [r.message for r in await server.wait_for(count)]

        try:
            yield Delivery(SmtpMailer("127.0.0.1", server.port, timeout=5), received)
        finally:
            server.controller.stop()


def message(
    n: int = 1, lang: Literal["en", "fr"] = "fr", to: str = "zoe@example.org"
) -> EmailMessage:
    rendered = messages.referral(lang, name="Zoé", reference=f"E{n}", status_url="https://x/s")
    return messages.compose(
        rendered,
        to=to,
        sender="Northgate eTA <no-reply@northgate.invalid>",
        message_id=f"<m{n}/x@northgate.invalid>",
        date=datetime(2016, 11, 8, 23, 0, tzinfo=UTC),
    )


def text(part: MIMEPart) -> str:
    # Mail travels with CRLF line ends (RFC 5322); the words are what must not change.
    return str(part.get_content()).replace("\r\n", "\n").rstrip("\n")


def same(received: EmailMessage, sent: EmailMessage) -> None:
    for header in ("From", "To", "Subject", "Date", "Message-ID", "Auto-Submitted"):
        assert received[header] == sent[header], header
    for kind in ("plain", "html"):
        got, want = received.get_body((kind,)), sent.get_body((kind,))
        assert got is not None and want is not None
        assert text(got) == text(want)


async def test_a_sent_message_arrives_exactly_as_composed(delivery: Delivery) -> None:
    sent = message()
    await delivery.mailer.send(sent)
    [received] = await delivery.delivered(1)
    same(received, sent)
    assert received["Subject"] == "Votre demande d’AVE doit être examinée – E1"


async def test_each_send_delivers_one_message(delivery: Delivery) -> None:
    for n in (1, 2, 3):
        await delivery.mailer.send(message(n, lang="en"))
    received = await delivery.delivered(3)
    assert sorted(m["Message-ID"] for m in received) == [
        f"<m{n}/x@northgate.invalid>" for n in (1, 2, 3)
    ]


async def test_concurrent_senders_each_get_their_message_delivered(delivery: Delivery) -> None:
    sent = [message(n, to=f"p{n}@example.org") for n in range(8)]
    await asyncio.gather(*(delivery.mailer.send(m) for m in sent))
    received = {m["Message-ID"]: m for m in await delivery.delivered(len(sent))}
    assert len(received) == len(sent)
    for m in sent:
        same(received[m["Message-ID"]], m)


async def test_a_message_changed_after_sending_was_delivered_as_it_was(
    delivery: Delivery,
) -> None:
    sent = message()
    await delivery.mailer.send(sent)
    sent.replace_header("Subject", "changed")
    [received] = await delivery.delivered(1)
    assert received["Subject"] == "Votre demande d’AVE doit être examinée – E1"


# Only the real mailers can fail to hand a message over.
async def test_a_file_mailer_that_cannot_write_raises(tmp_path: Path) -> None:
    blocked = tmp_path / "not-a-directory"
    blocked.write_text("")
    with pytest.raises(OSError):
        await FileMailer(blocked).send(message())


async def test_an_smtp_mailer_without_a_server_raises() -> None:
    with pytest.raises(OSError):
        await SmtpMailer("127.0.0.1", free_port(), timeout=2).send(message())
