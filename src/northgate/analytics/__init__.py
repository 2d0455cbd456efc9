"""Edge analytics: count every arrival, by section and country, served or turned away.

How the pieces fit (one concept per module):

capture (hot path, no I/O)
    ``northgate.edge.tap``  the outermost ASGI middleware; hands each finished request to
    ``recorder``            which resolves ``addresses`` → ``countries``, ``bots``, ``sections``,
                            ``outcomes`` and a salted visitor hash (``salts``) and adds one to
    ``aggregate``           per-minute counters and per-minute visitor sets in memory.
storage (background, batched)
    ``flusher``             every few seconds swaps the aggregates out and writes them to
    ``sql_store``           the database (upsert-increment, idempotent by batch id), or to
    ``redis_store``         Redis shared by every node, rolled up into the database.
    ``hll``                 visitors are HyperLogLog sketches: mergeable, small, no identifiers.
reading (pure domain code over rows)
    ``reading``             fetches rows and sketches for a period (database + Redis),
    ``report``              figures with the same time last week beside each,
    ``anomaly``             country-share test and week-over-week surge rule,
    ``text``/``charts``/``png``/``page``/``web``  terminal, SVG, PNG, HTML and JSON surfaces.
"""
