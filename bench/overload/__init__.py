"""The submission path offered 1x to 20x its capacity, with and without the gate:
``python -m bench.overload``.
"""
