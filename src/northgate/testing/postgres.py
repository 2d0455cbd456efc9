"""A throwaway PostgreSQL cluster on a free loopback port, in a temporary directory.

The integration tests and the submission benchmark run against it.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path


class MissingServer(RuntimeError):
    """A server binary is not installed; the message says how to install it."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, process: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode} before listening")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listening on port {port} after {timeout}s")


def stop(process: subprocess.Popen[bytes], timeout: float = 10.0) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def require(binary: str | None, what: str, install: str) -> str:
    if binary is None:
        raise MissingServer(f"{what} not found: run `{install}` (make test does this)")
    return binary


def _postgres_bindir() -> Path:
    found = shutil.which("postgres") or shutil.which("pg_ctl")
    if found:
        return Path(found).resolve().parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"), reverse=True)
    binary = require(
        candidates[0] if candidates else None,
        "PostgreSQL server binaries",
        "apt-get install postgresql",
    )
    return Path(binary).parent


class PostgresServer:
    """A PostgreSQL cluster in a temporary directory. PostgreSQL refuses to run as root,
    so as root the cluster belongs to the ``postgres`` system user."""

    def __init__(self) -> None:
        self.bindir = _postgres_bindir()
        self.port = free_port()
        self.base = Path(tempfile.mkdtemp(prefix="northgate-pg-"))
        self.data = self.base / "data"
        self.user = _unprivileged_user() if os.geteuid() == 0 else None
        if self.user is not None:
            uid, gid = self.user
            os.chown(self.base, uid, gid)
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def url_for(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def _run(self, args: Sequence[str], **kwargs: object) -> subprocess.Popen[bytes]:
        user_kwargs: dict[str, object] = {}
        if self.user is not None:
            user_kwargs = {"user": self.user[0], "group": self.user[1], "extra_groups": []}
        return subprocess.Popen(args, cwd=self.base, **user_kwargs, **kwargs)  # type: ignore[call-overload, no-any-return]

    def start(self) -> None:
        initdb = self._run(
            [
                str(self.bindir / "initdb"),
                "-D",
                str(self.data),
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        _, stderr = initdb.communicate(timeout=120)
        if initdb.returncode != 0:
            raise RuntimeError(f"initdb failed: {stderr.decode(errors='replace')}")
        self._launch()

    def _launch(self) -> None:
        log = (self.base / "postgres.log").open("ab")
        self.process = self._run(
            [
                str(self.bindir / "postgres"),
                "-D",
                str(self.data),
                "-p",
                str(self.port),
                "-h",
                "127.0.0.1",
                "-k",
                str(self.base),
                "-c",
                "max_connections=200",
                "-c",
                "shared_buffers=128MB",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        wait_for_port(self.port, self.process)
        self._wait_ready()

    def _wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            probe = subprocess.run(
                [str(self.bindir / "pg_isready"), "-h", "127.0.0.1", "-p", str(self.port)],
                capture_output=True,
                check=False,
            )
            if probe.returncode == 0:
                return
            time.sleep(0.1)
        raise TimeoutError("PostgreSQL did not become ready")

    def create_database(self, name: str) -> str:
        subprocess.run(
            [
                "psql",
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-U",
                "postgres",
                "-q",
                "-c",
                f'CREATE DATABASE "{name}"',
            ],
            check=True,
            capture_output=True,
        )
        return self.url_for(name)

    def halt(self) -> None:
        """Stop the server and keep its data: an outage, ended by :meth:`resume`.

        A fast shutdown (SIGINT), as ``pg_ctl stop`` and systemd do: open connections are
        ended mid-transaction, new ones refused."""
        if self.process is not None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                stop(self.process)
            self.process = None

    def resume(self) -> None:
        """Start the halted server again, on the same port with the same data."""
        self._launch()

    def stop(self) -> None:
        if self.process is not None:
            stop(self.process)
        shutil.rmtree(self.base, ignore_errors=True)


def _unprivileged_user() -> tuple[int, int]:
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            entry = pwd.getpwnam(name)
            return entry.pw_uid, entry.pw_gid
    raise RuntimeError("no unprivileged user to run PostgreSQL as")
