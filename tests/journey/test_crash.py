"""kill -9 the server between "saved" and "paid": nothing the traveller was told was saved
is lost, and reconciliation settles the payment the gateway took."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.journey import (
    ADULT_FORM,
    csrf_of,
    fill_application_sync,
    look_up_status_sync,
)
from tests.support.live import LiveServer, run_northgate, start_server

CARD = {"number": "4242 4242 4242 4242", "expiry": "12/39", "cvc": "123", "name": "Z O"}
# Reconcile at once: in production the worker waits for the traveller to come back first.
ENV = {"NORTHGATE_PAYMENT_RECONCILE_AFTER_SECONDS": "1", "NORTHGATE_EMBEDDED_WORKER": "false"}


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    live = start_server(tmp_path, ENV)
    try:
        yield live
    finally:
        live.stop()


def _rows(var_dir: Path, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(var_dir / "northgate.db") as connection:
        return connection.execute(sql).fetchall()


def test_kill_between_saved_and_paid_loses_nothing(server: LiveServer, tmp_path: Path) -> None:
    with httpx.Client(base_url=server.url, timeout=10) as client:
        review = fill_application_sync(client, "en", ADULT_FORM)
        client.post("/en/eta/apply/check-your-answers", data={"csrf_token": csrf_of(review.text)})
        pay_page = client.get("/en/eta/apply/pay")
        reference = pay_page.text.split('class="ng-reference">')[1].split("<")[0]
        to_gateway = client.post("/en/eta/apply/pay", data={"csrf_token": csrf_of(pay_page.text)})
        gateway_page = to_gateway.headers["location"]
        # The card is charged at the gateway; the browser never comes back, the server dies.
        paid = client.post(gateway_page, data=CARD)
        assert paid.status_code == 303
    server.kill_hard()

    statuses = _rows(server.var_dir, "SELECT reference, status FROM eta_applications")
    assert statuses == [(reference, "submitted")]
    assert _rows(server.var_dir, "SELECT status FROM sandbox_gateway_charges") == [("approved",)]

    import time

    time.sleep(1.5)  # past the reconcile window
    output = run_northgate(server.env, "worker", "--once").stdout
    assert "settled 1 payment" in output
    run_northgate(server.env, "worker", "--once")  # the decision, then the e-mails
    run_northgate(server.env, "worker", "--once")
    assert _rows(server.var_dir, "SELECT status FROM eta_applications") == [("approved",)]
    assert _rows(server.var_dir, "SELECT count(*) FROM payments WHERE status='approved'") == [(1,)]
    assert _rows(server.var_dir, "SELECT count(*) FROM sandbox_gateway_charges") == [(1,)]

    restarted = start_server(tmp_path / "again", {**ENV, **_same_var(server)})
    try:
        with httpx.Client(base_url=restarted.url, timeout=10) as client:
            found = look_up_status_sync(
                client,
                {
                    "reference": reference,
                    "passport_number": ADULT_FORM["passport_number"],
                    "date_of_birth-day": ADULT_FORM["date_of_birth-day"],
                    "date_of_birth-month": ADULT_FORM["date_of_birth-month"],
                    "date_of_birth-year": ADULT_FORM["date_of_birth-year"],
                },
            )
        assert found.status_code == 200
        assert "Approved" in found.text
    finally:
        restarted.stop()


def test_kill_after_saving_answers_keeps_them(server: LiveServer, tmp_path: Path) -> None:
    with httpx.Client(base_url=server.url, timeout=10) as client:
        fill_application_sync(client, "en", ADULT_FORM)
        cookie = client.cookies.get("ng_draft")
    server.kill_hard()
    restarted = start_server(tmp_path / "again", {**ENV, **_same_var(server)})
    try:
        with httpx.Client(base_url=restarted.url, timeout=10) as client:
            assert cookie is not None
            client.cookies.set("ng_draft", cookie)
            review = client.get("/en/eta/apply/check-your-answers")
        assert review.status_code == 200
        assert "Zoë Anne" in review.text
    finally:
        restarted.stop()


def _same_var(server: LiveServer) -> dict[str, str]:
    return {"NORTHGATE_VAR_DIR": str(server.var_dir)}
