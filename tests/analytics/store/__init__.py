"""Tests of analytics storage: batches flushed to the database and Redis, read back."""
