"""Two tiers of tests: the fast tier (`make test-fast`) and the tests that need servers.

A test needs servers when it starts, or has started for it, a real PostgreSQL, Redis,
SMTP server, nginx, Chromium or application server, or any other process. Such a test
carries the ``servers`` marker, so that ``pytest -m "not servers"`` runs everything else
in seconds with nothing installed but the virtualenv.

The marker is worked out at collection, so that a test is not left to be marked by hand:

- a fixture in the test's closure starts a server (``SERVER_FIXTURES``);
- the test is marked ``postgres``, ``redis`` or ``nginx`` (they already say so);
- the test function, or a fixture in its closure, calls a server launcher
  (``LAUNCHERS``) or asks for a server fixture by name (``request.getfixturevalue``).
  Such a fixture usually does so for some of its parameters only (``["memory",
  "redis"]``): when the test has fixture parameters, only those naming a server
  (``SERVER_WORDS``) are marked.

What collection cannot see (a launcher behind a helper of another name) is caught when
the test runs: :func:`install` makes starting a process, forking, or starting a test
SMTP server fail with a clear error in any test without the marker, in every run. A test
cannot quietly start a server in the fast tier, nor be quietly left out of it.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from inspect import unwrap
from types import CodeType
from typing import Any

import pytest

MARKER = "servers"

# Fixtures that start a server (or the browser) when a test asks for them.
SERVER_FIXTURES = frozenset(
    {"postgres_server", "outage_postgres", "redis_server", "live_server", "smtp_server"}
)
# Markers the suite had before the tiers, each naming the server a test runs against.
SERVER_MARKERS = frozenset({"postgres", "redis", "nginx"})
# Names whose call starts a server or a process (tests/support, tests/notify/smtp.py,
# subprocess, multiprocessing, Playwright).
LAUNCHERS = frozenset(
    {
        "start_server",
        "run_northgate",
        "PostgresServer",
        "RedisServer",
        "SmtpServer",
        "subprocess",
        "multiprocessing",
        "sync_playwright",
        "async_playwright",
    }
)
# Fixture parameters that name a server: "redis", "postgresql", "fallback-redis-up", "smtp".
SERVER_WORDS = ("postgres", "redis", "smtp", "nginx", "chromium")


class ServersNotMarked(RuntimeError):
    """A test without the ``servers`` marker tried to start a server or a process."""


def _names(code: CodeType) -> Iterator[str]:
    """Global and attribute names and string constants a function's code uses, nested
    functions (closures, lambdas) included."""
    yield from code.co_names
    for constant in code.co_consts:
        if isinstance(constant, CodeType):
            yield from _names(constant)
        elif isinstance(constant, str):
            yield constant


def _starts_servers(function: object) -> bool:
    code = getattr(unwrap(function), "__code__", None)  # type: ignore[arg-type]
    if code is None:
        return False
    names = set(_names(code))
    return bool(names & LAUNCHERS or names & SERVER_FIXTURES)


def _fixture_functions(item: pytest.Function) -> Iterable[object]:
    # The fixture definitions pytest resolved for this test (the last one is the one used,
    # as with overriding conftests). _fixtureinfo has no public equivalent.
    for definitions in item._fixtureinfo.name2fixturedefs.values():
        if definitions:
            yield definitions[-1].func


def needs_servers(item: pytest.Item) -> bool:
    if any(item.iter_markers(name=MARKER)):
        return True
    if any(item.get_closest_marker(name) for name in SERVER_MARKERS):
        return True
    if not isinstance(item, pytest.Function):
        return False
    if SERVER_FIXTURES & set(item.fixturenames):
        return True
    if _starts_servers(item.obj):
        return True
    if not any(_starts_servers(function) for function in _fixture_functions(item)):
        return False
    # A fixture that starts a server for some of its parameters: the test needs servers
    # if one of its fixture parameters names one (or if it has none to say otherwise).
    callspec = getattr(item, "callspec", None)
    definitions = item._fixtureinfo.name2fixturedefs
    fixture_params = [
        value
        for name, value in (callspec.params.items() if callspec is not None else ())
        # Parameters of a fixture's own (``@pytest.fixture(params=…)``), not of the test.
        if name in definitions and definitions[name][-1].params is not None
    ]
    if not fixture_params:
        return True
    return any(
        isinstance(value, str) and any(word in value.lower() for word in SERVER_WORDS)
        for value in fixture_params
    )


def mark_server_tests(items: Iterable[pytest.Item]) -> None:
    for item in items:
        if needs_servers(item) and item.get_closest_marker(MARKER) is None:
            item.add_marker(MARKER)


# --- The guard -----------------------------------------------------------------------------

_running: pytest.Item | None = None


@contextmanager
def running(item: pytest.Item) -> Iterator[None]:
    """While ``item`` is set up, run and torn down, the guard holds it to its marker."""
    global _running
    _running = item
    try:
        yield
    finally:
        _running = None


def require_servers(what: str) -> None:
    """Fail unless the running test (if any) is marked ``servers``."""
    item = _running
    if item is None or item.get_closest_marker(MARKER) is not None:
        return
    raise ServersNotMarked(
        f"{item.nodeid} starts {what} but is not marked `{MARKER}`: the fast tier "
        f"(`make test-fast`) would start it too. Mark the test or its module "
        f"(`pytestmark = pytest.mark.{MARKER}`), or ask for the server by its fixture."
    )


class _GuardedPopen(subprocess.Popen[Any]):
    # subprocess.run, asyncio's subprocesses and Playwright's driver all start here.
    def __init__(self, args: Any, *rest: Any, **kwargs: Any) -> None:
        program = args if isinstance(args, str | bytes | os.PathLike) else next(iter(args), "")
        require_servers(f"a process ({os.fsdecode(program)})")
        super().__init__(args, *rest, **kwargs)


_real_fork = os.fork


def _guarded_fork() -> int:
    # multiprocessing's fork context forks here.
    require_servers("a forked process")
    return _real_fork()


def install() -> None:
    """Put the guard in front of every way the suite starts a process."""
    subprocess.Popen = _GuardedPopen  # type: ignore[misc]
    os.fork = _guarded_fork
