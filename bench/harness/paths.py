"""Where the project, its virtualenv and the benchmarks' results are."""

from __future__ import annotations

from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parents[1]
PROJECT_DIR = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"
VENV_BIN = PROJECT_DIR / ".venv" / "bin"
