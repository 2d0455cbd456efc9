"""``--control``: both sides without the tap, to show the method's own bias (A/A)."""

from __future__ import annotations

import argparse
from typing import Any

from bench.harness.paths import PROJECT_DIR
from bench.harness.records import write_results
from bench.harness.stats import median, median_interval


def control_summary(
    pairs: list[dict[str, Any]], args: argparse.Namespace, info: dict[str, Any]
) -> int:
    """Both sides without the tap: how far from 1 the method puts two equal servers."""
    ratios = [p["ratio_requests_per_s"] for p in pairs]
    low, high = median_interval(ratios)
    print(
        f"\ncontrol (no tap on either side): median ratio {median(ratios):.3f}, 90 % interval "
        f"{low:.3f}-{high:.3f}; per pair: " + " ".join(f"{r:.3f}" for r in ratios)
    )
    results = {
        "benchmark": "analytics-control",
        "settings": {"pairs": args.runs, "bursts": args.bursts, "duration_s": args.duration},
        "machine": info,
        "ratio_requests_per_s": round(median(ratios), 4),
        "ratio_interval_90": [round(low, 4), round(high, 4)],
        "pairs": pairs,
    }
    print(f"wrote {write_results('analytics-control', results).relative_to(PROJECT_DIR)}")
    return 0
