"""The edge benchmark's fixed settings: the event, the loads, the journey's requests."""

from __future__ import annotations

import json

from northgate.testing.samples import COMPLETE_ANSWERS

SECRET = "edge-bench-secret-key-0123456789abcdef-0123"  # noqa: S105 (a throwaway key)
ADMIN = "edge-bench-admin"
EVENT = "eta"
MULTIPLES = (0.8, 1.0, 5.0, 10.0, 20.0)
# The line must hold this many waiters in the overloaded phases (issue 16).
WAITERS_WANTED = 10_000
# The poll interval the room asks for, scaled down from the default 20 s so that a
# 10,000-waiter line is reached in seconds, not minutes; the polls per second a waiter
# sends are what the edge must answer.
POLL_SECONDS = 4.0
# Connections from the generator to nginx, shared by every visitor as a CDN's or load
# balancer's pool would be: a visitor is its cookie jar, not its socket.
CONNECTIONS = 400
NOISE_LIMIT = 0.1
GENERATOR_CPU_LIMIT = 0.9

PAGE = "/en/eta"
SUBMIT = "/api/v1/applications"
CARD = b"number=4242424242424242&expiry=12%2F39&cvc=123&name=E+L"
BODY = json.dumps({"answers": COMPLETE_ANSWERS}).encode()
