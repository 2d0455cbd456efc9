"""Analytics: report."""
