"""Limits on attempts that cost someone else: guessing a status look-up, sending e-mails.

Each attempt names the limits it counts against (per client address, per reference, per
recipient...). Counters live in Redis when several nodes share the work, so a client
cannot spread its guesses over the nodes; in-process otherwise. See :mod:`.throttle`.
"""

from northgate.throttle.throttle import Limit, Throttle, build_throttle

__all__ = ["Limit", "Throttle", "build_throttle"]
