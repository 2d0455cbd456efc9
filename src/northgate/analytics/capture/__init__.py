"""Analytics capture: what happens per request at the edge, in memory, with no I/O.

The tap and nginx's edge log hand arrivals to the recorder, which counts them and resolves
them into per-minute aggregates. Nothing here imports from ``store`` or ``report``.
"""
