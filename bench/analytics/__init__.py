"""What the analytics tap costs: ``python -m bench.analytics``."""
