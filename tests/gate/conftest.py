"""The gate-in-front-of-an-app fixtures of the middleware tests, for the other gate tests."""

from tests.gate.test_middleware import clients, make_gate, site

__all__ = ["clients", "make_gate", "site"]
