"""The floor under Northgate: a bare ASGI function answering every request with one page.

It sends the same status, headers and body bytes that Northgate sent for the page (captured
at run time by ``bench.pages`` into a JSON file named by ``BENCH_BARE_PAGE``), with none of
Northgate's work: no middleware, no routing, no header scan. Whatever Northgate costs above
this is the cost of its own code, since the server and its options are the same.

Run it the way ``bench.pages`` does, from the project directory (the server's workers
import this module by name, so the project directory is on ``PYTHONPATH``)::

    BENCH_BARE_PAGE=page.json PYTHONPATH=. python -m bench.bare_app --server granian --port 8001

which starts the server through ``northgate.cli.run_server`` itself, pointed at this
module's ``create_app`` factory: same server, same options as ``northgate serve``.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
from pathlib import Path
from typing import Any, Literal

from northgate.core.asgi import ASGIApp, Message, Receive, Scope, Send

PAGE_ENV = "BENCH_BARE_PAGE"
FACTORY = "bench.bare_app:create_app"


def write_page(path: Path, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
    """Store a captured response for :func:`create_app` (used by ``bench.pages``)."""
    data = {
        "status": status,
        "headers": [[name, value] for name, value in headers],
        "body_base64": base64.b64encode(body).decode("ascii"),
    }
    path.write_text(json.dumps(data))


def _load_page(path: Path) -> tuple[Message, Message]:
    data: dict[str, Any] = json.loads(path.read_text())
    headers = [
        (name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in data["headers"]
    ]
    start: Message = {"type": "http.response.start", "status": data["status"], "headers": headers}
    body: Message = {"type": "http.response.body", "body": base64.b64decode(data["body_base64"])}
    return start, body


def create_app() -> ASGIApp:
    """The ASGI app, with its two messages built once from the page named by ``BENCH_BARE_PAGE``."""
    page = os.environ.get(PAGE_ENV)
    if not page:
        raise RuntimeError(f"set {PAGE_ENV} to a page file written by bare_app.write_page")
    start, body = _load_page(Path(page))

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await send(start)
            await send(body)
        elif scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return

    return app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--server", choices=["granian", "uvicorn"], default="granian")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args(argv)
    server: Literal["granian", "uvicorn"] = args.server

    create_app()  # fail here, with a clear message, rather than in a worker

    # Same server, same options as `northgate serve`: reuse its launcher, pointed at us.
    from northgate import cli

    cli.run_server(server, "127.0.0.1", args.port, args.workers, target=FACTORY)


if __name__ == "__main__":
    main()
