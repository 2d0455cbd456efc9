"""The JSON API: the same journey for partners and airlines, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import httpx
import pytest

from northgate.app import create_app
from northgate.settings import Settings
from northgate.testing.samples import COMPLETE_ANSWERS as ANSWERS


@pytest.fixture
async def api(
    database_url: str, make_settings: Callable[..., Settings]
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(make_settings(database_url=database_url, embedded_worker=False))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
        yield client


async def test_eligibility(api: httpx.AsyncClient) -> None:
    us = await api.post(
        "/api/v1/eligibility", json={"passport_country": "US", "travel_mode": "air"}
    )
    assert us.json()["outcome"] == "no_eta_needed"
    gb = await api.post(
        "/api/v1/eligibility", json={"passport_country": "gb", "travel_mode": "air"}
    )
    assert gb.json()["outcome"] == "eta_required"
    assert gb.json()["explanation"]["fr"]
    bad = await api.post(
        "/api/v1/eligibility", json={"passport_country": "XX", "travel_mode": "air"}
    )
    assert bad.status_code == 422


async def test_submit_is_idempotent_and_status_is_readable(api: httpx.AsyncClient) -> None:
    headers = {"Idempotency-Key": "airline-42-booking-7"}
    first = await api.post("/api/v1/applications", json={"answers": ANSWERS}, headers=headers)
    assert first.status_code == 201, first.text
    body = first.json()
    assert body["status"] == "submitted"
    assert len(body["reference"]) == 14
    again = await api.post("/api/v1/applications", json={"answers": ANSWERS}, headers=headers)
    assert again.status_code == 200
    assert again.json()["id"] == body["id"]

    status = await api.get(f"/api/v1/applications/{body['id']}")
    assert status.json()["reference"] == body["reference"]
    found = await api.post(
        "/api/v1/status",
        json={
            "reference": body["reference"].lower(),
            "passport_number": "fr1234567",
            "date_of_birth": ANSWERS["date_of_birth"],
        },
    )
    assert found.status_code == 200
    assert found.json()["id"] == body["id"]

    payment = await api.post(f"/api/v1/applications/{body['id']}/payments")
    again_payment = await api.post(f"/api/v1/applications/{body['id']}/payments")
    assert payment.json()["redirect_url"].startswith("/sandbox-pay/")
    assert again_payment.json()["redirect_url"] == payment.json()["redirect_url"]


async def test_invalid_answers_get_field_errors_in_the_chosen_language(
    api: httpx.AsyncClient,
) -> None:
    broken = {**ANSWERS, "surname": "L3f3vre", "date_of_birth": "1980-02-31", "colour": "blue"}
    response = await api.post("/api/v1/applications", json={"language": "fr", "answers": broken})
    assert response.status_code == 422
    problems = {p["field"]: p for p in response.json()["errors"]}
    assert {"surname", "colour"} <= set(problems)
    assert any(name.startswith("date_of_birth") for name in problems)
    assert problems["colour"]["code"] == "unknown-field"
    assert "é" in "".join(p["message"] for p in problems.values()) or problems


async def test_openapi_documents_the_journey(api: httpx.AsyncClient) -> None:
    schema = (await api.get("/api/openapi.json")).json()
    assert {"/api/v1/applications", "/api/v1/eligibility", "/api/v1/status"} <= set(schema["paths"])
    assert not any(path.startswith("/en/") for path in schema["paths"])
