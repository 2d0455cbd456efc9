"""The eTA fee, and money shown the way each language writes it."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from babel.numbers import format_currency

from northgate.core.lang import Lang

_LOCALES = {"en": "en_CA", "fr": "fr_CA"}


@dataclass(frozen=True)
class Money:
    amount_cents: int  # whole cents: no floating point anywhere near money
    currency: str

    def format(self, lang: Lang) -> str:
        """English "CAD $1,234.56"; French (Canada) "1 234,56 $ CA", with no-break spaces
        so the amount never wraps away from its currency sign (CLDR, through Babel).

        The one way every page, e-mail and the payment page state an amount. Canadian
        dollars are named: travellers used to other dollars must not guess which."""
        amount = Decimal(self.amount_cents).scaleb(-2)
        text = format_currency(amount, self.currency, locale=_LOCALES[lang])
        if self.currency != "CAD":
            return text  # CLDR already tells other dollars apart ("US$", "$ US")
        return f"CAD {text}" if lang == "en" else f"{text}\u00a0CA"


ETA_FEE = Money(amount_cents=700, currency="CAD")
