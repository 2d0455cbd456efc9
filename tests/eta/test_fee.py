from __future__ import annotations

import pytest

from northgate.eta.fee import ETA_FEE, Money


def test_eta_fee() -> None:
    assert (ETA_FEE.amount_cents, ETA_FEE.currency) == (700, "CAD")
    assert ETA_FEE.format("en") == "CAD $7.00"
    assert ETA_FEE.format("fr") == "7,00\u00a0$\u00a0CA"


@pytest.mark.parametrize(
    ("cents", "en", "fr"),
    [
        (0, "CAD $0.00", "0,00\u00a0$\u00a0CA"),
        (5, "CAD $0.05", "0,05\u00a0$\u00a0CA"),
        (123456, "CAD $1,234.56", "1\u00a0234,56\u00a0$\u00a0CA"),
        (-700, "CAD -$7.00", "-7,00\u00a0$\u00a0CA"),
    ],
)
def test_format(cents: int, en: str, fr: str) -> None:
    money = Money(cents, "CAD")
    assert (money.format("en"), money.format("fr")) == (en, fr)


def test_other_currencies_keep_their_own_sign() -> None:
    money = Money(700, "USD")
    assert (money.format("en"), money.format("fr")) == ("US$7.00", "7,00\u00a0$\u00a0US")
