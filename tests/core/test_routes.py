"""The route table: every route has a gate class and a section, the gate and analytics
classify every table path as the table says, and no path is spelled anywhere else."""

from __future__ import annotations

import ast
import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType

import pytest

from northgate.analytics.capture.sections import SectionClassifier
from northgate.core import routes
from northgate.core.lang import LANGUAGES, Lang
from northgate.core.routes import ROUTES, TABLE
from northgate.core.routing import SECTIONS, GateClass, Route, RouteTable
from northgate.edge.gate.routes import ANY, classify

SRC = Path(routes.__file__).resolve().parents[1]
ROUTES_SOURCE = Path(routes.__file__).resolve()


def sample(route: Route, lang: Lang) -> str:
    """A request path that belongs to ``route``: its own path, parameters filled in, or for a
    catch-all, something under it that no other route names."""
    path = re.sub(r"\{[^}/]+\}", "x-sample", route.paths[lang])
    return path + "/x-sample" if route.match == "below" else path


CASES = [(route, lang) for route in ROUTES for lang in LANGUAGES]
IDS = [f"{route.name}-{lang}" for route, lang in CASES]


def test_names_are_unique_and_paths_absolute() -> None:
    assert len({route.name for route in ROUTES}) == len(ROUTES)
    for route in ROUTES:
        assert set(route.paths) == set(LANGUAGES), route.name
        assert all(path.startswith("/") for path in route.paths.values()), route.name


@pytest.mark.parametrize("route", ROUTES, ids=[route.name for route in ROUTES])
def test_every_route_has_a_gate_class_and_a_section(route: Route) -> None:
    assert route.section in SECTIONS
    for gate in (route.gate, route.reads, route.writes):
        if gate is not None:
            assert isinstance(gate.klass, GateClass)
            assert isinstance(gate.needs_pass, bool)


@pytest.mark.parametrize(("route", "lang"), CASES, ids=IDS)
def test_each_path_finds_its_own_route(route: Route, lang: Lang) -> None:
    assert TABLE.find(sample(route, lang)) is route


@pytest.mark.parametrize(("route", "lang"), CASES, ids=IDS)
def test_the_gate_classifies_every_table_path_as_the_table_says(route: Route, lang: Lang) -> None:
    for method in ANY:
        assert classify(method, sample(route, lang)) == route.gate_for(method), method


@pytest.mark.parametrize(("route", "lang"), CASES, ids=IDS)
def test_analytics_count_every_table_path_in_its_section(route: Route, lang: Lang) -> None:
    assert SectionClassifier()(sample(route, lang)) == route.section


def test_a_path_the_table_does_not_name_is_ungated_information() -> None:
    assert TABLE.find("/en/no-such-page") is None
    assert classify("POST", "/en/no-such-page") == routes.BYPASS
    assert SectionClassifier()("/en/no-such-page") == "information"


def _string_constants(tree: ast.AST) -> list[tuple[int, str]]:
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    ]


def test_no_module_but_the_table_spells_a_public_path() -> None:
    # The language roots (/en/, /fr/) are the languages' convention (core.lang), not routes.
    roots = {"", *(f"/{lang}" for lang in LANGUAGES)}
    static = {
        path.rstrip("/")
        for route in ROUTES
        for path in route.paths.values()
        if "{" not in path and path.rstrip("/") not in roots
    }
    found = []
    for module in sorted(SRC.rglob("*.py")):
        if module == ROUTES_SOURCE:
            continue
        for line, value in _string_constants(ast.parse(module.read_text())):
            if any(value == path or value.startswith(path + "/") for path in static):
                found.append(f"{module.relative_to(SRC)}:{line}: {value!r}")
    assert found == []


def _table_with(monkeypatch: pytest.MonkeyPatch, tmp: Path, old: str, new: str) -> ModuleType:
    """The table as it would be with one literal of northgate/core/routes.py edited."""
    source = ROUTES_SOURCE.read_text()
    assert source.count(old) == 1, f"{old} is written {source.count(old)} times"
    edited = tmp / "renamed_routes.py"
    edited.write_text(source.replace(old, new))
    spec = importlib.util.spec_from_file_location("renamed_routes", edited)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)  # dataclasses look it up
    spec.loader.exec_module(module)
    return module


def test_a_renamed_slug_changes_in_one_place_and_stays_gated(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    renamed = _table_with(monkeypatch, tmp_path, '"status", "etat"', '"status", "statut"')
    table: RouteTable = renamed.TABLE
    assert renamed.path("eta.status", "fr") == "/fr/ave/statut"
    assert renamed.path("eta.resend", "fr") == "/fr/ave/statut/renvoyer"
    for path, name in [("/fr/ave/statut", "eta.status"), ("/fr/ave/statut/renvoyer", "eta.resend")]:
        route = table.find(path)
        assert route is not None and route.name == name
        assert classify("POST", path, table) == renamed.LOOK_UP
        assert SectionClassifier(table=table)(path) == "status"
    # The old address names nothing any more: an unknown journey address.
    gone = table.find("/fr/ave/etat")
    assert gone is not None and gone.name == "eta.other"


def test_renaming_the_journey_base_moves_the_journey_and_its_pages(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    renamed = _table_with(monkeypatch, tmp_path, '"eta", "fr": "ave"', '"eta", "fr": "aved"')
    assert renamed.path("page.eta", "fr") == "/fr/aved"
    assert renamed.path("page.eta-who-needs", "fr") == "/fr/aved/qui-doit-obtenir-une-ave"
    assert renamed.path("eta.pay", "fr") == "/fr/aved/demande/paiement"
    assert classify("POST", "/fr/aved/demande/paiement", renamed.TABLE) == renamed.COMMIT
