"""One typed settings object, read from ``NORTHGATE_*`` environment variables.

CLI flags override the environment by passing keyword arguments to :class:`Settings`.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from northgate.core.zone import SERVICE_TIMEZONE_NAME

ServerName = Literal["granian", "uvicorn"]
MIN_SECRET_KEY_LENGTH = 32


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="NORTHGATE_", extra="forbid")

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    workers: int = Field(default=1, ge=1, le=64)
    # Why granian: docs/decisions/0001-granian-as-the-default-server.md.
    server: ServerName = "granian"

    var_dir: Path = Path("var")
    database_url: str = ""
    # Shared state for several processes or hosts; empty means in-process (embedded default).
    redis_url: str = ""
    # Front-end packages installed by `npm ci` (GC Design System); see northgate.ui.assets.
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
    # A submitted application still unpaid after this long gets one reminder e-mail.
    payment_follow_up_after_seconds: int = Field(default=3600, ge=1)

    secret_key: SecretStr = SecretStr("")
    behind_tls: bool = False
    max_body_bytes: int = Field(default=64 * 1024, ge=1024)
    max_url_bytes: int = Field(default=2048, ge=256)
    # Abuse limits (northgate.web.guards), counted across nodes through Redis when set.
    # Failed status look-ups (no application matches): per client address (IPv6: per /64)
    # and per reference, so neither one client nor many can guess a date of birth.
    status_failures_per_client: int = Field(default=20, ge=1)
    status_failures_per_reference: int = Field(default=10, ge=1)
    status_failure_window_seconds: int = Field(default=15 * 60, ge=1)
    # "Save and come back later" e-mails: per recipient and per client address.
    resume_emails_per_recipient: int = Field(default=3, ge=1)
    resume_emails_per_client: int = Field(default=10, ge=1)
    resume_email_window_seconds: int = Field(default=60 * 60, ge=1)
    # The origin people reach the service at, for links in pages, e-mails and exported files.
    # Empty: the address `serve` listens on (http://HOST:PORT), so links work as served.
    public_origin: str = ""

    # Admission gate (northgate.edge.gate): waiting room, passes, adaptive concurrency limit.
    # The limits below are the start-up values; operators change them at run time through
    # POST /ops/gate/limits or `northgate gate set`, without a restart.
    gate_enabled: bool = True
    gate_event: str = Field(default="eta", pattern=r"^[a-z0-9-]{1,32}$")
    # fixed: admit at admissions_per_minute; adaptive: that rate is a ceiling and the outflow
    # follows a concurrency limit learned from the latency of admitted requests.
    gate_mode: Literal["fixed", "adaptive"] = "adaptive"
    gate_max_active: int = Field(default=2000, ge=1)
    # In adaptive mode a visitor is admitted only into a free slot under the learned limit,
    # so the measured capacity governs; this ceiling is only an operator's cap, and by
    # default it sits above what a node can serve (some hundreds of requests a second) so
    # that it never binds. Set it to a real rate when choosing fixed mode.
    gate_admissions_per_minute: int = Field(default=60_000, ge=1)
    gate_limit_floor: int = Field(default=2, ge=1)
    gate_limit_ceiling: int = Field(default=256, ge=1)
    gate_pass_ttl_seconds: int = Field(default=30 * 60, ge=10)
    gate_pass_cap_seconds: int = Field(default=4 * 60 * 60, ge=10)
    gate_poll_seconds: float = Field(default=20.0, ge=0.5, le=300)
    gate_abandon_after_seconds: int = Field(default=90, ge=2)
    # Visitors arriving before this time join a pre-queue and get a random place at opening.
    gate_opens_at: datetime | None = None
    # Bearer token for /ops/gate and `northgate gate`; empty disables those endpoints.
    gate_admin_token: SecretStr = SecretStr("")
    # Share of the global limits an application process uses on its own while Redis is
    # unreachable. Unset: 1 / the processes (on every host) alive at the last contact with
    # Redis, which follows nodes added or removed. Set only to override that.
    gate_fallback_share: float | None = Field(default=None, gt=0, le=1)

    # Edge analytics (northgate.analytics, northgate.edge.tap).
    analytics_enabled: bool = True
    # Peers allowed to speak for the client in X-Forwarded-For: comma-separated addresses
    # or CIDRs of our own proxies (e.g. "127.0.0.1,10.0.0.0/8"). Empty: trust no header.
    trusted_proxies: str = ""
    analytics_flush_seconds: float = Field(default=5.0, ge=0.1, le=300)
    analytics_rollup_seconds: float = Field(default=60.0, ge=1, le=3600)
    # Minute rows must outlive a week for "same time last week" at minute resolution.
    analytics_minute_retention_days: int = Field(default=15, ge=8)
    analytics_hour_retention_days: int = Field(default=400, ge=29)
    # Operators' time zone: reports and "same time last week" follow its wall clock.
    analytics_timezone: str = SERVICE_TIMEZONE_NAME
    # Bearer token (or HTTP Basic password) for /api/v1/analytics and /ops/analytics;
    # empty disables both.
    operator_token: SecretStr = SecretStr("")

    # Capacity planning (northgate.capacity, the ops page /ops).
    # Arrivals a minute one application node sustains. Default: bench.overload's measured
    # capacity on the submission path (298 a second on one core, bench/results/
    # overload.json), the costliest arrival, so a floor for the usual mix; measure your own
    # nodes with `python -m bench.overload` and set it.
    capacity_node_arrivals_per_minute: float = Field(default=17_880, gt=0)
    # Nodes serving when `northgate scale` has recorded none (its latest row wins).
    capacity_nodes: int = Field(default=1, ge=1)
    # Decision to serving for one more node; the time-to-saturation warning pages when
    # saturation is forecast sooner than twice this. The same figure as the Prometheus
    # rules' (deploy/prometheus/rules, a test keeps them equal): 30 min allows for a new
    # machine and a person deciding; `northgate scale` on a host with room measured 4-10 s.
    capacity_provisioning_seconds: float = Field(default=1800, gt=0)
    # Alertmanager's address (e.g. http://127.0.0.1:9093): the ops page lists its active
    # alerts. Empty: the forecaster's own warnings only.
    ops_alertmanager_url: str = ""

    # Scaling this host's nodes (`northgate scale`, northgate.scaling; docs/operations.md).
    # Advice: the forecast peak (arrivals/s) and the share of each node's capacity
    # (capacity_node_arrivals_per_minute) kept spare at the peak.
    scale_forecast_peak: float | None = Field(default=None, ge=0)
    scale_headroom: float = Field(default=0.2, ge=0, lt=1)
    # Action: the file of `server` lines northgate.conf includes in its upstream; nginx
    # and the options that find its configuration (`-t` and `-s reload` are added), its pid
    # file, and its address on this host (the new nodes are verified through it).
    scale_upstream_file: Path = Path("/etc/northgate/upstream.conf")
    scale_nginx_command: str = "nginx"
    scale_nginx_pid_file: Path = Path("/run/nginx.pid")
    scale_nginx_url: str = "http://127.0.0.1"
    # systemd's northgate@PORT units, plain `northgate serve` processes, or whichever this
    # host has. Nodes listen on NORTHGATE_HOST, from NORTHGATE_PORT upwards.
    scale_runner: Literal["auto", "systemd", "process"] = "auto"
    scale_ready_timeout_seconds: float = Field(default=60.0, gt=0)
    # This host's scaling events, one JSON object a line (the ops page reads the
    # database's copy, scaling_events); empty: var/scaling.jsonl.
    scale_history_file: Path | None = None

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: str) -> str:
        import ipaddress

        for part in value.split(","):
            if part.strip():
                ipaddress.ip_network(part.strip(), strict=False)
        return value

    @field_validator("secret_key")
    @classmethod
    def _long_enough(cls, value: SecretStr) -> SecretStr:
        # Empty: one is generated under var/ (the embedded default). Set: it signs sessions
        # and passes on every node, and a short one (or the deploy example's CHANGE-ME) is
        # a mistake to stop at, not to run with.
        if 0 < len(value.get_secret_value()) < MIN_SECRET_KEY_LENGTH:
            raise ValueError(
                f"NORTHGATE_SECRET_KEY is shorter than {MIN_SECRET_KEY_LENGTH} characters; "
                'make one with: python3 -c "import secrets; print(secrets.token_urlsafe(48))"'
            )
        return value

    @field_validator("analytics_timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo

        ZoneInfo(value)
        return value

    @model_validator(mode="after")
    def _origin(self) -> Settings:
        from northgate.origin import listening_origin

        self.public_origin = self.public_origin.rstrip("/") or listening_origin(
            self.host, self.port
        )
        return self

    @property
    def trusted_proxy_list(self) -> list[str]:
        return [part.strip() for part in self.trusted_proxies.split(",") if part.strip()]

    @field_validator("var_dir", "node_modules")
    @classmethod
    def _absolute(cls, value: Path) -> Path:
        return value.expanduser().resolve()

    @property
    def mail_dir(self) -> Path:
        return self.var_dir / "mail"

    @property
    def scale_history_path(self) -> Path:
        return self.scale_history_file or self.var_dir / "scaling.jsonl"

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
            _create_once(path, secrets.token_urlsafe(48))
        return path.read_text().strip().encode()


def _create_once(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` unless another process got there first.

    Workers start together and each generates a key: were each to write its own, workers
    would sign passes and sessions with different keys and refuse one another's (a visitor
    admitted by one worker sent back to the line by the next). The file is written whole
    under a private name and linked into place, which fails if the name exists, so the
    first key wins and nobody reads a half-written one.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    draft = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as out:
            out.write(text)
        with contextlib.suppress(FileExistsError):
            os.link(draft, path)
    finally:
        draft.unlink()


def describe_invalid(error: ValidationError) -> str:
    """One line naming each invalid ``NORTHGATE_*`` variable and what is wrong with it.

    The value itself is left out: it may be a secret, and the operator has it already.
    """
    problems = []
    for problem in error.errors(include_url=False, include_input=False):
        name = "NORTHGATE_" + "_".join(str(part) for part in problem["loc"]).upper()
        message = " ".join(str(problem["msg"]).removeprefix("Value error, ").split())
        problems.append(message if message.startswith(name) else f"{name}: {message}")
    return "; ".join(problems)
