"""One typed settings object, read from ``NORTHGATE_*`` environment variables.

CLI flags override the environment by passing keyword arguments to :class:`Settings`.
"""

from __future__ import annotations

import secrets
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ServerName = Literal["granian", "uvicorn"]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="NORTHGATE_", extra="forbid")

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    workers: int = Field(default=1, ge=1, le=64)
    # Chosen by `make bench` (bench/pages.py): granian served cached pages faster than uvicorn.
    server: ServerName = "granian"

    var_dir: Path = Path("var")
    database_url: str = ""
    # Shared state for several processes or hosts; empty means in-process (embedded default).
    redis_url: str = ""
    # Front-end packages installed by `npm ci` (GC Design System); see northgate.web.assets.
    node_modules: Path = Path("node_modules")

    # E-mail: empty SMTP host means .eml files under var/mail/ (embedded default).
    smtp_host: str = ""
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_username: str = ""
    smtp_password: SecretStr = SecretStr("")
    smtp_starttls: bool = False
    mail_from: str = "Northgate eTA <no-reply@northgate.invalid>"

    # Jobs (decisions, e-mail, payment reconciliation) run inside the server by default;
    # production runs `northgate worker` processes instead and sets this to false.
    embedded_worker: bool = True
    # A payment with no answer from the gateway after this long is looked up and settled.
    payment_reconcile_after_seconds: int = Field(default=900, ge=1)

    secret_key: SecretStr = SecretStr("")
    behind_tls: bool = False
    max_body_bytes: int = Field(default=64 * 1024, ge=1024)
    max_url_bytes: int = Field(default=2048, ge=256)
    # The public origin used in canonical links and exported files.
    public_origin: str = "http://127.0.0.1:8000"

    @field_validator("var_dir", "node_modules")
    @classmethod
    def _absolute(cls, value: Path) -> Path:
        return value.expanduser().resolve()

    @property
    def mail_dir(self) -> Path:
        return self.var_dir / "mail"

    @cached_property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.var_dir / 'northgate.db'}"

    @cached_property
    def effective_secret_key(self) -> bytes:
        """The configured key, or one generated once and kept under ``var/``.

        Generating it keeps `make run` free of set-up; keeping it means passes and
        signed links survive a restart.
        """
        if self.secret_key.get_secret_value():
            return self.secret_key.get_secret_value().encode()
        path = self.var_dir / "secret_key"
        if not path.exists():
            self.var_dir.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(48))
            path.chmod(0o600)
        return path.read_text().strip().encode()
