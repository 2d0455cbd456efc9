"""Analytics storage: the aggregates flushed to the database or Redis, and read back.

Imports from ``capture`` (batches, keys, sketches, salts), never from ``report``.
"""
