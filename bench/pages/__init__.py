"""How fast is one information page served, five ways: ``python -m bench.pages``."""
