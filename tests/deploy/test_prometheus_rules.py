"""deploy/prometheus: the rules parse, every alert has a promtool case that fires it, and the
cases pass (Debian's promtool; a missing one fails the run), the 2016 election night
(warned in time) and an ordinary week (no page) among them."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from northgate.settings import Settings
from tests.deploy import prometheus_scenarios

REPO = Path(__file__).resolve().parents[2]
PROMETHEUS = REPO / "deploy" / "prometheus"
RULES = PROMETHEUS / "rules" / "northgate.rules.yml"
RULE_TESTS = sorted((PROMETHEUS / "tests").glob("*_test.yml"))


def promtool() -> str:
    found = shutil.which("promtool")
    if found is None:
        pytest.fail("promtool not found: run `apt-get install prometheus` (make test does this)")
    return found


def rules() -> list[dict[str, Any]]:
    groups = yaml.safe_load(RULES.read_text())["groups"]
    return [rule for group in groups for rule in group["rules"]]


def rule_tests() -> list[dict[str, Any]]:
    return [test for path in RULE_TESTS for test in yaml.safe_load(path.read_text())["tests"]]


@pytest.mark.servers
def test_promtool_checks_the_rules_and_the_configuration() -> None:
    checked = subprocess.run(
        [promtool(), "check", "rules", str(RULES)], capture_output=True, text=True, timeout=60
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    config = subprocess.run(
        [promtool(), "check", "config", "--syntax-only", str(PROMETHEUS / "prometheus.yml")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert config.returncode == 0, config.stdout + config.stderr


@pytest.mark.servers
@pytest.mark.parametrize("path", RULE_TESTS, ids=lambda path: path.name)
def test_promtool_rule_tests_pass(path: Path) -> None:
    result = subprocess.run(
        [promtool(), "test", "rules", path.name],
        cwd=path.parent,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_election_night_cases_are_generated_from_the_scenario() -> None:
    assert prometheus_scenarios.OUTPUT.read_text() == prometheus_scenarios.document(), (
        "run `python -m tests.deploy.prometheus_scenarios`"
    )


def test_every_alert_has_a_case_that_fires_it_and_one_that_does_not() -> None:
    fired: set[str] = set()
    quiet: set[str] = set()
    for test in rule_tests():
        for case in test.get("alert_rule_test", []):
            (fired if case.get("exp_alerts") else quiet).add(case["alertname"])
    alerts = {rule["alert"] for rule in rules() if "alert" in rule}
    assert alerts - fired == set()
    assert alerts - quiet == set()


def test_every_recording_rule_is_used() -> None:
    records = {rule["record"] for rule in rules() if "record" in rule}
    used = " ".join(rule["expr"] for rule in rules()) + " ".join(
        case["expr"] for test in rule_tests() for case in test.get("promql_expr_test", [])
    )
    unused = {record for record in records if not re.search(rf"{re.escape(record)}\b", used)}
    # The constant documents the provisioning time for dashboards; the alert spells it out.
    assert unused == {"northgate:provisioning_time:seconds"}


def test_the_provisioning_time_is_one_figure() -> None:
    by_name = {rule.get("record") or rule.get("alert"): rule for rule in rules()}
    constant = by_name["northgate:provisioning_time:seconds"]["expr"]
    seconds = int(re.fullmatch(r"vector\((\d+)\)", constant.strip()).group(1))  # type: ignore[union-attr]
    forecast = by_name["NorthgateSaturationForecast"]
    assert forecast["labels"]["provisioning_seconds"] == str(seconds)
    assert f"< 2 * {seconds}" in forecast["expr"]
    # The ops page's forecaster warns by the same figure.
    assert Settings.model_fields["capacity_provisioning_seconds"].default == seconds
