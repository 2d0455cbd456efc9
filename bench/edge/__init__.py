"""Whole journeys through the production topology (nginx + Lua edge, Redis, one node) at
0.8x to 20x the node's capacity, and the same with the Python-only gate:
``python -m bench.edge``.
"""
