"""The harness every benchmark shares.

Everything here talks to 127.0.0.1 only, bounds every wait with a deadline and stops every
process it started (by process group, which each server gets of its own).

Conventions: the server under test runs pinned to core 1 (``taskset -c 1``), the load
generator to core 0 (``taskset -c 0``); the most robust figure is the server's CPU time per
request, read from /proc/PID/stat for the server process and all of its descendants.
"""
