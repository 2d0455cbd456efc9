"""The overload benchmark's fixed settings: the request, the loads, the validity limits."""

from __future__ import annotations

import json

from northgate.testing.samples import COMPLETE_ANSWERS

SECRET = "overload-bench-secret-key-0123456789abcdef"  # noqa: S105 (a throwaway test key)
ADMIN = "overload-bench-admin"
PATH = "/api/v1/applications"
TIMEOUT = 5.0
MAX_CONNECTIONS = 256
MULTIPLES = (1, 5, 10, 20)
NOISE_LIMIT = 0.1
INVALID_RETRIES = 1  # a gated phase found invalid is run once more, and the better kept
# A phase is invalid when its figures describe the generator rather than the server: its
# requests went out late by more than this share of the latency target (p99), which then
# counts against the server's latency and goodput, or the generator used this much of its
# core (it could not keep the schedule), or other processes took more than NOISE_LIMIT.
LAG_LIMIT_SHARE = 0.25
GENERATOR_CPU_LIMIT = 0.9


# The same complete application the API tests submit (northgate.testing), so the two
# cannot drift apart.
BODY = json.dumps({"answers": COMPLETE_ANSWERS}).encode()
