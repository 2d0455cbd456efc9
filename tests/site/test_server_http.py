"""The pre-rendered site over HTTP, through the whole application (edge and web app)."""

from __future__ import annotations

import gzip
from xml.etree import ElementTree

import httpx
import pytest

from northgate.core.lang import LANGUAGES, Lang
from northgate.ui.cached import ASSET_CACHE_CONTROL, PAGE_CACHE_CONTROL
from northgate.ui.errors import ERROR_TEXTS
from northgate.ui.pages import PAGES, all_page_paths
from tests.support.html import Document, parse_html

HTML = "text/html; charset=utf-8"
PAGE_PATHS = [path for _, _, path in all_page_paths()]
NO_GZIP = {"accept-encoding": "identity"}
ORIGIN = "http://127.0.0.1:8000"  # the default public origin


def error_sections(document: Document) -> list[str]:
    return [
        section.attrs["lang"] for section in document.find_all("section") if "lang" in section.attrs
    ]


async def test_every_page_is_served_with_validators(client: httpx.AsyncClient) -> None:
    for path in PAGE_PATHS:
        response = await client.get(path, headers=NO_GZIP)
        assert response.status_code == 200, path
        assert response.headers["content-type"] == HTML
        assert response.headers["etag"].startswith('"')
        assert response.headers["last-modified"].endswith(" GMT")
        assert response.headers["cache-control"] == PAGE_CACHE_CONTROL
        assert int(response.headers["content-length"]) == len(response.content)
        assert "content-encoding" not in response.headers


async def test_every_page_answers_a_conditional_get_with_304(client: httpx.AsyncClient) -> None:
    for path in PAGE_PATHS:
        first = await client.get(path)
        etag = first.headers["etag"]
        again = await client.get(path, headers={"if-none-match": etag})
        assert again.status_code == 304, path
        assert again.content == b""
        assert again.headers["etag"] == etag
        assert again.headers["cache-control"] == PAGE_CACHE_CONTROL
        assert "content-type" not in again.headers


@pytest.mark.parametrize("variant", ["W/{}", '"nope", {}', "*"])
async def test_weak_listed_and_star_etags_give_304(client: httpx.AsyncClient, variant: str) -> None:
    etag = (await client.get("/fr/ave")).headers["etag"]
    response = await client.get("/fr/ave", headers={"if-none-match": variant.format(etag)})
    assert response.status_code == 304


async def test_if_modified_since_equal_to_last_modified_gives_304(
    client: httpx.AsyncClient,
) -> None:
    first = await client.get("/en/eta")
    response = await client.get(
        "/en/eta", headers={"if-modified-since": first.headers["last-modified"]}
    )
    assert response.status_code == 304
    assert response.content == b""
    assert response.headers["last-modified"] == first.headers["last-modified"]


@pytest.mark.parametrize("if_modified_since", ["Thu, 01 Jan 1970 00:00:00 GMT", "not a date", ""])
async def test_older_or_malformed_if_modified_since_gives_the_page(
    client: httpx.AsyncClient, if_modified_since: str
) -> None:
    response = await client.get("/en/eta", headers={"if-modified-since": if_modified_since})
    assert response.status_code == 200
    assert response.content


async def test_a_changed_etag_wins_over_a_fresh_date(client: httpx.AsyncClient) -> None:
    first = await client.get("/en/eta")
    response = await client.get(
        "/en/eta",
        headers={
            "if-none-match": '"from-an-older-deploy"',
            "if-modified-since": first.headers["last-modified"],
        },
    )
    assert response.status_code == 200


async def test_head_has_the_get_headers_and_no_body(client: httpx.AsyncClient) -> None:
    for headers in (NO_GZIP, {"accept-encoding": "gzip"}):
        get = await client.get("/fr/", headers=headers)
        head = await client.head("/fr/", headers=headers)
        assert head.status_code == 200
        assert head.content == b""
        assert head.headers == get.headers


async def test_gzip_when_accepted(client: httpx.AsyncClient) -> None:
    plain = await client.get("/en/", headers=NO_GZIP)
    async with client.stream("GET", "/en/", headers={"accept-encoding": "gzip"}) as response:
        raw = b"".join([chunk async for chunk in response.aiter_raw()])
    assert response.headers["content-encoding"] == "gzip"
    assert response.headers["vary"] == "Accept-Encoding"
    assert int(response.headers["content-length"]) == len(raw) < len(plain.content)
    assert gzip.decompress(raw) == plain.content
    # Strong validators differ per representation (RFC 9110 section 8.8.3).
    assert response.headers["etag"] != plain.headers["etag"]
    assert plain.headers["vary"] == "Accept-Encoding"


@pytest.mark.parametrize(
    ("accept_language", "location"),
    [
        ("fr-CA,fr;q=0.9,en;q=0.8", "/fr/"),
        ("en-US", "/en/"),
        ("de", "/en/"),
        ("de, fr;q=0.5", "/fr/"),
        (None, "/en/"),
    ],
)
async def test_root_redirects_by_accept_language(
    client: httpx.AsyncClient, accept_language: str | None, location: str
) -> None:
    headers = {"accept-language": accept_language} if accept_language else {}
    response = await client.get("/", headers=headers)
    assert response.status_code == 302
    assert response.headers["location"] == location
    assert response.headers["vary"] == "Accept-Language"
    assert "private" in response.headers["cache-control"]


@pytest.mark.parametrize(
    ("path", "canonical"),
    [
        ("/en", "/en/"),
        ("/fr", "/fr/"),
        ("/en/eta/", "/en/eta"),
        ("/fr/ave/qui-doit-obtenir-une-ave/", "/fr/ave/qui-doit-obtenir-une-ave"),
    ],
)
async def test_trailing_slash_variants_redirect_permanently(
    client: httpx.AsyncClient, path: str, canonical: str
) -> None:
    response = await client.get(path)
    assert response.status_code == 301
    assert response.headers["location"] == canonical
    assert response.content == b""


async def test_query_strings_do_not_change_the_page(client: httpx.AsyncClient) -> None:
    plain = await client.get("/en/eta")
    tagged = await client.get("/en/eta?utm_source=newsletter")
    assert tagged.status_code == 200
    assert tagged.headers["etag"] == plain.headers["etag"]


@pytest.mark.parametrize("method", ["POST", "DELETE"])
@pytest.mark.parametrize("lang", LANGUAGES)
async def test_writing_to_a_page_is_405_with_allow(
    client: httpx.AsyncClient, method: str, lang: Lang
) -> None:
    response = await client.request(method, PAGES[2].path(lang), content=b"x=1")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, HEAD"
    assert response.headers["content-type"] == HTML
    document = parse_html(response.text)
    assert document.find_all("html")[0].attrs["lang"] == lang


@pytest.mark.parametrize(
    ("path", "first", "second"),
    [
        ("/en/nope", "en", "fr"),
        ("/fr/nope", "fr", "en"),
        ("/de/", "en", "fr"),
        ("/en/eta/nope", "en", "fr"),
        ("/nope.php", "en", "fr"),
    ],
)
async def test_unknown_paths_get_the_bilingual_404_page(
    client: httpx.AsyncClient, path: str, first: Lang, second: Lang
) -> None:
    response = await client.get(path)
    assert response.status_code == 404
    assert response.headers["content-type"] == HTML
    assert "max-age" not in response.headers["cache-control"]
    document = parse_html(response.text)
    assert document.find_all("html")[0].attrs["lang"] == first
    assert error_sections(document) == [first, second]
    assert [" ".join(h1.text.split()) for h1 in document.find_all("h1")] == [
        ERROR_TEXTS[404][first].title,
        ERROR_TEXTS[404][second].title,
    ]
    hrefs = document.hrefs()
    assert f"/{first}/" in hrefs and f"/{second}/" in hrefs
    assert "Traceback" not in response.text


async def test_head_of_an_unknown_path_is_404_without_body(client: httpx.AsyncClient) -> None:
    response = await client.head("/en/nope")
    assert response.status_code == 404
    assert response.content == b""


async def test_assets_are_immutable(client: httpx.AsyncClient) -> None:
    page = parse_html((await client.get("/en/")).text)
    (stylesheet,) = page.find_all("link", rel="stylesheet")
    (icon,) = page.find_all("link", rel="icon")
    css = await client.get(stylesheet.attrs["href"], headers=NO_GZIP)
    assert css.status_code == 200
    assert css.headers["content-type"] == "text/css; charset=utf-8"
    assert css.headers["cache-control"] == ASSET_CACHE_CONTROL
    assert "immutable" in css.headers["cache-control"]
    assert b"{" in css.content
    gzipped = await client.get(stylesheet.attrs["href"], headers={"accept-encoding": "gzip"})
    assert gzipped.headers["content-encoding"] == "gzip"
    assert gzipped.content == css.content
    svg = await client.get(icon.attrs["href"])
    assert svg.status_code == 200
    assert svg.headers["content-type"] == "image/svg+xml"
    assert svg.headers["cache-control"] == ASSET_CACHE_CONTROL


async def test_an_asset_from_another_deploy_is_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/assets/000000000000/northgate.css")
    assert response.status_code == 404


async def test_robots_txt(client: httpx.AsyncClient) -> None:
    response = await client.get("/robots.txt")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    lines = response.text.splitlines()
    assert "User-agent: *" in lines
    assert f"Sitemap: {ORIGIN}/sitemap.xml" in lines


async def test_sitemap_lists_every_page_in_both_languages_with_alternates(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/sitemap.xml")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/xml; charset=utf-8"
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9", "x": "http://www.w3.org/1999/xhtml"}
    root = ElementTree.fromstring(response.content)  # noqa: S314 - our own output
    entries = {
        url.findtext("s:loc", namespaces=ns): {
            link.get("hreflang"): link.get("href") for link in url.findall("x:link", ns)
        }
        for url in root.findall("s:url", ns)
    }
    assert set(entries) == {ORIGIN + path for path in PAGE_PATHS}
    assert len(root.findall("s:url", ns)) == len(PAGE_PATHS)
    for page in PAGES:
        alternates = {lang: ORIGIN + page.path(lang) for lang in LANGUAGES}
        for lang in LANGUAGES:
            assert entries[ORIGIN + page.path(lang)] == alternates
