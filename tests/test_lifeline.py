"""A worker whose server is already gone when it builds the app exits, even with the
SIGTERM handler it inherited from the server's main process (granian forks its workers)."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap

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
