"""Shared fixtures: real PostgreSQL and Redis servers, migrated databases, the app, a server."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import httpx
import pytest

from northgate.app import create_app
from northgate.core.asgi import ASGIApp
from northgate.settings import Settings
from northgate.storage.db import Database
from northgate.storage.migrate import upgrade
from tests.support import tiers
from tests.support.live import LiveServer, start_server
from tests.support.servers import PostgresServer, RedisServer

REPO = Path(__file__).resolve().parent.parent
NODE_MODULES = REPO / "node_modules"


@pytest.fixture(autouse=True)
def _no_northgate_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Settings come from each test, never from variables an earlier test (or the
    developer's shell) left in the environment: the CLI exports its flags there."""
    for name in list(os.environ):
        if name.startswith("NORTHGATE_"):
            monkeypatch.delenv(name)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    server = PostgresServer()
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture
def outage_postgres() -> Iterator[PostgresServer]:
    """A PostgreSQL server of the test's own, for tests that stop it and start it again."""
    server = PostgresServer()
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer()
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A freshly migrated database on each backend: every storage test runs on both."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'northgate.db'}"
    else:
        server: PostgresServer = request.getfixturevalue("postgres_server")
        url = server.create_database(f"t_{uuid.uuid4().hex[:12]}")
    upgrade(url)
    return url


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    """The application's connection to that database, closed afterwards."""
    database = Database(database_url)
    try:
        yield database
    finally:
        await database.close()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'northgate.db'}"
    upgrade(url)
    return url


@pytest.fixture
def make_settings(tmp_path: Path) -> Callable[..., Settings]:
    def make(**overrides: object) -> Settings:
        values: dict[str, object] = {"var_dir": tmp_path / "var", "node_modules": NODE_MODULES}
        values.update(overrides)
        return Settings(**values)  # type: ignore[arg-type]

    return make


@pytest.fixture
def app(make_settings: Callable[..., Settings], sqlite_url: str) -> ASGIApp:
    return create_app(make_settings(database_url=sqlite_url))


@pytest.fixture
async def client(app: ASGIApp) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """`northgate serve` in a real server process, for tests that need real HTTP parsing."""
    server = start_server(tmp_path_factory.mktemp("live"))
    try:
        yield server
    finally:
        server.stop()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """A skipped test is a failed test here: integration tests run against real servers
    or not at all, and "not at all" must not look green."""
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None or exitstatus != 0:
        return
    skipped = reporter.stats.get("skipped", [])
    if skipped:
        reporter.write_line(f"{len(skipped)} test(s) skipped: failing the run", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


# --- Test tiers: `make test-fast` runs what is not marked `servers` (tests/support/tiers.py) --


def pytest_configure(config: pytest.Config) -> None:
    tiers.install()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    tiers.mark_server_tests(items)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    with tiers.running(item):
        yield
