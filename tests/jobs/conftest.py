from __future__ import annotations

from tests.notify.smtp import smtp_server

__all__ = ["smtp_server"]
