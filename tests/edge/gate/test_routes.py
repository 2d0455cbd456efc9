"""The route table: what is gated, and how much it matters."""

from __future__ import annotations

import pytest

from northgate.edge.gate.routes import RequestClass, Route, classify

C, D, S, B = (RequestClass.CRITICAL, RequestClass.DEFAULT, RequestClass.SHEDDABLE,
              RequestClass.BYPASS)  # fmt: skip

TABLE = [
    ("GET", "/healthz", B, False),
    ("GET", "/readyz", B, False),
    ("GET", "/ops/gate", B, False),
    ("GET", "/ops/analytics", S, False),
    ("GET", "/en/feedback", B, False),
    ("GET", "/en/some/unknown/page", B, False),
    ("GET", "/api/docs", B, False),
    ("GET", "/en/eta/check", D, False),
    ("POST", "/fr/ave/verifier", D, False),
    ("POST", "/api/v1/eligibility", D, False),  # the same question as /en/eta/check
    ("GET", "/en/eta/apply", D, True),
    ("POST", "/en/eta/apply/passport", D, True),
    ("GET", "/fr/ave/demande/passeport", D, True),
    ("GET", "/en/eta/apply/check-your-answers", D, True),
    ("POST", "/en/eta/apply/check-your-answers", C, True),
    ("POST", "/fr/ave/demande/verifier-vos-reponses", C, True),
    ("GET", "/en/eta/apply/pay", D, True),
    ("POST", "/en/eta/apply/pay", C, True),
    ("POST", "/fr/ave/demande/paiement", C, True),
    ("GET", "/en/eta/apply/payment-return", C, False),
    ("GET", "/fr/ave/demande/retour-paiement", C, False),
    ("GET", "/sandbox-pay/abc", C, False),
    ("POST", "/sandbox-pay/abc", C, False),
    ("GET", "/en/eta/apply/confirmation", D, False),
    ("GET", "/en/eta/status", S, True),
    ("POST", "/en/eta/status/resend", S, True),
    ("POST", "/fr/ave/etat/renvoyer", S, True),
    ("GET", "/en/eta/resume", D, True),
    ("POST", "/api/v1/applications", C, True),
    ("GET", "/api/v1/applications/ABC", D, True),
    ("POST", "/api/v1/analytics", S, False),
]


@pytest.mark.parametrize(("method", "path", "klass", "needs_pass"), TABLE)
def test_classes(method: str, path: str, klass: RequestClass, needs_pass: bool) -> None:
    assert classify(method, path) == Route(klass, needs_pass)
