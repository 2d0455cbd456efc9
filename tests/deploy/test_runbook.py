"""docs/operations.md agrees with what it describes: the units, nginx's paths, the
settings, the make targets and the commands it tells an operator to run."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from northgate.cli import main as northgate_cli
from northgate.settings import Settings

REPO = Path(__file__).resolve().parents[2]
RUNBOOK = REPO / "docs" / "operations.md"
NGINX_EXAMPLE = REPO / "deploy" / "nginx" / "northgate.conf"


@pytest.fixture(scope="module")
def runbook() -> str:
    assert RUNBOOK.is_file(), "docs/operations.md is the operators' runbook"
    return RUNBOOK.read_text()


def test_every_unit_is_in_the_runbook(runbook: str) -> None:
    for unit in (REPO / "deploy" / "systemd").glob("*.service"):
        assert unit.stem.removesuffix("@") in runbook, unit.name


def test_the_paths_nginx_uses_are_the_runbooks(runbook: str) -> None:
    nginx = NGINX_EXAMPLE.read_text()
    paths = re.findall(r"^\s*(?:root|access_log|error_log) (/[^\s;]+)", nginx, re.M)
    assert len(paths) == 3, paths
    for path in paths:
        assert path in runbook, path


def test_every_variable_named_is_a_setting(runbook: str) -> None:
    fields = {f"NORTHGATE_{name.upper()}" for name in Settings.model_fields}
    named = set(re.findall(r"NORTHGATE_[A-Z_]+[A-Z]", runbook))
    assert named and named <= fields, named - fields


def test_every_command_and_make_target_exists(runbook: str) -> None:
    commands = set(re.findall(r"bin/northgate ([a-z-]+)", runbook))
    assert {"migrate", "edge-log-dropped"} <= commands
    assert commands <= set(northgate_cli.commands), commands - set(northgate_cli.commands)
    makefile = (REPO / "Makefile").read_text()
    targets = set(re.findall(r"(?:`|northgate )make ([a-z-]+)", runbook))
    assert {"static", "verify-units"} <= targets
    for target in targets:
        assert re.search(rf"^{target}:", makefile, re.M), target
