"""Several worker processes, one /metrics: counters add up over every worker, live gauges
over the live ones only (prometheus-client's multiprocess files)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from northgate.composition import build
from northgate.ops import processes
from northgate.settings import Settings
from tests.ops.test_metrics import samples

# A worker: builds the services as `northgate serve` does, counts a batch of arrivals,
# publishes the gate's state, then stays alive until its standard input closes.
WORKER = """
import sys
from northgate.analytics.capture.dimensions import ArrivalKey
from northgate.analytics.store.delta import Delta
from northgate.composition import build
from northgate.settings import Settings

services = build(Settings())
key = ArrivalKey(1, "eta", "en", "US", "served", False)
services.metrics.count_arrivals(Delta(sys.argv[1], {key: 3}))
services.metrics.publish()
print("ready", flush=True)
sys.stdin.readline()
"""


@pytest.fixture
def metrics_directory(tmp_path: Path) -> Path:
    directory = tmp_path / "metrics"
    directory.mkdir()
    return directory


@pytest.fixture
def workers(
    make_settings: Callable[..., Settings], sqlite_url: str, metrics_directory: Path
) -> Iterator[list[subprocess.Popen[str]]]:
    settings = make_settings(database_url=sqlite_url)
    env = {
        **os.environ,
        processes.ENVIRONMENT: str(metrics_directory),
        "NORTHGATE_DATABASE_URL": sqlite_url,
        "NORTHGATE_VAR_DIR": str(settings.var_dir),
        "NORTHGATE_NODE_MODULES": str(settings.node_modules),
    }
    started = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, f"batch-{n}"],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for n in range(2)
    ]
    try:
        for worker in started:
            assert worker.stdout is not None and worker.stdout.readline().strip() == "ready"
        yield started
    finally:
        for worker in started:
            worker.kill()
            worker.wait(10)


@pytest.mark.servers
async def test_counters_add_up_and_gauges_follow_the_live_workers(
    make_settings: Callable[..., Settings],
    sqlite_url: str,
    metrics_directory: Path,
    workers: list[subprocess.Popen[str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(processes.ENVIRONMENT, str(metrics_directory))
    scraper = build(make_settings(database_url=sqlite_url))
    limit = scraper.gate.limiter.limit
    eta_served = ("northgate_arrivals_total", (("outcome", "served"), ("section", "eta")))
    both = samples((await scraper.metrics.exposition()).decode())
    assert both[eta_served] == 6
    assert both[("northgate_gate_concurrency_limit", ())] == 2 * limit

    first = workers[0]
    assert first.stdin is not None
    first.stdin.close()
    for _ in range(1000):  # it exits as soon as its input closes
        if first.poll() is not None:
            break
        await asyncio.sleep(0.01)
    one = samples((await scraper.metrics.exposition()).decode())
    # The gone worker's requests were counted; its limit is no longer there.
    assert one[eta_served] == 6
    assert one[("northgate_gate_concurrency_limit", ())] == limit
    assert processes.forget_dead_workers(metrics_directory) == []  # already forgotten
    await scraper.aclose()


def test_a_run_gets_its_own_directory_removed_afterwards(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(processes.ENVIRONMENT, raising=False)
    with processes.per_run_directory() as made:
        assert os.environ[processes.ENVIRONMENT] == str(made) and made.is_dir()
        (made / "counter_1.db").write_bytes(b"")
    assert not made.exists() and processes.ENVIRONMENT not in os.environ


def test_an_operators_directory_is_kept_and_emptied(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(processes.ENVIRONMENT, str(tmp_path / "run"))
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "counter_99.db").write_bytes(b"stale")
    with processes.per_run_directory() as chosen:
        assert chosen == tmp_path / "run" and list(chosen.iterdir()) == []
    assert chosen.is_dir()
