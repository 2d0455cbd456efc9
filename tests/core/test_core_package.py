"""The core stays the core: it imports no other Northgate package, and what it names once
is not spelled again elsewhere."""

from __future__ import annotations

import ast
from datetime import UTC, datetime, timedelta
from pathlib import Path

import northgate
from northgate.core.lang import language_of_path
from northgate.core.zone import SERVICE_TIMEZONE, SERVICE_TIMEZONE_NAME

SRC = Path(northgate.__file__).parent
CORE = SRC / "core"


def _imported(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def test_the_core_imports_no_other_northgate_package() -> None:
    outside = {
        f"{path.name}: {name}"
        for path in CORE.rglob("*.py")
        for name in _imported(path)
        if (name == "northgate" or name.startswith("northgate."))
        and not name.startswith("northgate.core")
    }
    assert not outside


def test_the_service_time_zone_is_spelled_once() -> None:
    spelled = [
        path.relative_to(SRC).as_posix()
        for path in SRC.rglob("*.py")
        if SERVICE_TIMEZONE_NAME in path.read_text(encoding="utf-8")
    ]
    assert spelled == ["core/zone.py"]


def test_the_service_time_zone_is_eastern_time() -> None:
    assert datetime(2031, 1, 15, tzinfo=UTC).astimezone(SERVICE_TIMEZONE).utcoffset() == (
        timedelta(hours=-5)
    )


def test_the_language_of_a_path() -> None:
    assert language_of_path("/fr") == "fr"
    assert language_of_path("/fr/eta/statut") == "fr"
    assert language_of_path("/en/eta/status") == "en"
    assert language_of_path("/") == "en"
    assert language_of_path("/french") == "en"
