"""Test support: throwaway real servers (PostgreSQL, Redis) and helpers."""
