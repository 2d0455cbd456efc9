"""`northgate export-static` over the directory nginx serves, as every release does
(deploy/systemd/northgate-export-static.service, `make static`)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from northgate.site.export import export_site
from northgate.site.render import Site, build_site
from tests.conftest import NODE_MODULES


@pytest.fixture(scope="module")
def site() -> Site:
    return build_site(node_modules=NODE_MODULES, public_origin="https://northgate.example")


def test_a_release_replaces_files_whole(site: Site, tmp_path: Path) -> None:
    """A reader that opened a file before the release (nginx sending it) keeps the old
    file to the end; the path gives the new one. Writing in place would change the bytes
    under that reader, who could send half of each."""
    export_site(site, tmp_path)
    page = tmp_path / "en" / "eta" / "index.html"
    new = page.read_bytes()
    page.write_bytes(b"the previous release")
    held = tmp_path / "held-by-a-reader"
    os.link(page, held)  # the same file, as an open descriptor would hold it

    export_site(site, tmp_path)

    assert page.read_bytes() == new
    assert held.read_bytes() == b"the previous release"
    assert not list(tmp_path.rglob("*.tmp"))


def test_a_release_keeps_the_previous_assets(site: Site, tmp_path: Path) -> None:
    """Pages cached before the release still name the previous fingerprinted assets."""
    old_asset = tmp_path / "assets" / "0000000000" / "site.css"
    old_asset.parent.mkdir(parents=True)
    old_asset.write_text("body{}")
    export_site(site, tmp_path)
    assert old_asset.read_text() == "body{}"
