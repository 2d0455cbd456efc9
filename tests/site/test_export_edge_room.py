"""`northgate export-static` writes the waiting room for the nginx edge: the same page as
the Python room's, in both languages, with the slots the edge fills per poll."""

from __future__ import annotations

from pathlib import Path

from northgate.core.lang import LANGUAGES
from northgate.edge.gate.room import SLOTS, render_html
from northgate.site.export import EDGE_DIR, export_site
from northgate.site.render import build_site
from tests.conftest import NODE_MODULES


def test_the_waiting_room_is_exported_with_its_slots(tmp_path: Path) -> None:
    site = build_site(node_modules=NODE_MODULES, public_origin="http://testserver")
    written = export_site(site, tmp_path)
    pages = render_html(site.assets)
    for lang in LANGUAGES:
        path = tmp_path / EDGE_DIR / f"waiting.{lang}.html"
        assert path in written
        html = path.read_text()
        assert html == pages[(lang, False)]
        assert f'lang="{lang}"' in html
        for slot in ("PLACE", "WAIT", "REFRESH", "URL", "OTHER", "KEEP"):
            assert f"@@{slot}@@" in html and slot in SLOTS
        assert "<script" not in html
