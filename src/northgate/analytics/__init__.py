"""Edge analytics: count every arrival, by section and country, served or turned away.

Three stages, one sub-package each; a stage imports only from the stages before it
(capture ← store ← report), never from a later one:

``capture``  (per request at the edge: hot path, no I/O)
    ``northgate.edge.tap``  the outermost ASGI middleware; hands each finished request to
    ``recorder``            which counts it raw (``arrivals``, compiled from ``_arrivals.c``)
                            and, off the hot path, resolves ``addresses`` → ``countries``,
                            ``bots``, ``sections``, ``outcomes`` and a salted visitor hash
                            (``salts``) into
    ``aggregate``           per-minute counters and per-minute visitor sets in memory;
    ``hll``                 visitors are HyperLogLog sketches: mergeable, small, no identifiers.
    ``edge_log``            what nginx answers by itself, counted the same way;
    ``edge_drops``          the lines nginx could not send it, from nginx's error log.
``store``  (background, batched)
    ``flusher``             every few seconds swaps the aggregates out and writes a ``delta`` to
    ``sql_store``           the database (``models``; upsert-increment, idempotent by batch
    ``redis_store``         id), or to Redis shared by every node, rolled up into the database;
    ``reading``             reads a period back: the database plus what Redis has not rolled up.
``report``  (pure domain code over what was read, and its surfaces)
    ``service``             reads what a report needs for a ``periods`` period and last week,
    ``build``               computes the figures (``tally``, ``series``) of a ``model`` report,
    ``anomaly``             country-share test and week-over-week surge rule,
    ``text``/``charts``/``png``/``page``  terminal, SVG, PNG and HTML renderings.

Here, above the stages: ``runtime`` builds one process's analytics from settings (the
wiring); ``command`` (``northgate report``) and ``web`` (JSON API, operators' page; access
by ``auth``) are the surfaces that use it.
"""
