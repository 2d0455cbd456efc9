"""Operator credentials: Bearer everywhere, Basic where asked for; nothing without a token."""

from __future__ import annotations

import base64

import pytest

from northgate.core.bearer import authorized, presented_token

TOKEN = "operator-token"


def basic(password: str, user: str = "op") -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


@pytest.mark.parametrize(
    "header",
    [f"Bearer {TOKEN}", f"bearer {TOKEN}", f"BEARER {TOKEN} ", f"Bearer {TOKEN}".encode()],
)
def test_the_token_as_bearer_is_accepted(header: str | bytes) -> None:
    assert authorized(header, TOKEN)
    assert authorized(header, TOKEN, basic=False)


def test_the_token_as_basic_password_is_accepted_only_where_basic_is() -> None:
    assert authorized(basic(TOKEN), TOKEN)
    assert not authorized(basic(TOKEN), TOKEN, basic=False)


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "Bearer",
        "Bearer ",
        "Bearer nope",
        f"Token {TOKEN}",
        f"Bearer {TOKEN}x",
        basic("nope"),
        "Basic %%%",
        "Basic é",
        b"Bearer \xff\xfe",
    ],
)
def test_anything_else_is_refused(header: str | bytes | None) -> None:
    assert not authorized(header, TOKEN)


def test_without_a_configured_token_nobody_gets_in() -> None:
    assert not authorized("Bearer ", "")
    assert not authorized(basic(""), "")


def test_the_presented_credential() -> None:
    assert presented_token(f"Bearer {TOKEN}") == TOKEN
    assert presented_token(basic("pw:with:colons")) == "pw:with:colons"
    assert presented_token(basic("pw"), basic=False) == ""
