"""The pages benchmark's table, as printed at the end of a run."""

from __future__ import annotations

from typing import Any

from bench.pages.measure import Measured
from bench.pages.options import A_OVER_B_TARGET, Options


def print_report(
    measured: list[Measured],
    medians: dict[str, dict[str, Any]],
    ratio_table: dict[str, dict[str, Any]],
    page_bytes: int,
    options: Options,
) -> None:
    print()
    print(
        f"GET {options.path} ({page_bytes} bytes, no gzip), wrk -t1 -c{options.connections} "
        f"-d{round(options.duration)}s, medians of {options.runs} run(s)"
    )
    header = (
        f"{'case':<31}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'CPU us/req':>12}"
        f"{'core busy':>11}{'noise':>7}   req/s per run"
    )
    print(header)
    print("-" * len(header))
    for m in measured:
        s = medians[m.case.name]
        per_run = " ".join(f"{r['requests_per_s']:,.0f}{'*' if r['noisy'] else ''}" for r in m.runs)
        print(
            f"{m.case.label:<31}{s['requests_per_s']:>10,.0f}{s['p50_ms']:>9.2f}"
            f"{s['p99_ms']:>9.2f}{s['server_cpu_us_per_request']:>12.1f}"
            f"{s['server_core_busy']:>10.0%}{s['max_noise']:>7.0%}   {per_run}"
        )
    print()
    notes = {
        "a/b": f"Northgate stack vs bare ASGI on granian (target >= {A_OVER_B_TARGET})",
        "a/c": "Northgate vs nginx serving the exported files",
        "a/d": "Northgate on granian vs on uvicorn (> 1: granian is faster)",
        "b/e": "bare ASGI on granian vs on uvicorn",
        "d/e": "Northgate stack vs bare ASGI on uvicorn",
    }
    print(f"{'ratio':<6}{'req/s':>8}{'CPU eff.':>10}   meaning")
    for label, values in ratio_table.items():
        rps, cpu = values["requests_per_s"], values["cpu_efficiency"]
        flag = ""
        if not values["reliable"]:
            flag = "  UNRELIABLE: every run disturbed"
        elif label == "a/b" and rps is not None:
            flag = "  OK" if rps >= A_OVER_B_TARGET else "  BELOW TARGET"
        print(
            f"{label:<6}{rps if rps is not None else float('nan'):>8.2f}"
            f"{cpu if cpu is not None else float('nan'):>10.2f}   {notes[label]}{flag}"
        )
    if "nginx" in medians and medians["nginx"]["server_core_busy"] < 0.9:
        print(
            "\nnginx left core 1 partly idle: wrk (one thread on core 0) was the bottleneck, "
            "so nginx's req/s is a lower bound; compare CPU us/req instead."
        )
    print("* = disturbed by other processes even after retries; left out of the medians.")
    print("CPU eff. = reference CPU per request / this CPU per request (the steadier figure).")
    print(
        "core busy = server CPU / wall time on core 1; noise = worst share of a run taken by "
        "other processes or steal on either core."
    )
    noisy = {name: s["noisy_runs"] for name, s in medians.items() if s["noisy_runs"]}
    if noisy:
        print(
            f"WARNING: runs still disturbed after retries, left out of the medians: {noisy}. "
            "Another process competed for the cores; when every run of a case was disturbed "
            "(noise column > limit), do not trust that case."
        )
