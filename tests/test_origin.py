"""Links in pages and e-mails point where the server runs: without NORTHGATE_PUBLIC_ORIGIN,
the address `serve` listens on; with one that names another address, `serve` says so."""

from __future__ import annotations

import email
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from northgate.origin import disagreement, listening_origin
from tests.support.journey import csrf_of, fill_application_sync
from tests.support.live import LiveServer, run_northgate, start_server

ORIGIN_WARNING = "links in pages and e-mails use"
EVERY_ADDRESS = "0.0.0.0"  # noqa: S104 (a value to compare, nothing is bound)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    live = start_server(tmp_path, {"NORTHGATE_EMBEDDED_WORKER": "false"})
    try:
        yield live
    finally:
        live.stop()


def _resume_link(mail_dir: Path) -> str:
    for path in sorted(mail_dir.glob("*.eml")):
        for part in email.message_from_bytes(path.read_bytes()).walk():
            if part.get_content_type() == "text/plain":
                payload = part.get_payload(decode=True)
                assert isinstance(payload, bytes)
                found = re.search(r"https?://\S+/resume/\S+", payload.decode())
                if found:
                    return found.group(0)
    raise AssertionError("no resume link was e-mailed")


def test_links_point_to_the_port_served(server: LiveServer) -> None:
    assert server.port != 8000
    with httpx.Client(base_url=server.url, timeout=10) as client:
        home = client.get("/en/")
        assert f'<link rel="canonical" href="{server.url}/en/">' in home.text
        assert f"Sitemap: {server.url}/sitemap.xml" in client.get("/robots.txt").text
        fill_application_sync(client)
        save = client.get("/en/eta/apply/save")
        sent = client.post(
            "/en/eta/apply/save",
            data={"csrf_token": csrf_of(save.text), "email": "zoe@example.org"},
        )
        assert sent.status_code == 200
    run_northgate(server.env, "worker", "--once")
    link = _resume_link(server.var_dir / "mail")
    assert link.startswith(server.url + "/en/")
    with httpx.Client(timeout=10) as fresh:
        assert fresh.get(link, follow_redirects=True).status_code == 200
    assert ORIGIN_WARNING not in server.log.read_text()


def test_serve_warns_when_the_public_origin_is_elsewhere(tmp_path: Path) -> None:
    live = start_server(tmp_path, {"NORTHGATE_PUBLIC_ORIGIN": "http://127.0.0.1:8000"})
    try:
        lines = [line for line in live.log.read_text().splitlines() if ORIGIN_WARNING in line]
        assert len(lines) == 1
        assert "WARNING" in lines[0]
        assert f"listens on http://127.0.0.1:{live.port}" in lines[0]
    finally:
        live.stop()


@pytest.mark.parametrize(
    ("origin", "host", "port", "agrees"),
    [
        ("http://127.0.0.1:8123", "127.0.0.1", 8123, True),
        ("http://127.0.0.1:8000", "127.0.0.1", 8123, False),
        ("http://localhost:8123", "127.0.0.1", 8123, False),
        ("https://eta.example", EVERY_ADDRESS, 443, True),
        ("https://eta.example", "127.0.0.1", 8001, False),
        ("http://[::1]:9", "::1", 9, True),
        (listening_origin(EVERY_ADDRESS, 8000), EVERY_ADDRESS, 8000, False),
    ],
)
def test_disagreement(origin: str, host: str, port: int, agrees: bool) -> None:
    assert (disagreement(origin, host, port) is None) is agrees
