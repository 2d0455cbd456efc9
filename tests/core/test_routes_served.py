"""Everything the portal serves is in the route table: every route the web application
registers, every address the pre-rendered site answers and the gate's own endpoints."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.routing import iter_route_contexts

from northgate.app import create_web_app
from northgate.composition import build
from northgate.core.routes import ROUTES, TABLE
from northgate.edge.gate import admin
from northgate.settings import Settings
from northgate.site.render import Site, build_site
from tests.conftest import NODE_MODULES

# Catch-alls that are the right home for what they hold: versioned asset files.
AREAS_THAT_SERVE = {"site.assets"}


@pytest.fixture(scope="module")
def site() -> Site:
    return build_site(node_modules=NODE_MODULES, public_origin="http://testserver")


def registered_paths(make_settings: Callable[..., Settings], sqlite_url: str) -> set[str]:
    app = create_web_app(build(make_settings(database_url=sqlite_url)))
    # Routers included in the application are walked into (FastAPI keeps them nested).
    return {route.path for route in iter_route_contexts(app.routes) if route.path is not None}


def test_every_route_the_application_registers_is_in_the_table(
    make_settings: Callable[..., Settings], sqlite_url: str
) -> None:
    table_paths = {path for route in ROUTES for path in route.paths.values()}
    served = registered_paths(make_settings, sqlite_url)
    assert {"/healthz", "/en/eta/apply/{slug}", "/api/v1/status"} <= served
    assert served - table_paths == set()


def test_every_address_the_site_serves_is_named_by_the_table(site: Site) -> None:
    unnamed = []
    for address in site.addresses():
        # A trailing-slash alias redirects to its page: either form names the page.
        forms = (address, address.rstrip("/") or "/", address.rstrip("/") + "/")
        found = [route for form in forms if (route := TABLE.find(form)) is not None]
        if not any(route.match != "below" or route.name in AREAS_THAT_SERVE for route in found):
            unnamed.append(address)
    assert unnamed == []


def test_every_information_page_is_served_and_counted_as_information(site: Site) -> None:
    for route in ROUTES:
        if route.name.startswith("page."):
            for path in route.paths.values():
                assert path in site.responses
                assert route.section == "information"


def test_the_gates_own_endpoints_are_in_the_table() -> None:
    for path in (admin.PREFIX, admin.LIMITS, admin.RESET):
        route = TABLE.find(path)
        assert route is not None and route.path() == path


NGINX_EXAMPLE = Path(__file__).resolve().parents[2] / "deploy" / "nginx" / "northgate.conf"


def test_the_paths_the_nginx_example_names_are_in_the_table() -> None:
    """The example configuration is written by hand: a path renamed in the table must not
    leave nginx answering for an address that no longer exists."""
    config = NGINX_EXAMPLE.read_text()
    probes = re.search(r"location ~ \^/\(\?:([a-z/|]+)\)\$", config)
    assert probes is not None
    named = [f"/{name}" for name in probes.group(1).split("|")]
    named += re.findall(r"location = (/[a-z.]+) \{", config)
    named += [path.rstrip("/") for path in re.findall(r"location (/[a-z]+/) \{", config)]
    assert {"/healthz", "/api/docs", "/robots.txt", "/assets"} <= set(named)
    table_paths = {path for route in ROUTES for path in route.paths.values()}
    assert set(named) - table_paths == set()
