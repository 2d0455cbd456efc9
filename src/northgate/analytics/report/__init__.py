"""Analytics reports: periods, figures beside last week's, anomalies, and their renderings.

Reads through ``store`` and uses the keys and sketches of ``capture``.
"""
