"""A server's worker processes exit with the main process that started them.

`northgate serve --workers N` runs the application in N child processes of one main
process (granian's or uvicorn's). When the main process dies without stopping them
(kill -9, the OOM killer), the workers were re-parented to init and went on serving the
port as orphans: outside the restarted service's control, with old code and settings.
Each worker therefore asks the kernel to send it SIGTERM (its orderly shutdown: in-flight
requests, then the analytics' last flush) when its parent dies, with prctl(2)
PR_SET_PDEATHSIG, and a watchdog thread watches the parent's pid as well (below).

Granian forks its workers, and a forked worker keeps its main process's SIGTERM handler
(which only sets a flag in the worker's copy of the main loop) until it installs its own
after the app is built. A SIGTERM in that window was swallowed and the worker served on as
an orphan; so the worker first returns SIGTERM to its default action: before the server
takes it over, there is nothing in flight to finish.

A signal can still be lost or its orderly stop hang (a window inside the server we do not
control; seen once under a loaded CI machine), so a watchdog thread backs both up: once the
parent is gone it sends SIGTERM itself and, if the worker is still there after
:data:`GRACE_SECONDS`, ends it. Orphans live for seconds at most, whatever the server does.

The server is given :data:`FACTORY`, which does that and then builds the real app (the
target the caller chose), so every caller of :func:`northgate.cli.run_server` is covered.
"""

from __future__ import annotations

import ctypes
import importlib
import os
import signal
import sys
import threading
import time
from typing import Final

from northgate.core.asgi import ASGIApp

FACTORY: Final = "northgate.lifeline:create_app"
# Set by the main process for its workers (they inherit the environment).
_SERVER_PID: Final = "_NORTHGATE_SERVER_PID"
_TARGET: Final = "_NORTHGATE_APP_FACTORY"
_PR_SET_PDEATHSIG: Final = 1  # <linux/prctl.h>
_WATCH_SECONDS: Final = 0.5
# Time for the orderly stop (in-flight requests, the analytics' last flush) before the
# watchdog ends the worker: well inside systemd's 30 s stop timeout.
GRACE_SECONDS: Final = 10.0


def prepare(target: str) -> str:
    """In the main process, before the server starts: the factory to give the server."""
    os.environ[_SERVER_PID] = str(os.getpid())
    os.environ[_TARGET] = target
    return FACTORY


def create_app() -> ASGIApp:
    """The app factory a worker process runs: tie it to its parent, then build the app."""
    exit_with_server()
    module, _, name = os.environ[_TARGET].partition(":")
    factory = getattr(importlib.import_module(module), name)
    app: ASGIApp = factory()
    return app


def exit_with_server() -> None:
    server = int(os.environ.get(_SERVER_PID, "0"))
    if not server or server == os.getpid():
        return  # the app runs in the main process itself (one uvicorn process): no parent
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _parent_death_signal(signal.SIGTERM)
    # The parent may have died before the kernel was asked: then it is already gone.
    if os.getppid() != server:
        os.kill(os.getpid(), signal.SIGTERM)
    threading.Thread(target=_watch, args=(server,), name="lifeline", daemon=True).start()


def _parent_death_signal(signum: int) -> bool:
    if not sys.platform.startswith("linux"):
        return False
    libc = ctypes.CDLL(None, use_errno=True)
    return int(libc.prctl(_PR_SET_PDEATHSIG, signum, 0, 0, 0)) == 0


def _watch(server: int) -> None:
    while os.getppid() == server:
        time.sleep(_WATCH_SECONDS)
    os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(GRACE_SECONDS)
    print(
        f"northgate: server process {server} is gone and this worker ({os.getpid()}) did not "
        f"stop within {GRACE_SECONDS:.0f} s of SIGTERM: exiting now",
        file=sys.stderr,
        flush=True,
    )
    os._exit(1)
