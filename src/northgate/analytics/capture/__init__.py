"""Analytics: capture."""
