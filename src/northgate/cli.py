"""The ``northgate`` command: serve, migrate, export-static."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import click

from northgate.settings import ServerName, Settings

APP_FACTORY = "northgate.app:create_app"


@click.group()
@click.option(
    "--log-level",
    default="info",
    show_default=True,
    type=click.Choice(["debug", "info", "warning", "error"]),
)
def main(log_level: str) -> None:
    """Northgate: immigration information site and eTA portal."""
    logging.basicConfig(
        level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )


def _export_to_environment(**options: object) -> Settings:
    """Put CLI flags in the environment so that every worker process reads the same settings."""
    for name, value in options.items():
        if value is not None:
            os.environ[f"NORTHGATE_{name.upper()}"] = str(value)
    return Settings()


@main.command()
@click.option("--host", help="Address to listen on [NORTHGATE_HOST, default 127.0.0.1]")
@click.option("--port", type=int, help="Port [NORTHGATE_PORT, default 8000]")
@click.option("--workers", type=click.IntRange(1, 64), help="Worker processes [NORTHGATE_WORKERS]")
@click.option(
    "--server",
    type=click.Choice(["granian", "uvicorn"]),
    help="ASGI server [NORTHGATE_SERVER, default granian: faster in `make bench`]",
)
@click.option("--database-url", help="sqlite:///PATH or postgresql://… [NORTHGATE_DATABASE_URL]")
def serve(
    host: str | None,
    port: int | None,
    workers: int | None,
    server: str | None,
    database_url: str | None,
) -> None:
    """Serve the portal."""
    settings = _export_to_environment(
        host=host, port=port, workers=workers, server=server, database_url=database_url
    )
    click.echo(
        f"Northgate on http://{settings.host}:{settings.port} "
        f"({settings.server}, {settings.workers} worker(s))"
    )
    run_server(settings.server, settings.host, settings.port, settings.workers)


def run_server(server: ServerName, host: str, port: int, workers: int) -> None:
    if server == "granian":
        from granian import Granian
        from granian.constants import Interfaces

        Granian(
            APP_FACTORY,
            factory=True,
            interface=Interfaces.ASGI,
            address=host,
            port=port,
            workers=workers,
            log_access=False,
        ).serve()
    else:
        import uvicorn

        uvicorn.run(
            APP_FACTORY,
            factory=True,
            host=host,
            port=port,
            workers=workers,
            loop="uvloop",
            http="httptools",
            access_log=False,
            proxy_headers=False,
            server_header=False,
        )


@main.command()
@click.option("--database-url", help="sqlite:///PATH or postgresql://… [NORTHGATE_DATABASE_URL]")
@click.option("--revision", default="head", show_default=True)
def migrate(database_url: str | None, revision: str) -> None:
    """Create or upgrade the database schema."""
    from northgate.storage.migrate import upgrade

    settings = _export_to_environment(database_url=database_url)
    upgrade(settings.effective_database_url, revision)
    click.echo(f"database at {revision}: {_redact(settings.effective_database_url)}")


@main.command()
@click.option("--database-url", help="sqlite:///PATH or postgresql://… [NORTHGATE_DATABASE_URL]")
@click.option("--once", is_flag=True, help="Run the jobs that are due, then exit.")
def worker(database_url: str | None, once: bool) -> None:
    """Run jobs: decisions, e-mails, payment reconciliation (production: several of these)."""
    import asyncio
    import signal

    from northgate.services import build_services
    from northgate.storage.db import Database

    settings = _export_to_environment(database_url=database_url)

    async def run() -> None:
        database = Database(settings.effective_database_url)
        services = build_services(settings, database)
        try:
            if once:
                ran = await services.worker.run_once()
                settled = await services.payments.reconcile()
                click.echo(f"ran {ran} job(s), settled {settled} payment(s)")
                return
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for signum in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(signum, stop.set)
            click.echo("worker running; Ctrl-C to stop")
            await services.worker.run_forever(stop)
        finally:
            await database.close()

    asyncio.run(run())


@main.command("export-static")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--public-origin", help="Origin for canonical links [NORTHGATE_PUBLIC_ORIGIN]")
def export_static(directory: Path, public_origin: str | None) -> None:
    """Write the information pages as files for nginx or a CDN (see deploy/nginx/)."""
    from northgate.site.export import export_site
    from northgate.site.render import build_site

    settings = _export_to_environment(public_origin=public_origin)
    site = build_site(node_modules=settings.node_modules, public_origin=settings.public_origin)
    written = export_site(site, directory)
    click.echo(f"wrote {len(written)} files to {directory}")


def _redact(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
