"""The edge's Lua spells no path of the route table: it reads the route map that
`northgate edge-keys` generates from the table, so a renamed route cannot leave the edge
keeping the wrong addresses in line (tests/core/test_routes_served.py does the same for
the nginx example's locations)."""

from __future__ import annotations

import re
from pathlib import Path

from northgate.core.routes import ROUTES
from northgate.edge.gate.edge_config import lua_pattern, route_map

LUA = Path(__file__).resolve().parents[3] / "deploy" / "nginx" / "lua"


def test_no_route_path_is_spelled_in_the_edges_lua() -> None:
    sources = {path: path.read_text() for path in LUA.rglob("*.lua")}
    assert len(sources) >= 8
    spelled = []
    for route in ROUTES:
        for path in route.paths.values():
            # Every path but "/" and the language homes' bare "/fr/" (no route has a
            # shorter first segment): quoted, as a Lua string would hold it.
            for source_path, text in sources.items():
                if re.search(rf"[\"']{re.escape(path)}[\"'/]", text) and len(path) > 4:
                    spelled.append((source_path.name, path))
    assert spelled == []


def test_the_route_map_covers_every_route_of_the_table() -> None:
    mapped = route_map()
    names = {entry["name"] for entry in mapped["exact"].values()}
    names |= {entry[1]["name"] for entry in mapped["templated"]}
    names |= {entry["name"] for entry in mapped["areas"].values()}
    assert names == {route.name for route in ROUTES}


def test_templated_paths_become_anchored_lua_patterns() -> None:
    assert lua_pattern("/en/eta/apply/{slug}") == "^/en/eta/apply/[^/]+$"
    assert lua_pattern("/sandbox-pay/{id}.{ext}") == "^/sandbox%-pay/[^/]+%.[^/]+$"
