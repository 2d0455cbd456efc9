"""The settings file an operator starts from (deploy/systemd/northgate.env.example), read
the two ways it is read in production: by systemd (EnvironmentFile=) and by a shell
(`set -a; . /etc/northgate/northgate.env`) before `northgate migrate` or `northgate gate`.
And what a node says when a setting in it is wrong: one line, status 2.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

# Every test here runs a shell or `northgate` in a process.
pytestmark = pytest.mark.servers

REPO = Path(__file__).resolve().parents[2]
ENV_EXAMPLE = REPO / "deploy" / "systemd" / "northgate.env.example"
NODE_UNIT = REPO / "deploy" / "systemd" / "northgate@.service"
# What systemd's EnvironmentFile= and a POSIX shell both read the same way: a bare word
# without shell metacharacters, or one double-quoted string without $, `, \ or " inside.
SAME_FOR_BOTH = re.compile(r'^[A-Z][A-Z0-9_]*=(?:[^\s"\'$`\\<>|&;()#*?]*|"[^"$`\\]*")$')


def sourced(path: Path) -> dict[str, str]:
    """The NORTHGATE_* variables a shell exports after `set -a; . path`."""
    done = subprocess.run(
        ["sh", "-c", 'set -a; . "$1" && env -0', "sh", str(path)],
        env={"PATH": os.environ["PATH"]},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 0 and not done.stderr, done.stderr
    pairs = (entry.split("=", 1) for entry in done.stdout.split("\0") if "=" in entry)
    return {key: value for key, value in pairs if key.startswith("NORTHGATE_")}


def assignments(path: Path) -> list[str]:
    return [
        line
        for line in path.read_text().splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]


def test_the_example_can_be_sourced_by_a_shell() -> None:
    values = sourced(ENV_EXAMPLE)
    assert values["NORTHGATE_MAIL_FROM"] == "Northgate eTA <no-reply@northgate.example>"
    assert len(values) == len(assignments(ENV_EXAMPLE))


def test_systemd_and_the_shell_read_every_line_alike() -> None:
    for line in assignments(ENV_EXAMPLE):
        assert SAME_FOR_BOTH.match(line), f"quote it for sh and systemd alike: {line}"
        key, value = line.split("=", 1)
        assert sourced(ENV_EXAMPLE)[key] == (shlex.split(value)[0] if value else "")


def test_the_number_of_workers_is_a_setting_not_part_of_the_unit() -> None:
    exec_start = next(
        line for line in NODE_UNIT.read_text().splitlines() if line.startswith("ExecStart=")
    )
    assert "--workers" not in exec_start
    assert sourced(ENV_EXAMPLE)["NORTHGATE_WORKERS"] == "2"


def northgate(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("NORTHGATE_")}
    return subprocess.run(
        [sys.executable, "-m", "northgate", *args],
        env={**inherited, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize(
    "command", [["serve"], ["migrate"], ["worker", "--once"], ["gate", "show"]]
)
def test_a_forgotten_placeholder_is_one_clear_line(command: list[str], tmp_path: Path) -> None:
    env = {**sourced(ENV_EXAMPLE), "NORTHGATE_VAR_DIR": str(tmp_path)}
    done = northgate(env, *command)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert done.stderr.splitlines()[-1].startswith(
        "northgate: invalid setting: NORTHGATE_SECRET_KEY is shorter than 32 characters"
    )
    assert "CHANGE-ME" not in done.stderr  # a value may be a secret: never echoed


def test_every_invalid_setting_is_named_on_the_same_line(tmp_path: Path) -> None:
    env = {
        "NORTHGATE_VAR_DIR": str(tmp_path),
        "NORTHGATE_PORT": "eighty",
        "NORTHGATE_GATE_MODE": "fast",
    }
    done = northgate(env, "serve")
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    [line] = done.stderr.splitlines()
    assert line.startswith("northgate: invalid setting: NORTHGATE_PORT: ")
    assert "; NORTHGATE_GATE_MODE: " in line
