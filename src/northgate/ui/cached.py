"""A response rendered once and served as bytes, with validators for conditional requests.

Pure code: building the header lists happens once, at start-up; answering a request is a
dictionary look-up and, at most, a comparison of the request's validators.
"""

from __future__ import annotations

import gzip
import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from functools import lru_cache

Headers = list[tuple[bytes, bytes]]

# Information pages change only on deploy, but a deploy must reach readers within minutes;
# revalidation is a cheap 304. Fingerprinted assets never change under the same URL.
PAGE_CACHE_CONTROL = "public, max-age=300, stale-while-revalidate=60, stale-if-error=86400"
ASSET_CACHE_CONTROL = "public, max-age=31536000, immutable"

# Below this size gzip saves less than the header it adds.
_MIN_GZIP_BYTES = 512
_COMPRESSIBLE = ("text/", "application/javascript", "application/json", "image/svg+xml")


@dataclass(frozen=True)
class CachedResponse:
    body: bytes
    content_type: str
    last_modified: datetime
    cache_control: str = PAGE_CACHE_CONTROL
    status: int = 200
    extra_headers: tuple[tuple[str, str], ...] = ()
    etag: str = field(init=False)
    gzipped: bytes | None = field(init=False)

    def __post_init__(self) -> None:
        # HTTP dates have whole seconds: a validator echoed back must compare equal.
        object.__setattr__(self, "last_modified", self.last_modified.replace(microsecond=0))
        digest = hashlib.blake2b(self.body, digest_size=12).hexdigest()
        object.__setattr__(self, "etag", f'"{digest}"')
        compressible = self.content_type.startswith(_COMPRESSIBLE)
        gzipped = (
            gzip.compress(self.body, compresslevel=9, mtime=0)
            if compressible and len(self.body) >= _MIN_GZIP_BYTES
            else None
        )
        object.__setattr__(self, "gzipped", gzipped)

    @property
    def gzip_etag(self) -> str:
        """Each representation has its own strong validator (RFC 9110 section 8.8.3)."""
        return self.etag[:-1] + '-gz"'

    def _base_headers(self, *, gzipped: bool = False) -> Headers:
        headers = [
            (b"content-type", self.content_type.encode()),
            (b"etag", (self.gzip_etag if gzipped else self.etag).encode()),
            (b"last-modified", http_date(self.last_modified).encode()),
            (b"cache-control", self.cache_control.encode()),
        ]
        if self.gzipped is not None:
            headers.append((b"vary", b"Accept-Encoding"))
        headers.extend((name.encode(), value.encode()) for name, value in self.extra_headers)
        return headers

    def headers(self, *, gzipped: bool) -> Headers:
        gzipped = gzipped and self.gzipped is not None
        body = self.gzipped if gzipped and self.gzipped is not None else self.body
        headers = self._base_headers(gzipped=gzipped)
        if gzipped:
            headers.append((b"content-encoding", b"gzip"))
        headers.append((b"content-length", str(len(body)).encode()))
        return headers

    def not_modified_headers(self, *, gzipped: bool = False) -> Headers:
        return [h for h in self._base_headers(gzipped=gzipped) if h[0] != b"content-type"]

    def is_not_modified(self, if_none_match: bytes | None, if_modified_since: bytes | None) -> bool:
        """RFC 9110 section 13.2.2: If-None-Match wins; If-Modified-Since only without it."""
        if if_none_match is not None:
            return etag_matches(self.etag, if_none_match) or (
                self.gzipped is not None and etag_matches(self.gzip_etag, if_none_match)
            )
        if if_modified_since is not None:
            since = parse_http_date(if_modified_since)
            return since is not None and self.last_modified <= since
        return False


def etag_matches(etag: str, if_none_match: bytes) -> bool:
    """Weak comparison, as If-None-Match requires; tolerant of malformed lists."""
    try:
        text = if_none_match.decode("latin-1")
    except UnicodeDecodeError:  # pragma: no cover - latin-1 decodes every byte
        return False
    for candidate in text.split(","):
        tag = candidate.strip()
        if tag == "*":
            return True
        if tag.startswith("W/"):
            tag = tag[2:]
        if tag == etag:
            return True
    return False


def http_date(moment: datetime) -> str:
    return format_datetime(moment.astimezone(UTC).replace(microsecond=0), usegmt=True)


def parse_http_date(value: bytes) -> datetime | None:
    try:
        parsed = parsedate_to_datetime(value.decode("latin-1"))
    except (TypeError, ValueError, IndexError):
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


@lru_cache(maxsize=256)
def accepts_gzip(accept_encoding: bytes | None) -> bool:
    """True when gzip has a quality above zero: named explicitly, or else through ``*``."""
    if not accept_encoding:
        return False
    qualities: dict[str, float] = {}
    for item in accept_encoding.decode("latin-1").lower().split(","):
        coding, _, params = item.partition(";")
        qualities.setdefault(coding.strip(), _quality(params))
    return qualities.get("gzip", qualities.get("*", 0.0)) > 0


def _quality(params: str) -> float:
    for param in params.split(";"):
        name, _, value = param.strip().partition("=")
        if name.strip() == "q":
            try:
                return float(value)
            except ValueError:
                return 0.0
    return 1.0
