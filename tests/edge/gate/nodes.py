"""`northgate serve` processes for the gate's integration tests."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from tests.conftest import NODE_MODULES
from tests.support.servers import free_port, stop, wait_for_port

SECRET = "gate-test-secret-key-shared-by-all-nodes"
ADMIN = "gate-admin"


@contextmanager
def node(base: Path, env: Mapping[str, str]) -> Iterator[str]:
    """A migrated node on a free port; yields its URL."""
    port = free_port()
    base.mkdir(parents=True, exist_ok=True)
    full = {
        **os.environ,
        "NORTHGATE_VAR_DIR": str(base / "var"),
        "NORTHGATE_NODE_MODULES": str(NODE_MODULES),
        "NORTHGATE_PORT": str(port),
        "NORTHGATE_SECRET_KEY": SECRET,
        "NORTHGATE_GATE_ADMIN_TOKEN": ADMIN,
        "NORTHGATE_EMBEDDED_WORKER": "false",
        "NORTHGATE_ANALYTICS_ENABLED": "false",
        **env,
    }
    command = [sys.executable, "-m", "northgate", "--log-level", "warning"]
    subprocess.run([*command, "migrate"], env=full, check=True, capture_output=True)
    log = base / "server.log"
    with log.open("wb") as log_file:
        process = subprocess.Popen(
            [*command, "serve"], env=full, stdout=log_file, stderr=subprocess.STDOUT
        )
    try:
        wait_for_port(port, process)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(process)
