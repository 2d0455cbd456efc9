"""The compiled part of the package; everything else is declared in pyproject.toml."""

from setuptools import Extension, setup

setup(
    ext_modules=[
        # The tap's per-request counting (northgate/analytics/arrivals.py is its specification).
        Extension(
            "northgate.analytics._arrivals",
            sources=["src/northgate/analytics/_arrivals.c"],
            extra_compile_args=["-O2", "-Wall", "-Wextra", "-Wno-unused-parameter", "-Werror"],
        )
    ]
)
