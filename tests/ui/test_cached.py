"""Validators, conditional requests and compression of a pre-rendered response (pure code)."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from northgate.ui.cached import (
    CachedResponse,
    accepts_gzip,
    etag_matches,
    http_date,
    parse_http_date,
)

MODIFIED = datetime(2025, 3, 14, 15, 9, 26, tzinfo=UTC)
LARGE_HTML = ("<p>Electronic Travel Authorization</p>\n" * 100).encode()


def html(body: bytes = LARGE_HTML) -> CachedResponse:
    return CachedResponse(body, "text/html; charset=utf-8", MODIFIED)


def header_map(headers: list[tuple[bytes, bytes]]) -> dict[bytes, bytes]:
    names = [name for name, _ in headers]
    assert len(names) == len(set(names)), f"duplicate headers: {names}"
    return dict(headers)


# --- ETag matching -------------------------------------------------------------------------


ETAG = '"abc123"'


@pytest.mark.parametrize(
    "if_none_match",
    [
        b'"abc123"',
        b'W/"abc123"',
        b'"other", "abc123"',
        b'"other",W/"abc123" , "third"',
        b"*",
        b' "abc123" ',
    ],
)
def test_etag_matches(if_none_match: bytes) -> None:
    assert etag_matches(ETAG, if_none_match)


@pytest.mark.parametrize(
    "if_none_match",
    [b'"abc124"', b"abc123", b'"other", "x"', b"", b",,,", b'W/"abc12"', b'"abc123', b"\xff\xfe"],
)
def test_etag_does_not_match(if_none_match: bytes) -> None:
    assert not etag_matches(ETAG, if_none_match)


def test_etag_is_strong_quoted_and_depends_on_the_body() -> None:
    first, second = html(b"one"), html(b"two")
    assert first.etag.startswith('"') and first.etag.endswith('"')
    assert not first.etag.startswith("W/")
    assert first.etag != second.etag
    assert html(b"one").etag == first.etag


# --- If-None-Match and If-Modified-Since ---------------------------------------------------


def test_no_validators_is_not_a_304() -> None:
    assert not html().is_not_modified(None, None)


def test_if_none_match_takes_precedence_over_if_modified_since() -> None:
    response = html()
    fresh_date = http_date(MODIFIED).encode()
    stale_date = http_date(MODIFIED - timedelta(days=1)).encode()
    # A non-matching ETag wins over a date that alone would give a 304.
    assert not response.is_not_modified(b'"stale"', fresh_date)
    # A matching ETag wins over a date that alone would give a 200.
    assert response.is_not_modified(response.etag.encode(), stale_date)


@pytest.mark.parametrize(
    ("since", "not_modified"),
    [
        (MODIFIED, True),
        (MODIFIED + timedelta(seconds=1), True),
        (MODIFIED + timedelta(days=30), True),
        (MODIFIED - timedelta(seconds=1), False),
        (MODIFIED - timedelta(days=365), False),
    ],
    ids=["equal", "newer-by-1s", "newer-by-30d", "older-by-1s", "older-by-1y"],
)
def test_if_modified_since(since: datetime, not_modified: bool) -> None:
    assert html().is_not_modified(None, http_date(since).encode()) is not_modified


def test_if_modified_since_echoing_last_modified_is_a_304_despite_sub_second_times() -> None:
    """A client echoes the Last-Modified it was sent, which has whole seconds only."""
    response = CachedResponse(LARGE_HTML, "text/html", MODIFIED.replace(microsecond=500_000))
    last_modified = header_map(response.headers(gzipped=False))[b"last-modified"]
    assert response.is_not_modified(None, last_modified)


@pytest.mark.parametrize(
    "value",
    [
        b"",
        b"yesterday",
        b"Fri, 32 Mar 2025 15:09:26 GMT",
        b"Fri, 14 Mar 99999 15:09:26 GMT",
        b"Fri, 14 Mar 2025 15:09:26 +9999",
        b"\xff\xfe\x00",
        b"0",
        b"-1",
        b"Fri, 14 Mar 2025 25:61:61 GMT",
    ],
)
def test_malformed_if_modified_since_is_ignored(value: bytes) -> None:
    assert parse_http_date(value) is None
    assert not html().is_not_modified(None, value)


@pytest.mark.parametrize(
    "value",
    [
        b"Fri, 14 Mar 2025 15:09:26 GMT",  # IMF-fixdate
        b"Friday, 14-Mar-25 15:09:26 GMT",  # obsolete RFC 850
        b"Fri Mar 14 15:09:26 2025",  # obsolete asctime
    ],
)
def test_all_three_http_date_formats_are_understood(value: bytes) -> None:
    assert parse_http_date(value) == MODIFIED


def test_http_date_is_imf_fixdate_in_gmt() -> None:
    assert http_date(MODIFIED) == "Fri, 14 Mar 2025 15:09:26 GMT"
    eastern = MODIFIED.astimezone(ZoneInfo("America/Toronto"))
    assert http_date(eastern) == "Fri, 14 Mar 2025 15:09:26 GMT"


def test_not_modified_headers_keep_validators_and_drop_the_entity_headers() -> None:
    response = html()
    headers = header_map(response.not_modified_headers())
    assert headers[b"etag"] == response.etag.encode()
    assert headers[b"last-modified"] == http_date(MODIFIED).encode()
    assert headers[b"cache-control"] == response.cache_control.encode()
    assert headers[b"vary"] == b"Accept-Encoding"
    assert b"content-type" not in headers
    assert b"content-length" not in headers


# --- Accept-Encoding -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("accept_encoding", "expected"),
    [
        (None, False),
        (b"", False),
        (b"gzip", True),
        (b"GZIP", True),
        (b"gzip, deflate, br", True),
        (b"br, gzip;q=0.5", True),
        (b"gzip; q=0.5", True),
        (b"gzip;q=1.0", True),
        (b"gzip;q=0", False),
        (b"gzip;q=0.000", False),
        (b"*", True),
        (b"*;q=0", False),
        (b"br, *", True),
        (b"gzip;q=0, *", False),
        # RFC 9110 section 12.5.3: "*" only covers codings not listed explicitly.
        (b"*, gzip;q=0", False),
        (b"*;q=0, gzip", True),
        (b"identity", False),
        (b"deflate, br", False),
        (b"gzip;q=abc", False),
        (b"gzip;q=", False),
        (b"gzip;q=nan", False),
        (b",,;;==", False),
        (b"\xff\xfe", False),
    ],
)
def test_accepts_gzip(accept_encoding: bytes | None, expected: bool) -> None:
    assert accepts_gzip(accept_encoding) is expected


# --- Body variants -------------------------------------------------------------------------


def test_gzip_body_decompresses_to_the_body() -> None:
    response = html()
    assert response.gzipped is not None
    assert len(response.gzipped) < len(response.body)
    assert gzip.decompress(response.gzipped) == response.body


def test_gzip_is_deterministic() -> None:
    assert html().gzipped == html().gzipped


@pytest.mark.parametrize("gzipped", [False, True])
def test_content_length_matches_the_body_sent(gzipped: bool) -> None:
    response = html()
    headers = header_map(response.headers(gzipped=gzipped))
    body = response.gzipped if gzipped else response.body
    assert body is not None
    assert headers[b"content-length"] == str(len(body)).encode()
    assert headers[b"content-type"] == b"text/html; charset=utf-8"
    assert headers[b"vary"] == b"Accept-Encoding"
    assert (headers.get(b"content-encoding") == b"gzip") is gzipped


def test_tiny_and_binary_bodies_are_not_compressed() -> None:
    tiny = html(b"<p>hi</p>")
    binary = CachedResponse(b"\x00" * 4096, "font/woff2", MODIFIED)
    for response in (tiny, binary):
        assert response.gzipped is None
        headers = header_map(response.headers(gzipped=True))
        assert b"content-encoding" not in headers
        assert b"vary" not in headers
        assert headers[b"content-length"] == str(len(response.body)).encode()


def test_each_representation_has_its_own_etag_and_either_validates() -> None:
    cached = CachedResponse(b"x" * 4096, "text/html; charset=utf-8", _MOMENT_FOR_REPRESENTATIONS)
    plain = dict(cached.headers(gzipped=False))[b"etag"].decode()
    compressed = dict(cached.headers(gzipped=True))[b"etag"].decode()
    assert plain != compressed
    assert cached.is_not_modified(plain.encode(), None)
    assert cached.is_not_modified(compressed.encode(), None)
    assert not cached.is_not_modified(b'"other"', None)


_MOMENT_FOR_REPRESENTATIONS = datetime(2026, 11, 8, 23, 0, tzinfo=UTC)
