"""The job kinds and their handlers, assembled from settings."""

from __future__ import annotations

from collections.abc import Mapping

from northgate.core.clock import Clock, utc_now
from northgate.core.lang import Lang
from northgate.core.routes import paths
from northgate.jobs import follow_up
from northgate.jobs.decide import Decide
from northgate.jobs.send_email import SendEmail
from northgate.jobs.worker import Handler
from northgate.notify.factory import mailer_from_settings
from northgate.notify.mailer import Mailer
from northgate.settings import Settings

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


def handlers_from_settings(settings: Settings, clock: Clock = utc_now) -> dict[str, Handler]:
    origin = settings.public_origin.rstrip("/")
    return build_handlers(
        mailer=mailer_from_settings(settings),
        mail_from=settings.mail_from,
        status_urls={lang: origin + path for lang, path in STATUS_PATHS.items()},
        clock=clock,
    )
