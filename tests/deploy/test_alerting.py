"""deploy/alertmanager with the real Prometheus and Alertmanager (Debian's packages), started
here on free loopback ports, scraping a live Northgate node's /metrics with the operators'
token: a quiet node pages nobody; arrivals driven up page by e-mail (to an aiosmtpd server)
and by webhook.

The deployed files are used with what a test must change: addresses, a 1-second scrape and
evaluation, no waiting in Alertmanager, and a page threshold a test can reach (demand of
0.5 gated arrivals a second, on the deployed recording rules, instead of 80 % of a node's
capacity, thousands of requests a second).
"""

from __future__ import annotations

import contextlib
import json
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.notify.smtp import SmtpServer
from tests.support.live import LiveServer, start_server
from tests.support.servers import free_port, stop, wait_for_port

REPO = Path(__file__).resolve().parents[2]
PROMETHEUS_DIR = REPO / "deploy" / "prometheus"
ALERTMANAGER_DIR = REPO / "deploy" / "alertmanager"
TOKEN = "alerting-test-operator-token"
ON_CALL = "on-call@northgate.test"
WINDOW_SECONDS = 20.0  # a page must arrive within it; a quiet node must not page in it


def binary(name: str, package: str) -> str:
    found = shutil.which(name)
    if found is None:
        pytest.fail(f"{name} not found: run `apt-get install {package}` (make test does this)")
    return found


@pytest.mark.servers
def test_the_deployed_alertmanager_configuration_routes_pages_to_on_call() -> None:
    amtool = binary("amtool", "prometheus-alertmanager")
    config = str(ALERTMANAGER_DIR / "alertmanager.yml")
    checked = subprocess.run(
        [amtool, "check-config", config], capture_output=True, text=True, timeout=60
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr

    def route(*labels: str) -> str:
        found = subprocess.run(
            [amtool, "config", "routes", "test", f"--config.file={config}", *labels],
            capture_output=True,
            text=True,
            timeout=60,
        )
        return found.stdout.strip()

    assert route("severity=page", "alertname=NorthgateCapacityHigh") == "on-call"
    assert route("severity=ticket", "alertname=NorthgateCountryShareAnomaly") == "operators"


@dataclass
class Webhook:
    """An HTTP server in a thread, recording what Alertmanager posts to it."""

    port: int = field(default_factory=free_port)
    received: list[dict[str, Any]] = field(default_factory=list)

    @contextlib.contextmanager
    def running(self) -> Iterator[Webhook]:
        received = self.received

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", "0"))
                received.append(json.loads(self.rfile.read(length)))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            server.shutdown()
            server.server_close()


def alertmanager_config(smtp_port: int, webhook_port: int) -> dict[str, Any]:
    config: dict[str, Any] = yaml.safe_load((ALERTMANAGER_DIR / "alertmanager.yml").read_text())
    config["global"].update(
        smtp_smarthost=f"127.0.0.1:{smtp_port}", smtp_require_tls=False, resolve_timeout="1m"
    )
    config["route"].update(group_wait="0s", group_interval="1s")
    for route in config["route"]["routes"]:
        route.update(group_wait="0s")
    for receiver in config["receivers"]:
        for mail in receiver.get("email_configs", []):
            if receiver["name"] == "on-call":
                mail["to"] = ON_CALL
        for hook in receiver.get("webhook_configs", []):
            hook["url"] = f"http://127.0.0.1:{webhook_port}/northgate/pages"
    return config


def prometheus_config(
    node: LiveServer, alertmanager_port: int, rules: list[Path]
) -> dict[str, Any]:
    config: dict[str, Any] = yaml.safe_load((PROMETHEUS_DIR / "prometheus.yml").read_text())
    config["global"].update(scrape_interval="1s", evaluation_interval="1s")
    config["rule_files"] = [str(path) for path in rules]
    config["alerting"]["alertmanagers"][0]["static_configs"] = [
        {"targets": [f"127.0.0.1:{alertmanager_port}"]}
    ]
    [job] = config["scrape_configs"]
    job["authorization"] = {"type": "Bearer", "credentials": TOKEN}
    job["static_configs"] = [{"targets": [f"127.0.0.1:{node.port}"]}]
    return config


def rules_for_test(directory: Path) -> list[Path]:
    """The deployed recording rules, and the deployed page on a threshold a test reaches."""
    deployed = yaml.safe_load((PROMETHEUS_DIR / "rules" / "northgate.rules.yml").read_text())
    [group] = deployed["groups"]
    recording = [rule for rule in group["rules"] if "record" in rule]
    [capacity] = [rule for rule in group["rules"] if rule.get("alert") == "NorthgateCapacityHigh"]
    capacity = {**capacity, "expr": "northgate:demand:rate5m >= 0.5", "for": "0s"}
    path = directory / "rules.yml"
    path.write_text(
        yaml.safe_dump(
            {"groups": [{"name": group["name"], "rules": [*recording, capacity]}]},
            sort_keys=False,
        )
    )
    return [path]


@contextlib.contextmanager
def started(command: list[str], port: int, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("wb") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)
    try:
        wait_for_port(port, process)
        yield process
    finally:
        stop(process)


@dataclass
class Monitoring:
    node: LiveServer
    prometheus_url: str
    smtp: SmtpServer
    webhook: Webhook


@pytest.fixture
def monitoring(tmp_path: Path) -> Iterator[Monitoring]:
    prometheus = binary("prometheus", "prometheus")
    alertmanager = binary("prometheus-alertmanager", "prometheus-alertmanager")
    smtp = SmtpServer()
    smtp.controller.start()
    node = start_server(
        tmp_path / "node",
        {
            "NORTHGATE_OPERATOR_TOKEN": TOKEN,
            "NORTHGATE_WORKERS": "2",
            "NORTHGATE_ANALYTICS_FLUSH_SECONDS": "0.5",
        },
    )
    am_port, prom_port = free_port(), free_port()
    try:
        with Webhook().running() as webhook:
            am_config = tmp_path / "alertmanager.yml"
            am_config.write_text(yaml.safe_dump(alertmanager_config(smtp.port, webhook.port)))
            prom_config = tmp_path / "prometheus.yml"
            rules = rules_for_test(tmp_path)
            prom_config.write_text(yaml.safe_dump(prometheus_config(node, am_port, rules)))
            am_command = [
                alertmanager,
                f"--config.file={am_config}",
                f"--storage.path={tmp_path / 'alertmanager'}",
                f"--web.listen-address=127.0.0.1:{am_port}",
                "--cluster.listen-address=",  # one instance: no gossip port
            ]
            prom_command = [
                prometheus,
                f"--config.file={prom_config}",
                f"--storage.tsdb.path={tmp_path / 'prometheus'}",
                f"--web.listen-address=127.0.0.1:{prom_port}",
            ]
            with (
                started(am_command, am_port, tmp_path / "alertmanager.log"),
                started(prom_command, prom_port, tmp_path / "prometheus.log"),
            ):
                yield Monitoring(node, f"http://127.0.0.1:{prom_port}", smtp, webhook)
    finally:
        node.stop()
        smtp.controller.stop()


def query(monitoring: Monitoring, expr: str) -> list[dict[str, Any]]:
    answer = httpx.get(f"{monitoring.prometheus_url}/api/v1/query", params={"query": expr})
    answer.raise_for_status()
    result: list[dict[str, Any]] = answer.json()["data"]["result"]
    return result


def wait_until(condition: Any, seconds: float) -> float:
    """Seconds it took ``condition()`` to hold; fails after ``seconds``."""
    start = time.monotonic()
    while time.monotonic() - start < seconds:
        if condition():
            return time.monotonic() - start
        time.sleep(0.2)
    raise AssertionError(f"not within {seconds} s")


@pytest.mark.servers
def test_a_surge_pages_by_mail_and_webhook_and_a_quiet_node_does_not(
    monitoring: Monitoring,
) -> None:
    # Prometheus reaches the node with the token and reads its metrics.
    wait_until(lambda: query(monitoring, 'up{job="northgate"} == 1'), 15)
    wait_until(lambda: query(monitoring, "northgate_gate_concurrency_limit"), 15)
    # Quiet: a whole window, the rules evaluated every second, and nobody is paged.
    time.sleep(WINDOW_SECONDS)
    assert query(monitoring, 'ALERTS{alertname="NorthgateCapacityHigh"}') == []
    assert monitoring.smtp.received == [] and monitoring.webhook.received == []

    # A surge on the eTA pages: real requests through the node.
    with httpx.Client(base_url=monitoring.node.url, timeout=10) as client:
        for _ in range(300):
            assert client.get("/en/eta/check").status_code == 200
    took = wait_until(
        lambda: monitoring.smtp.received and monitoring.webhook.received, WINDOW_SECONDS
    )
    [mail] = monitoring.smtp.received[:1]
    assert mail.recipients == [ON_CALL]
    assert "NorthgateCapacityHigh" in str(mail.message["subject"])
    [posted] = monitoring.webhook.received[:1]
    assert posted["status"] == "firing"
    assert posted["commonLabels"]["alertname"] == "NorthgateCapacityHigh"
    assert posted["commonLabels"]["severity"] == "page"
    print(f"page delivered {took:.1f} s after the surge's last request")
