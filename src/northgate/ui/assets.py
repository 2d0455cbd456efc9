"""Static assets: our stylesheet plus the GC Design System tokens and fonts from npm.

Everything is read once at start-up, bundled where that saves requests, and served under
``/assets/<version>/`` where the version is a hash of all asset bytes: URLs are immutable,
so browsers and CDNs may cache them for a year, and a deploy changes every URL at once.
"""

from __future__ import annotations

import hashlib
import logging
import mimetypes
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from northgate.core import routes
from northgate.ui.cached import ASSET_CACHE_CONTROL, CachedResponse

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).parent / "static"
GCDS = "@gcds-core"
_FONT_FAMILIES = ("noto-sans", "lato")
_FONT_URL = re.compile(r'url\("path/to/file/([^"]+)"\)')

mimetypes.add_type("font/woff2", ".woff2")
mimetypes.add_type("font/woff", ".woff")


@dataclass(frozen=True)
class AssetBundle:
    version: str
    files: Mapping[str, bytes]

    def url(self, name: str) -> str:
        if name not in self.files:
            raise KeyError(f"unknown asset {name!r}")
        return f"{routes.path('site.assets')}/{self.version}/{name}"

    def responses(self, last_modified: datetime) -> dict[str, CachedResponse]:
        responses = {}
        for name, body in self.files.items():
            content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
            if content_type.startswith("text/"):
                content_type += "; charset=utf-8"
            responses[self.url(name)] = CachedResponse(
                body=body,
                content_type=content_type,
                last_modified=last_modified,
                cache_control=ASSET_CACHE_CONTROL,
            )
        return responses


def load_assets(node_modules: Path) -> AssetBundle:
    files: dict[str, bytes] = {}
    stylesheet_parts: list[bytes] = []
    gcds = node_modules / GCDS
    if gcds.is_dir():
        tokens = gcds / "tokens" / "build" / "web" / "css" / "tokens.css"
        stylesheet_parts.append(tokens.read_bytes())
        for family in _FONT_FAMILIES:
            font_dir = gcds / "fonts" / "fonts" / family
            css = (font_dir / f"gcds-{family}.css").read_text()
            stylesheet_parts.append(_FONT_URL.sub(r'url("fonts/\1")', css).encode())
            for font in font_dir.glob("*.woff*"):
                files[f"fonts/{font.name}"] = font.read_bytes()
    else:
        # The site stays usable (system fonts, our own colours) if `npm ci` was skipped.
        log.warning("GC Design System packages not found under %s; run `npm ci`", node_modules)
    stylesheet_parts.append((STATIC_DIR / "css" / "northgate.css").read_bytes())
    files["northgate.css"] = b"\n".join(stylesheet_parts)
    for path in sorted(STATIC_DIR.rglob("*")):
        relative = path.relative_to(STATIC_DIR).as_posix()
        if path.is_file() and relative != "css/northgate.css":
            files[relative] = path.read_bytes()
    digest = hashlib.blake2b(digest_size=6)
    for name in sorted(files):
        digest.update(name.encode())
        digest.update(files[name])
    return AssetBundle(version=digest.hexdigest(), files=files)


def newest_mtime(*directories: Path) -> datetime:
    """The newest modification time under ``directories``: a stable Last-Modified.

    Every worker computes the same value, unlike its start time, so caches behind a load
    balancer see one validator per page.
    """
    newest = 0.0
    for directory in directories:
        if directory.exists():
            for path in directory.rglob("*"):
                if path.is_file():
                    newest = max(newest, path.stat().st_mtime)
    return datetime.fromtimestamp(int(newest), UTC)
