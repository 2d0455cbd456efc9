"""deploy/systemd: the units parse as systemd reads them, and agree with the nginx example.

`systemd-analyze verify` reads a unit the way systemd would at boot (unknown keys, bad
values and a command that is not there are reported); the install path is replaced by this
checkout's, as a deployment replaces it. A missing systemd-analyze fails the run.
"""

from __future__ import annotations

import configparser
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
UNITS = REPO / "deploy" / "systemd"
EDGE_LOG_UNIT = UNITS / "northgate-edge-log.service"
NGINX_EXAMPLE = REPO / "deploy" / "nginx" / "northgate.conf"
INSTALLED_BINARY = "/srv/northgate/.venv/bin/northgate"
ENVIRONMENT_FILE = "EnvironmentFile=/etc/northgate/northgate.env"


def read_unit(path: Path) -> configparser.ConfigParser:
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    unit.read_string(path.read_text())
    return unit


def analyze() -> str:
    found = shutil.which("systemd-analyze")
    if found is None:
        pytest.fail("systemd-analyze not found: run `apt-get install -y systemd`", pytrace=False)
    return found


def verify(text: str, tmp_path: Path, name: str) -> subprocess.CompletedProcess[str]:
    unit = tmp_path / name
    unit.write_text(text)
    return subprocess.run(
        [analyze(), "verify", "--man=no", str(unit)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def as_deployed_here(text: str) -> str:
    """The unit with this checkout's northgate, and the settings file optional (none here)."""
    assert INSTALLED_BINARY in text and ENVIRONMENT_FILE in text
    here = str(Path(sys.executable).with_name("northgate"))
    return text.replace(INSTALLED_BINARY, here).replace(
        ENVIRONMENT_FILE, ENVIRONMENT_FILE.replace("=", "=-", 1)
    )


def test_the_edge_log_unit_verifies(tmp_path: Path) -> None:
    done = verify(as_deployed_here(EDGE_LOG_UNIT.read_text()), tmp_path, EDGE_LOG_UNIT.name)
    assert done.returncode == 0, done.stderr
    # Unknown keys and unparsable values are only warnings to systemd: none allowed here.
    assert EDGE_LOG_UNIT.name not in done.stderr, done.stderr


def test_verify_catches_what_this_test_relies_on(tmp_path: Path) -> None:
    """The check above can fail: a misspelt key, a bad value, a missing command."""
    good = as_deployed_here(EDGE_LOG_UNIT.read_text())
    for broken, complaint in (
        (good.replace("\nRestart=", "\nRestrat="), "Unknown key"),
        (good.replace("Type=exec", "Type=exce"), "Failed to parse"),
        (re.sub(r"ExecStart=\S+", "ExecStart=/nonexistent/northgate", good), "not executable"),
    ):
        done = verify(broken, tmp_path, EDGE_LOG_UNIT.name)
        assert complaint in done.stderr, done.stderr


def test_the_edge_log_listens_where_nginx_sends() -> None:
    service = read_unit(EDGE_LOG_UNIT)["Service"]
    command = shlex.split(service["ExecStart"])
    assert command[0] == INSTALLED_BINARY
    assert command[1] == "edge-log"
    socket = Path(command[2])
    sent_to = re.search(r"syslog:server=unix:([^,\s]+)", NGINX_EXAMPLE.read_text())
    assert sent_to is not None
    assert socket == Path(sent_to.group(1))
    # systemd creates the socket's directory (and, on restart, keeps it for nginx).
    assert socket.parent == Path("/run") / service["RuntimeDirectory"]
    assert service["RuntimeDirectoryPreserve"] == "restart"
    # Closed to all but nginx's group: other local users cannot inject arrivals.
    assert service["Group"] == "www-data" and service["RuntimeDirectoryMode"] == "0750"


def test_the_edge_log_starts_before_nginx_and_outlives_its_last_flush() -> None:
    unit = read_unit(EDGE_LOG_UNIT)
    assert "nginx.service" in unit["Unit"]["Before"].split()
    # The last flush has 10 s (Flusher.stop); systemd must not kill it before.
    assert int(unit["Service"]["TimeoutStopSec"]) > 10
    assert unit["Install"]["WantedBy"] == "multi-user.target"
