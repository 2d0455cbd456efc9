"""`northgate gate show|set` against a real node: its help says what it needs from the
environment and which limits exist; what is missing or wrong is said in one line."""

from __future__ import annotations

import json
from dataclasses import fields
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from northgate.cli import main
from northgate.edge.gate.config import GateLimits
from tests.edge.gate.nodes import ADMIN, node
from tests.support.servers import free_port


def _gate(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(main, ["gate", *args], env=env or {})


def _one_line_error(result: Result) -> str:
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert lines[0].startswith("Error: ")
    return lines[0]


def test_help_names_the_environment_the_limits_and_how_to_open_or_close() -> None:
    text = _gate("--help").output
    needed = ["NORTHGATE_GATE_ADMIN_TOKEN", "NORTHGATE_GATE_URL", "--url", "--direct",
              "NORTHGATE_REDIS_URL", "enabled=false", "enabled=true", "opens_at=0"]  # fmt: skip
    for words in needed:
        assert words in text
    for limit in fields(GateLimits):
        assert limit.name in text
    assert "northgate gate --help" in _gate("set", "--help").output


def test_without_the_token_one_line_says_which_variable() -> None:
    line = _one_line_error(_gate("show"))
    assert "NORTHGATE_GATE_ADMIN_TOKEN" in line


def test_without_a_node_at_the_address_one_line_says_how_to_give_it() -> None:
    nowhere = f"http://127.0.0.1:{free_port()}"
    line = _one_line_error(_gate("show", "--url", nowhere, env={"NORTHGATE_GATE_ADMIN_TOKEN": "x"}))
    assert f"no node answers at {nowhere}" in line
    assert "--url" in line and "NORTHGATE_GATE_URL" in line


@pytest.mark.servers  # a real node (nodes.py)
def test_show_and_set_on_a_node(tmp_path: Path) -> None:
    with node(tmp_path, {}) as url:
        env = {"NORTHGATE_GATE_ADMIN_TOKEN": ADMIN, "NORTHGATE_GATE_URL": url}
        shown = _gate("show", env=env)
        assert shown.exit_code == 0, shown.output
        assert json.loads(shown.output)["limits"]["enabled"] is True
        changed = _gate("set", "enabled=false", env=env)
        assert changed.exit_code == 0, changed.output
        assert json.loads(changed.output)["enabled"] is False

        wrong = _gate("show", env={**env, "NORTHGATE_GATE_ADMIN_TOKEN": "not-it"})
        assert "refused the admin token" in _one_line_error(wrong)
        bad = _gate("set", "max_active=0", env=env)
        assert "max_active must be at least 1" in _one_line_error(bad)


@pytest.mark.parametrize("assignment", ["max_active", "=3"])
def test_malformed_assignments_are_usage_errors(assignment: str) -> None:
    result = _gate("set", assignment, env={"NORTHGATE_GATE_ADMIN_TOKEN": "x"})
    assert result.exit_code == 2
    assert "expected NAME=VALUE" in result.output
