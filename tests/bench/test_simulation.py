"""The SimPy model of election night: sane at small scale, deterministic under a seed."""

import dataclasses
import json
from pathlib import Path as FilePath

import pytest

from bench.simulation import plots
from bench.simulation.__main__ import compact_json, main, scenario_json
from bench.simulation.model import Result, run_2016, run_northgate
from bench.simulation.params import Gate, Node, Params, from_bench_results
from northgate.replay.arrivals import arrivals
from northgate.replay.curve import Curve

RESULTS = FilePath(__file__).resolve().parents[2] / "bench" / "results"
BASE = from_bench_results(RESULTS)
# Tuesday 20:00 to Wednesday 06:00, six times faster (100 minutes of run time), at most
# 5 visitors a second: ~19,000 visitors, the 23:00 peak at minute 30.
PEAK = Curve(20.0, 30.0).compressed(6).scaled(5.0)
# A normal night a week earlier, as slow: nothing special happens.
CALM = Curve(-148.0, -142.0).compressed(6).scaled(5.0)


def params(server_per_s: float = 2.0, node_per_s: float = 3.0) -> Params:
    """Small capacities for small loads (a 2016 server's job stays well under its timeout)."""
    return dataclasses.replace(
        BASE,
        server_2016=Node(capacity_per_s=server_per_s, slots=8),
        node=Node(capacity_per_s=node_per_s, slots=2),
        gate=Gate(patience_s=1e9, provisioning_minutes=2.0, horizon_minutes=10.0),
    )


def northgate(p: Params, curve: Curve, nodes: int, scale_out: bool, seed: int = 1) -> Result:
    return run_northgate(p, curve, arrivals(curve, seed), p.node, nodes, scale_out, seed=seed)


def test_below_capacity_nothing_queues_in_either_model() -> None:
    p = params(server_per_s=20.0, node_per_s=20.0)
    old = run_2016(p, CALM, arrivals(CALM, 1), seed=1).summary()
    assert old["errors"] == 0 and old["failed_visitors"] == 0
    assert old["wait_p99_s"] == 0
    new = northgate(p, CALM, nodes=1, scale_out=False).summary()
    assert new["errors"] == 0 and new["shed"] == 0 and new["max_queued"] <= 2
    assert new["served"] > 0.99 * new["visitors"]


def test_2016_beyond_capacity_times_out_and_serves_almost_nobody_at_the_peak() -> None:
    result = run_2016(params(), PEAK, arrivals(PEAK, 1), seed=1)
    s = result.summary()
    assert s["errors"] > 0.3 * s["visitors"]
    assert s["failed_visitors"] > 0
    assert s["offered"] > s["visitors"]  # people reloaded
    m = result.minutes
    at_peak = slice(25, 35)  # 22:30-23:30
    assert sum(m.served[at_peak]) < 0.2 * sum(m.offered[at_peak])
    assert max(m.utilisation()) > 0.99  # busy, serving the dead


def test_the_gate_queues_the_excess_without_errors_and_the_line_drains() -> None:
    p = params(node_per_s=3.0)
    result = northgate(p, PEAK, nodes=1, scale_out=False)
    s = result.summary()
    assert s["errors"] == 0 and s["shed"] == 0
    assert s["max_queued"] > 50  # the peak is past one node
    after_peak = result.minutes.queued[40:]  # from Wednesday 00:40 on
    assert 0 in after_peak  # the line drained as the night eased
    assert s["max_eta_s"] > 0
    # Everyone served, but for those in line or on a slot when the run stopped.
    assert s["served"] >= s["visitors"] - s["queued_at_end"] - p.node.slots


def test_the_early_warning_orders_nodes_before_the_line_grows() -> None:
    p = params(node_per_s=3.0)
    result = northgate(p, PEAK, nodes=1, scale_out=True)
    kinds = [e["event"] for e in result.events]
    assert kinds.index("early warning") < kinds.index("scale out ordered")
    assert "nodes in service" in kinds
    s = result.summary()
    assert s["max_nodes"] > 1
    alone = northgate(p, PEAK, nodes=1, scale_out=False).summary()
    assert s["wait_p99_s"] < alone["wait_p99_s"]
    assert s["max_queued"] < alone["max_queued"]


def test_the_same_seed_gives_the_same_night() -> None:
    p = params()
    first = run_2016(p, PEAK, arrivals(PEAK, 4), seed=4).summary()
    assert first == run_2016(p, PEAK, arrivals(PEAK, 4), seed=4).summary()
    assert first != run_2016(p, PEAK, arrivals(PEAK, 5), seed=5).summary()
    gated = northgate(p, PEAK, nodes=1, scale_out=True, seed=4)
    again = northgate(p, PEAK, nodes=1, scale_out=True, seed=4)
    assert gated.summary() == again.summary() and gated.events == again.events


def test_defaults_come_from_the_benchmarks_and_round_trip_through_json(
    tmp_path: FilePath,
) -> None:
    overload = json.loads((RESULTS / "overload.json").read_text())
    assert BASE.node.capacity_per_s == overload["capacity_per_s"]
    # Three 2016 servers serve 100,000 visitors an hour of the 17:00 mix.
    assert 3 * BASE.server_2016.capacity_per_s == pytest.approx(100_000 / 3600 * 4.12, rel=0.01)
    path = tmp_path / "params.json"
    assert main(["--dump-params", str(path)]) == 0
    assert Params.load(path) == BASE


def test_quick_run_goes_through_every_step_and_writes_nothing(tmp_path: FilePath) -> None:
    assert main(["--quick", "--out", str(tmp_path / "out")]) == 0
    assert not (tmp_path / "out").exists()


def test_the_charts_are_small_pngs(tmp_path: FilePath) -> None:
    p = params()
    scenarios = {
        "2016": run_2016(p, PEAK, arrivals(PEAK, 1), seed=1),
        "gate": northgate(p, PEAK, nodes=1, scale_out=True),
    }
    for name, result in scenarios.items():
        out = tmp_path / f"{name}.png"
        plots.night(scenario_json(result, 1.0), name, PEAK.start_h, PEAK.factor, 1.0, out)
        assert out.read_bytes().startswith(b"\x89PNG") and out.stat().st_size < 150_000
    rows = [{"nodes": 1, "wait_p99_s": 60.0, "max_eta_s": 90.0}, {"nodes": 2, "wait_p99_s": 0.0,
            "max_eta_s": 0.0}]  # fmt: skip
    plots.nodes({"node": rows}, tmp_path / "nodes.png")
    assert (tmp_path / "nodes.png").stat().st_size < 150_000


def test_results_json_keeps_columns_on_one_line_and_reads_back() -> None:
    data = {"minutes": {"offered": [1, 2, 3], "wait": [None, 0.5]}, "events": [{"t_s": 1.0}]}
    text = compact_json(data)
    assert '"offered": [1, 2, 3]' in text and json.loads(text) == data
