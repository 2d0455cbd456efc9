"""Throwaway PostgreSQL and Redis servers on free loopback ports, in temporary directories.

Integration tests run against these real servers. A missing server binary fails the run
with instructions; it never turns into a skipped test.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from northgate.testing import postgres
from northgate.testing.postgres import MissingServer, free_port, stop, wait_for_port

__all__ = ["PostgresServer", "RedisServer", "free_port", "stop", "wait_for_port"]


def _require(binary: str | None, what: str, install: str) -> str:
    if binary is None:
        pytest.fail(f"{what} not found: run `{install}` (make test does this)", pytrace=False)
    return binary


class PostgresServer(postgres.PostgresServer):
    """The shared cluster; a missing binary fails the test run instead of erroring."""

    def __init__(self) -> None:
        try:
            super().__init__()
        except MissingServer as error:
            pytest.fail(str(error), pytrace=False)


class RedisServer:
    def __init__(self) -> None:
        self.binary = _require(
            shutil.which("redis-server"), "redis-server", "apt-get install redis-server"
        )
        self.port = free_port()
        self.base = Path(tempfile.mkdtemp(prefix="northgate-redis-"))
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.base),
                "--protected-mode",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_port(self.port, self.process)

    def stop(self) -> None:
        if self.process is not None:
            stop(self.process)
        shutil.rmtree(self.base, ignore_errors=True)
