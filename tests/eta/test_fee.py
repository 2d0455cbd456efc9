from __future__ import annotations

import pytest

from northgate.eta.fee import ETA_FEE, Money


def test_eta_fee() -> None:
    assert (ETA_FEE.amount_cents, ETA_FEE.currency) == (700, "CAD")
    assert ETA_FEE.format("en") == "$7.00"
    assert ETA_FEE.format("fr") == "7,00\u00a0$"


@pytest.mark.parametrize(
    ("cents", "en", "fr"),
    [
        (0, "$0.00", "0,00\u00a0$"),
        (5, "$0.05", "0,05\u00a0$"),
        (123456, "$1,234.56", "1\u00a0234,56\u00a0$"),
        (-700, "-$7.00", "-7,00\u00a0$"),
    ],
)
def test_format(cents: int, en: str, fr: str) -> None:
    money = Money(cents, "CAD")
    assert (money.format("en"), money.format("fr")) == (en, fr)
