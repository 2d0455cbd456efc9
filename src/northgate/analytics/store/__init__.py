"""Analytics: store."""
