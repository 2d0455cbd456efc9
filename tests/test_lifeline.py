"""A worker exits with its server: when the server is already gone as it builds the app
(even with the SIGTERM handler it inherited from the server's main process: granian forks
its workers), and when the orderly stop after the server's death hangs."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from northgate import lifeline

WORKER = textwrap.dedent(
    """
    import os, signal, sys
    # What a forked granian worker inherits: a handler that only sets a flag.
    signal.signal(signal.SIGTERM, lambda signum, frame: None)
    # Its server: a process that is not (any more) its parent.
    os.environ["_NORTHGATE_SERVER_PID"] = str(os.getppid() + 1_000_000)
    from northgate import lifeline
    lifeline.exit_with_server()
    print("served on as an orphan")
    """
)


def test_a_worker_whose_server_is_gone_exits_before_it_serves() -> None:
    worker = subprocess.run(
        [sys.executable, "-c", WORKER], capture_output=True, text=True, timeout=60
    )
    assert worker.returncode == -signal.SIGTERM, worker.stderr
    assert "orphan" not in worker.stdout


def test_the_app_in_the_servers_own_process_is_left_alone() -> None:
    own = textwrap.dedent(
        """
        import os
        os.environ["_NORTHGATE_SERVER_PID"] = str(os.getpid())
        from northgate import lifeline
        lifeline.exit_with_server()
        print("serving")
        """
    )
    worker = subprocess.run([sys.executable, "-c", own], capture_output=True, text=True, timeout=60)
    assert worker.returncode == 0, worker.stderr
    assert worker.stdout.strip() == "serving"


SERVER = textwrap.dedent(
    """
    import os, subprocess, sys, time
    worker = subprocess.Popen([sys.executable, "-c", sys.argv[1]],
                              env={**os.environ, "_NORTHGATE_SERVER_PID": str(os.getpid())})
    print(worker.pid, flush=True)
    time.sleep(600)
    """
)
STUBBORN_WORKER = textwrap.dedent(
    """
    import signal, time
    from northgate import lifeline
    lifeline.exit_with_server()
    # A server whose orderly stop never ends: SIGTERM is taken over and nothing follows.
    signal.signal(signal.SIGTERM, lambda signum, frame: None)
    time.sleep(600)
    """
)


def test_a_worker_whose_orderly_stop_hangs_is_ended_by_the_watchdog() -> None:
    server = subprocess.Popen(
        [sys.executable, "-c", SERVER, STUBBORN_WORKER], stdout=subprocess.PIPE, text=True
    )
    assert server.stdout is not None
    worker = int(server.stdout.readline())
    try:
        time.sleep(2)  # the worker has imported Northgate and taken SIGTERM over
        server.kill()
        server.wait(10)
        deadline = time.monotonic() + lifeline.GRACE_SECONDS + 20
        while Path(f"/proc/{worker}").exists() and time.monotonic() < deadline:
            _reap(worker)
            time.sleep(0.2)
        assert not Path(f"/proc/{worker}").exists()
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(worker, signal.SIGKILL)


def _reap(pid: int) -> None:
    """The orphan is re-parented to init, or to this test when it runs as a subreaper."""
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)
