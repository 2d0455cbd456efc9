"""The edge's Lua, in a real nginx, reads every token format as the Python code does
(tests/vectors/tokens.json), and classifies requests by the same route table."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from northgate.edge.gate.edge_config import BYPASS, NEEDS_PASS, OPEN
from northgate.edge.gate.routes import classify
from tests.deploy.test_nginx import Nginx, edge_keys, running_nginx
from tests.support.servers import free_port
from tests.vectors import generate

pytestmark = pytest.mark.nginx

CHECKER = Path(__file__).with_name("check_vectors.lua")
VECTORS: dict[str, Any] = json.loads(generate.FILE.read_text())


@pytest.fixture(scope="module")
def lua(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Nginx, str]]:
    """The example configuration, plus a test server that runs the checker."""
    base = tmp_path_factory.mktemp("nginx-lua")
    site = base / "static"
    site.mkdir()
    keys = edge_keys(base / "edge-keys.json")
    port = free_port()
    server = f"""
    server {{
        listen 127.0.0.1:{port};
        set $northgate_vectors {generate.FILE};
        set $northgate_keys {keys};
        client_max_body_size 1m;
        client_body_buffer_size 1m;
        location / {{ content_by_lua_file {CHECKER}; }}
    }}"""
    with running_nginx(base, site, [free_port()], keys=keys, extra_http=server) as nginx:
        yield nginx, f"http://127.0.0.1:{port}"


def test_lua_reads_every_vector_as_python_does(lua: tuple[Nginx, str]) -> None:
    _, checker = lua
    answers = httpx.get(f"{checker}/vectors", timeout=10).json()
    by_case = {(a["kind"], a["name"]): a for a in answers}
    checked = 0
    for kind in ("pass", "place"):
        for case in VECTORS[kind]:
            answer = by_case[(kind, case["name"])]
            assert answer["ok"] == case["ok"], (kind, case["name"], answer)
            if case["ok"]:
                assert answer["fields"] == case["fields"], (kind, case["name"])
            else:
                assert answer["problem"] == case["problem"], (kind, case["name"], answer)
            checked += 1
    assert checked == len(VECTORS["pass"]) + len(VECTORS["place"])
    # A place signed by Lua is the very token Python signs.
    assert by_case[("place-signed", "waiting")]["token"] == VECTORS["place"][0]["token"]


def _python_treatment(method: str, path: str) -> int:
    gate = classify(method, path)
    if gate.klass == 0:
        return BYPASS
    return NEEDS_PASS if gate.needs_pass else OPEN


def test_lua_classifies_requests_as_the_gate_does(lua: tuple[Nginx, str]) -> None:
    from northgate.core.routes import ROUTES

    paths = {"/", "/nowhere", "/en/eta/apply/", "/en/eta/apply/a/b", "/api/v1/x/y"}
    for route in ROUTES:
        for path in route.paths.values():
            concrete = path.replace("{slug}", "email").replace("{application_id}", "A1")
            paths |= {concrete, concrete + "/", concrete + "/more", concrete.upper()}
    paths = {p.replace("{", "x").replace("}", "x") for p in paths}
    cases = [
        [method, path]
        for path in sorted(paths)
        for method in ("GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "TRACE")
    ]
    _, checker = lua
    answers = httpx.post(f"{checker}/routes", json=cases, timeout=10).json()
    expected = [_python_treatment(method, path) for method, path in cases]
    mismatches = [
        (case, got, want)
        for case, got, want in zip(cases, answers, expected, strict=True)
        if got != want
    ]
    assert mismatches == []
    assert {BYPASS, OPEN, NEEDS_PASS} <= set(expected)
