"""A real node (``northgate serve``) while its PostgreSQL stops and starts again: 503 pages
with Retry-After over real HTTP, a server log of a few lines and no traceback."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from tests.support.journey import fill_application_sync
from tests.support.live import start_server
from tests.support.servers import PostgresServer

REVIEW = {"en": "/en/eta/apply/check-your-answers", "fr": "/fr/ave/demande/verifier-vos-reponses"}


@pytest.mark.postgres
def test_a_node_rides_out_postgres_stopping(
    outage_postgres: PostgresServer, tmp_path: Path
) -> None:
    url = outage_postgres.create_database("live")
    server = start_server(tmp_path, {"NORTHGATE_DATABASE_URL": url})
    try:
        with httpx.Client(base_url=server.url, timeout=10) as client:
            fill_application_sync(client)
            outage_postgres.halt()
            for lang in ("en", "fr") * 20:
                response = client.get(REVIEW[lang])
                assert response.status_code == 503, response.text[:300]
                assert int(response.headers["retry-after"]) > 0
                assert f'<html lang="{lang}"' in response.text
            assert client.get("/en/").status_code == 200
            outage_postgres.resume()
            deadline = time.monotonic() + 60
            while client.get("/readyz").status_code != 200:
                assert time.monotonic() < deadline, "the node did not see the database again"
                time.sleep(0.2)
            assert client.get(REVIEW["en"]).status_code == 200
    finally:
        server.stop()
    log = server.log.read_text(errors="replace")
    assert "Traceback" not in log, log[-3000:]
    assert log.count("database unavailable") == 1, log[-3000:]
    assert "database available again" in log
