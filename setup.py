"""The compiled part of the package; everything else is declared in pyproject.toml.

An install never fails because of the C counter: a compiler warning is only a warning, and
a failed build (no compiler, say) leaves the tap on its Python specification
(northgate/analytics/capture/arrivals.py). ``NORTHGATE_STRICT_BUILD=1``, which the development
install behind ``make test`` sets, turns warnings into errors and a failed build into a
failed install, so that the code we ship compiles cleanly.
"""

import os

from setuptools import Extension, setup

STRICT = os.environ.get("NORTHGATE_STRICT_BUILD") == "1"

setup(
    ext_modules=[
        # The tap's per-request counting (its specification:
        # northgate/analytics/capture/arrivals.py).
        Extension(
            "northgate.analytics.capture._arrivals",
            sources=["src/northgate/analytics/capture/_arrivals.c"],
            extra_compile_args=[
                "-O2",
                "-Wall",
                "-Wextra",
                "-Wno-unused-parameter",
                *(["-Werror"] if STRICT else []),
            ],
            optional=not STRICT,
        )
    ]
)
