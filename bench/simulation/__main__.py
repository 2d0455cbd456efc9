"""``python -m bench.simulation``: the 2016 night, and Northgate's, simulated at full scale.

Writes ``bench/results/simulation.json`` and three PNGs beside it (``--quick``: a short,
small run that writes nothing). The parameters are ``from_bench_results`` unless
``--params FILE`` gives measured ones (the JSON ``--dump-params`` writes).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import re
import sys
import time
from pathlib import Path as FilePath
from typing import Any

from bench.simulation import plots
from bench.simulation.model import Result, run_2016, run_northgate
from bench.simulation.params import Node, Params, from_bench_results, mean_requests, nodes_for
from northgate.replay.arrivals import arrivals
from northgate.replay.curve import NIGHT_END_H, NIGHT_START_H, PEAK_H, Curve, rate_per_h

RESULTS = FilePath(__file__).resolve().parent.parent / "results"
FLAT_LIST = re.compile(r"\[\s+([^\[\]{}]*?)\s+\]")
#: The hours the node count is judged over: the election surge at its height.
PEAK_WINDOW_H = (20.0, 26.0)


def scaled(params: Params, scale: float) -> Params:
    """A ``scale`` share of the visitors against capacities scaled alike. Service times grow
    as 1/scale, so keep it large enough that a 2016 job stays well inside its timeout."""

    def node(n: Node) -> Node:
        return dataclasses.replace(n, capacity_per_s=n.capacity_per_s * scale)

    return dataclasses.replace(params, node=node(params.node), server_2016=node(params.server_2016))


def compact_json(data: Any) -> str:
    """Indented JSON whose flat lists (the per-minute columns) take one line each."""
    text = json.dumps(data, indent=1)
    return FLAT_LIST.sub(lambda m: "[" + re.sub(r"\s+", " ", m.group(1)) + "]", text) + "\n"


def minutes_json(result: Result) -> dict[str, Any]:
    m = result.minutes
    waits = [sorted(w) for w in m.waits]
    return {
        "offered": m.offered,
        "served": m.served,
        "queued": m.queued,
        "shed": m.shed,
        "errors": m.errors,
        "utilisation": [round(u, 3) for u in m.utilisation()],
        "nodes": m.nodes,
        "eta_s": [round(e, 1) for e in m.eta_s],
        "wait_p50_s": [round(w[len(w) // 2], 2) if w else None for w in waits],
        "wait_p99_s": [round(w[int(0.99 * len(w))], 2) if w else None for w in waits],
    }


def scenario_json(result: Result, scale: float) -> dict[str, Any]:
    summary = result.summary()
    for key in ("visitors", "offered", "served", "shed", "errors", "failed_visitors"):
        summary[f"{key}_full_scale"] = round(summary[key] / scale)
    return {"summary": summary, "events": result.events, "minutes": minutes_json(result)}


def sweep(
    params: Params, node: Node, counts: range, seed: int, scale: float
) -> list[dict[str, Any]]:
    """Fixed node counts through the peak window: how long the line gets."""
    curve = Curve(*PEAK_WINDOW_H).scaled(Curve(*PEAK_WINDOW_H).peak_rate() * scale)
    rows = []
    for n in counts:
        result = run_northgate(
            params, curve, arrivals(curve, seed), node, n, scale_out=False, seed=seed
        )
        s = result.summary()
        rows.append(
            {
                "nodes": n,
                "wait_p50_s": round(s["wait_p50_s"], 2),
                "wait_p99_s": round(s["wait_p99_s"], 2),
                "max_eta_s": round(s["max_eta_s"], 1),
                "max_queued_full_scale": round(s["max_queued"] / scale),
                "max_utilisation": round(s["max_utilisation"], 3),
                "shed": s["shed"],
            }
        )
        if s["max_queued"] == 0 and s["max_utilisation"] < params.gate.warning_utilisation:
            break  # more nodes change nothing
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.simulation", description=__doc__)
    parser.add_argument("--params", type=FilePath, help="measured parameters (JSON)")
    parser.add_argument("--dump-params", type=FilePath, help="write the parameters and stop")
    parser.add_argument("--seed", type=int, default=2016)
    parser.add_argument("--scale", type=float, default=0.25, help="share of the visitors")
    parser.add_argument("--out", type=FilePath, default=RESULTS)
    parser.add_argument("--quick", action="store_true", help="small and short; writes nothing")
    args = parser.parse_args(argv)

    base = Params.load(args.params) if args.params else from_bench_results(RESULTS)
    if args.dump_params:
        args.dump_params.write_text(json.dumps(base.to_json(), indent=1) + "\n")
        return 0
    scale = 0.02 if args.quick else args.scale
    params = scaled(base, scale)
    end_h = NIGHT_START_H + 4 if args.quick else NIGHT_END_H
    night = Curve(NIGHT_START_H, end_h)
    curve = night.scaled(night.peak_rate() * scale)
    seed = args.seed
    began = time.monotonic()

    def stream() -> Any:
        return arrivals(curve, seed)

    results = {
        "2016": run_2016(params, curve, stream(), seed=seed),
        "northgate, 2016's servers": run_northgate(
            params, curve, stream(), params.server_2016, params.config_2016.servers, seed=seed,
            name="northgate, 2016's servers",
        ),
        "northgate, 2016's servers, no scale-out": run_northgate(
            params, curve, stream(), params.server_2016, params.config_2016.servers,
            scale_out=False, seed=seed, name="northgate, 2016's servers, no scale-out",
        ),
        "northgate, measured node": run_northgate(
            params, curve, stream(), params.node, params.gate.min_nodes, seed=seed,
            name="northgate, measured node",
        ),
    }  # fmt: skip
    for name, result in results.items():
        print(f"{name}: {json.dumps(result.summary())}", flush=True)
    counts = range(1, 3) if args.quick else range(1, 13)
    sweeps = {
        "2016-class node": sweep(params, params.server_2016, counts, seed, scale),
        "measured node": sweep(params, params.node, counts, seed, scale),
    }
    peak_rps = rate_per_h(PEAK_H) / 3600 * mean_requests(PEAK_H, base.requests_per_path, True)
    report = {
        "what": "SimPy model of election night 2016 (Tue 10:00 - Wed 22:00 Eastern): 2016's "
        "configuration and Northgate's, at full scale (counts x 1/scale)",
        "seed": seed,
        "scale": scale,
        "window_h": [NIGHT_START_H, end_h],
        "params": base.to_json(),
        "scenarios": {name: scenario_json(r, scale) for name, r in results.items()},
        "nodes_to_hold_peak": {
            "window_h": list(PEAK_WINDOW_H),
            "node_requests_per_s_at_peak": round(peak_rps, 1),
            "analytic_at_warning_utilisation": {
                "2016-class node": nodes_for(peak_rps, base.server_2016, 0.8),
                "measured node": nodes_for(peak_rps, base.node, 0.8),
            },
            "sweeps": sweeps,
        },
        "wall_s": round(time.monotonic() - began, 1),
    }
    print(json.dumps(report["nodes_to_hold_peak"], indent=1))
    if args.quick:
        return 0
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "simulation.json").write_text(compact_json(report))
    for name, file, title in [
        ("2016", "simulation-2016.png", "2016: 3 servers (6 from Wed 20:12), no admission control"),
        ("northgate, 2016's servers", "simulation-northgate.png",
         "Northgate on 2016's servers: pages at the edge, a line, warning, scale-out"),
        ("northgate, 2016's servers, no scale-out", "simulation-northgate-3-nodes.png",
         "Northgate on 2016's 3 servers, never scaled: the line alone"),
    ]:  # fmt: skip
        plots.night(
            report["scenarios"][name], title, NIGHT_START_H, curve.factor, scale, args.out / file
        )
    plots.nodes(sweeps, args.out / "simulation-nodes.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
