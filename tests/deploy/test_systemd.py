"""deploy/systemd: the units parse as systemd reads them, run commands this checkout has,
and agree with the nginx example and with the settings.

`systemd-analyze verify` reads a unit the way systemd would at boot (unknown keys, bad
values and a command that is not there are reported); the install path /srv/northgate is
replaced by this checkout, as a deployment replaces it. A missing systemd-analyze fails the
run.
"""

from __future__ import annotations

import configparser
import inspect
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import click
import pytest
from pydantic import ValidationError

from northgate.analytics.store.flusher import Flusher
from northgate.cli import INVALID_SETTING
from northgate.cli import main as northgate_cli
from northgate.scaling import upstream
from northgate.settings import Settings

REPO = Path(__file__).resolve().parents[2]
UNITS = REPO / "deploy" / "systemd"
EDGE_LOG = UNITS / "northgate-edge-log.service"
ENV_EXAMPLE = UNITS / "northgate.env.example"
NGINX_EXAMPLE = REPO / "deploy" / "nginx" / "northgate.conf"
INSTALL = "/srv/northgate"
ENVIRONMENT_FILE = "EnvironmentFile=/etc/northgate/northgate.env"
# Each unit as systemd would load it: templates under an instance name.
INSTANCES = {
    "northgate@.service": "northgate@8000.service",
    "northgate-worker@.service": "northgate-worker@1.service",
    "northgate-edge-log.service": "northgate-edge-log.service",
    "northgate-export-static.service": "northgate-export-static.service",
}
EXPORT = UNITS / "northgate-export-static.service"


def read_unit(path: Path) -> configparser.ConfigParser:
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    unit.read_string(path.read_text())
    return unit


def verify(text: str, tmp_path: Path, name: str) -> subprocess.CompletedProcess[str]:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.fail("systemd-analyze not found: run `apt-get install -y systemd`", pytrace=False)
    unit = tmp_path / name
    unit.write_text(text)
    return subprocess.run(
        [analyze, "verify", "--man=no", str(unit)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def as_deployed_here(text: str, tmp_path: Path) -> str:
    """The unit with the install path in ``tmp_path`` (an executable where the virtual
    environment's `northgate` goes), and the settings file optional (none here). Neither
    /srv/northgate nor this checkout's own .venv need exist: the units are checked, not
    the machine (the commands and their options are checked below, against the CLI)."""
    assert INSTALL in text and ENVIRONMENT_FILE in text
    install = tmp_path / "install"
    command = install / ".venv" / "bin" / "northgate"
    command.parent.mkdir(parents=True, exist_ok=True)
    command.write_text("#!/bin/sh\n")
    command.chmod(0o755)
    return text.replace(INSTALL, str(install)).replace(
        ENVIRONMENT_FILE, ENVIRONMENT_FILE.replace("=", "=-", 1)
    )


def test_every_unit_is_tested() -> None:
    assert sorted(path.name for path in UNITS.glob("*.service")) == sorted(INSTANCES)


@pytest.mark.servers  # systemd-analyze, in a process
@pytest.mark.parametrize("unit", sorted(INSTANCES))
def test_the_unit_verifies(unit: str, tmp_path: Path) -> None:
    text = as_deployed_here((UNITS / unit).read_text(), tmp_path)
    done = verify(text, tmp_path, INSTANCES[unit])
    assert done.returncode == 0, done.stderr
    # Unknown keys and unparsable values are only warnings to systemd: none allowed here.
    assert INSTANCES[unit] not in done.stderr, done.stderr


@pytest.mark.servers  # systemd-analyze, in a process
def test_verify_catches_what_these_tests_rely_on(tmp_path: Path) -> None:
    """The check above can fail: a misspelt key, a bad value, a missing command."""
    good = as_deployed_here(EDGE_LOG.read_text(), tmp_path)
    for broken, complaint in (
        (good.replace("\nRestart=", "\nRestrat="), "Unknown key"),
        (good.replace("Type=exec", "Type=exce"), "Failed to parse"),
        (re.sub(r"ExecStart=\S+", "ExecStart=/nonexistent/northgate", good), "not executable"),
    ):
        done = verify(broken, tmp_path, EDGE_LOG.name)
        assert complaint in done.stderr, done.stderr


@pytest.mark.parametrize("unit", sorted(INSTANCES))
def test_the_unit_runs_a_northgate_command_with_options_it_has(unit: str) -> None:
    service = read_unit(UNITS / unit)["Service"]
    instance = INSTANCES[unit].split("@")[1].split(".")[0] if "@" in unit else ""
    command = shlex.split(service["ExecStart"].replace("%i", instance))
    assert command[0] == f"{INSTALL}/.venv/bin/northgate"
    assert service["WorkingDirectory"] == INSTALL  # where node_modules is
    subcommand = northgate_cli.commands[command[1]]
    with click.Context(northgate_cli) as parent:
        subcommand.make_context(command[1], command[2:], parent=parent)  # raises if unknown


def test_the_application_units_serve_what_nginx_balances_over() -> None:
    service = read_unit(UNITS / "northgate@.service")["Service"]
    command = shlex.split(service["ExecStart"])
    host = command[command.index("--host") + 1]
    assert command[command.index("--port") + 1] == "%i"
    # nginx's servers are what `northgate scale` writes to the file the example includes:
    # the same address as the unit's, ports from NORTHGATE_PORT up.
    assert "include /etc/northgate/upstream.conf;" in NGINX_EXAMPLE.read_text()
    defaults = Settings()
    two = [defaults.port, defaults.port + 1]
    upstreams = re.findall(r"^server (\S+):(\d+);", upstream.render(defaults.host, two), re.M)
    assert upstreams and {h for h, _ in upstreams} == {host}
    # The unit's comment says which instances to enable: `northgate scale --to 2`'s ports.
    enable = re.search(r"systemctl enable --now (.+)", (UNITS / "northgate@.service").read_text())
    assert enable is not None
    assert enable.group(1).split() == [f"northgate@{port}" for _, port in upstreams]


def test_the_edge_log_listens_where_nginx_sends() -> None:
    service = read_unit(EDGE_LOG)["Service"]
    socket = Path(shlex.split(service["ExecStart"])[2])
    # The edge's Lua sends its counters there (init_worker_by_lua_block).
    sent_to = re.search(r'init_worker\("([^"]+)"\)', NGINX_EXAMPLE.read_text())
    assert sent_to is not None
    assert socket == Path(sent_to.group(1))
    # systemd creates the socket's directory (and, on restart, keeps it for nginx).
    assert socket.parent == Path("/run") / service["RuntimeDirectory"]
    assert service["RuntimeDirectoryPreserve"] == "restart"
    # Closed to all but nginx's group: other local users cannot inject arrivals.
    assert service["Group"] == "www-data" and service["RuntimeDirectoryMode"] == "0750"


def test_the_edge_log_starts_before_nginx_and_outlives_its_last_flush() -> None:
    unit = read_unit(EDGE_LOG)
    assert "nginx.service" in unit["Unit"]["Before"].split()
    # systemd must not kill the last flush before its grace is over.
    grace = inspect.signature(Flusher.stop).parameters["grace"].default
    assert int(unit["Service"]["TimeoutStopSec"]) > grace


def example_settings() -> dict[str, str]:
    pairs = [
        line.split("=", 1)
        for line in ENV_EXAMPLE.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    # Double quotes are stripped by systemd and the shell alike (tests/deploy/test_env_file.py).
    return {key: value.removeprefix('"').removesuffix('"') for key, value in pairs}


def settings_from(environment: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Settings:
    for key, value in environment.items():
        monkeypatch.setenv(key, value)
    return Settings()


def test_the_example_settings_are_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    example = example_settings()
    fields = {f"NORTHGATE_{name.upper()}" for name in Settings.model_fields}
    assert set(example) <= fields, set(example) - fields
    filled = {key: value.replace("CHANGE-ME", "x" * 48) for key, value in example.items()}
    settings = settings_from(filled, monkeypatch)
    assert not settings.embedded_worker
    assert settings.var_dir == Path("/var/lib/northgate")
    assert settings.trusted_proxy_list == ["127.0.0.1"]


def test_a_forgotten_placeholder_stops_the_start(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValidationError, match="NORTHGATE_SECRET_KEY is shorter than 32"):
        settings_from(example_settings(), monkeypatch)


@pytest.mark.parametrize("key", ["", "k" * 32])
def test_a_secret_key_is_empty_or_long_enough(key: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NORTHGATE_SECRET_KEY", key)
    assert Settings().secret_key.get_secret_value() == key


def make_variable(name: str) -> str:
    """A variable of the Makefile as make expands it, the checkout being the install."""
    make = shutil.which("make")
    if make is None:
        pytest.fail("make not found: run `apt-get install -y make`", pytrace=False)
    done = subprocess.run(
        [make, "-s", "--no-print-directory", "-C", str(REPO),
         "--eval", f"print-variable: ; @echo $({name})", "print-variable"],
        capture_output=True, text=True, timeout=30, check=True,
    )  # fmt: skip
    return done.stdout.strip().replace(str(REPO), INSTALL)


@pytest.mark.servers  # make, in a process, expands the Makefile's STATIC_DIR
def test_the_static_export_goes_where_nginx_serves_from() -> None:
    """One directory in the unit, the make target and nginx's root."""
    root = re.search(r"^\s*root (\S+);", NGINX_EXAMPLE.read_text(), re.M)
    assert root is not None
    service = read_unit(EXPORT)["Service"]
    command = shlex.split(service["ExecStart"])
    assert command[1] == "export-static"
    assert command[2] == service["ReadWritePaths"] == root.group(1)
    assert make_variable("STATIC_DIR") == root.group(1)


def test_the_export_runs_once_on_each_start_before_nginx() -> None:
    unit = read_unit(EXPORT)
    assert unit["Service"]["Type"] == "oneshot"
    # Not RemainAfterExit: each `systemctl start` on a release runs it again.
    assert "RemainAfterExit" not in unit["Service"]
    assert "nginx.service" in unit["Unit"]["Before"].split()


@pytest.mark.parametrize("unit", sorted(set(INSTANCES) - {EXPORT.name}))
def test_an_invalid_setting_is_not_restarted_in_a_loop(unit: str) -> None:
    """`northgate` exits with INVALID_SETTING on a bad setting (tests/deploy/test_env_file.py)."""
    service = read_unit(UNITS / unit)["Service"]
    assert service["RestartPreventExitStatus"].split() == [str(INVALID_SETTING)]
