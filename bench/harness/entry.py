"""How every benchmark ends: one line on failure and an exit status a script can test."""

from __future__ import annotations

import sys
from collections.abc import Callable

from bench.harness.errors import BenchError

QUICK_HELP = "smoke test: the shortest run that exercises everything; writes no results"


def run_main(main: Callable[[], int | None]) -> None:
    """Exit 0 when ``main`` is done (or its own status), 1 on a BenchError, 130 on Ctrl-C.

    Servers are stopped by the benchmarks' ``finally`` blocks before this reports.
    """
    try:
        exit_code = main() or 0
    except BenchError as error:
        print(f"\nBENCHMARK FAILED: {error}", file=sys.stderr)
        exit_code = 1
    except KeyboardInterrupt:
        print("\ninterrupted; every server stopped", file=sys.stderr)
        exit_code = 130
    except SystemExit as stop:  # argparse, or SIGTERM/SIGHUP via terminate_raises
        exit_code = stop.code if isinstance(stop.code, int) else 1
        if exit_code > 128:
            print("\nstopped by a signal; every server stopped", file=sys.stderr)
    sys.exit(exit_code)
