"""The job kinds and their handlers (wired in northgate.composition)."""

from __future__ import annotations

from collections.abc import Mapping

from northgate.core.clock import Clock, utc_now
from northgate.core.lang import Lang
from northgate.core.routes import paths
from northgate.jobs import follow_up
from northgate.jobs.decide import Decide
from northgate.jobs.send_email import SendEmail
from northgate.jobs.worker import Handler
from northgate.notify.mailer import Mailer

# Where the e-mails send people to check their status.
STATUS_PATHS: Mapping[Lang, str] = paths("eta.status")


def build_handlers(
    *, mailer: Mailer, mail_from: str, status_urls: Mapping[Lang, str], clock: Clock = utc_now
) -> dict[str, Handler]:
    return {
        "decide": Decide(clock),
        follow_up.KIND: follow_up.PaymentFollowUp(clock),
        "email": SendEmail(mailer, mail_from, status_urls, clock),
    }


def status_urls(public_origin: str) -> dict[Lang, str]:
    """Where the e-mails send people to check their status, on the public origin."""
    origin = public_origin.rstrip("/")
    return {lang: origin + path for lang, path in STATUS_PATHS.items()}
