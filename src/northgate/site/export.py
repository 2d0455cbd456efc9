"""Write the information site as files for nginx or a CDN to serve without Python.

Each page becomes ``<path>/index.html`` (pages have sub-pages, so a page is a directory);
files get the site's Last-Modified as their mtime, a ``.gz`` twin for ``gzip_static``, and
``_headers`` / ``headers.json`` list the exact headers the application would have sent.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from northgate.core import routes
from northgate.edge.gate.room import render_html
from northgate.site.render import Site
from northgate.ui.cached import CachedResponse, http_date

INDEX = "index.html"
EDGE_DIR = "_edge"
_ASSETS = routes.path("site.assets") + "/"


def file_path_for(url_path: str) -> str:
    """``/en/eta`` → ``en/eta/index.html``; ``/robots.txt`` → ``robots.txt``."""
    relative = url_path.lstrip("/")
    if url_path.endswith("/"):
        return relative + INDEX
    if url_path.startswith(_ASSETS) or "." in relative.rsplit("/", 1)[-1]:
        return relative
    return f"{relative}/{INDEX}"


def export_site(site: Site, target: Path) -> list[Path]:
    written: list[Path] = []
    manifest: dict[str, dict[str, str]] = {}
    for url_path, cached in sorted(site.responses.items()):
        written.extend(_write(target / file_path_for(url_path), cached))
        manifest[url_path] = _header_map(cached)
    # Error pages for nginx's error_page: shown even when every application node is down.
    for (status, lang), cached in site.errors.items():
        written.extend(_write(target / "errors" / f"{status}.{lang}.html", cached))
    # The waiting room for the nginx edge (deploy/nginx/lua), slots left to fill per poll.
    # Not an address of the site: nginx reads the files, it does not serve them.
    for (lang, prequeue), html in render_html(site.assets).items():
        if not prequeue:
            path = target / EDGE_DIR / f"waiting.{lang}.html"
            path.parent.mkdir(parents=True, exist_ok=True)
            written.append(_replace(path, html.encode(), site.last_modified.timestamp()))
    (target / "headers.json").write_text(json.dumps(manifest, indent=2, sort_keys=True))
    (target / "_headers").write_text(_netlify_style_headers(manifest))
    written += [target / "headers.json", target / "_headers"]
    return written


def _write(path: Path, cached: CachedResponse) -> list[Path]:
    path.parent.mkdir(parents=True, exist_ok=True)
    mtime = cached.last_modified.timestamp()
    written = [_replace(path, cached.body, mtime)]
    if cached.gzipped is not None:
        written.append(_replace(path.with_name(path.name + ".gz"), cached.gzipped, mtime))
    return written


def _replace(path: Path, body: bytes, mtime: float) -> Path:
    """Write ``path`` whole or not at all: a release exports over the directory nginx is
    serving from, and a reader must get the old file or the new one, never half of one."""
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_bytes(body)
    os.utime(temporary, (mtime, mtime))
    os.replace(temporary, path)
    return path


def _header_map(cached: CachedResponse) -> dict[str, str]:
    return {
        "Content-Type": cached.content_type,
        "Cache-Control": cached.cache_control,
        "ETag": cached.etag,
        "Last-Modified": http_date(cached.last_modified),
    }


def _netlify_style_headers(manifest: dict[str, dict[str, str]]) -> str:
    blocks = []
    for url_path, headers in manifest.items():
        lines = [url_path] + [f"  {name}: {value}" for name, value in headers.items()]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"
