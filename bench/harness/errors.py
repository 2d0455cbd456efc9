"""The one error a benchmark raises when it cannot produce trustworthy figures."""

from __future__ import annotations


class BenchError(RuntimeError):
    """A benchmark cannot produce trustworthy figures; the message says why."""
