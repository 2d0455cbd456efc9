"""Fixtures shared by the test suite and the benchmarks; the application never imports it.

Kept under ``src`` so that both import one copy: the benchmarks submit exactly the
application the API tests submit, and start PostgreSQL the way the tests do.
"""
