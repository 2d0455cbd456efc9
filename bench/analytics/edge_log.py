"""Behind nginx: the CPU per line of ``northgate edge-log``, and whether it records every line."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path
from typing import Any

from bench.analytics.clients import BROWSER
from bench.analytics.options import STARTUP_TIMEOUT_S
from bench.analytics.pairs import case_env
from bench.harness.errors import BenchError
from bench.harness.northgate import northgate
from bench.harness.paths import VENV_BIN
from bench.harness.processes import LOAD_CPU, SERVER_CPU, start_server

EDGE_LINES = 300_000


# The line nginx sends for a page it served (log_format northgate_edge), as fast as one
# blocking sender can: a full socket queue holds the sender back instead of losing lines.
EDGE_SENDER = """
import socket, sys, time
path, count = sys.argv[1], int(sys.argv[2])
line = (b"<190>Dec  1 06:37:14 northgate: %.3f\\t200\\t/en/eta\\t%d.%d.%d.%d\\t-\\t"
        + sys.argv[3].encode() + b"\\t-")
sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
start = time.perf_counter()
for i in range(count):
    sock.sendto(line % (time.time(), 8 + i % 16, i % 251, i // 251 % 251, 1 + i % 13), path)
print(count / (time.perf_counter() - start))
"""


def edge_log_cost(work: Path, lines: int = EDGE_LINES) -> dict[str, Any]:
    """Behind nginx the pages are files and `northgate edge-log` counts them instead of the
    tap: its CPU per line, pinned to the server core and fed from the load core, and
    whether it recorded every line."""
    env = case_env(work, "edge-log", True)
    northgate(env, "migrate")
    socket_path = work / "edge-log.sock"
    command = [str(VENV_BIN / "northgate"), "edge-log", str(socket_path)]
    collector = start_server("edge-log", command, log_dir=work, env=env)
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while not socket_path.exists():
            if collector.popen.poll() is not None or time.monotonic() > deadline:
                raise BenchError(f"edge-log did not start:\n{collector.log_tail()}")
            time.sleep(0.1)
        collector.check_pinned(SERVER_CPU)
        before = collector.cpu_seconds()
        sent = subprocess.run(
            ["taskset", "-c", str(LOAD_CPU), str(VENV_BIN / "python"), "-c", EDGE_SENDER,
             str(socket_path), str(lines), BROWSER],
            capture_output=True, text=True, timeout=300, check=True,
        )  # fmt: skip
        time.sleep(1.0)  # the last lines, read
        cpu = collector.cpu_seconds() - before
    finally:
        collector.stop()
    log_text = collector.log_tail(5)
    recorded = int(log_text.rsplit("recorded ", 1)[1].split()[0].replace(",", ""))
    return {
        "lines": lines,
        "recorded": recorded,
        "lines_per_s_offered": round(float(sent.stdout.strip())),
        "cpu_us_per_line": round(cpu / lines * 1e6, 2),
    }
