"""Northgate: immigration information site and eTA portal."""

__version__ = "0.1.0"
