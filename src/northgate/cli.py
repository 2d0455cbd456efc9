"""The ``northgate`` command: serve, migrate, export-static."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

import click
from pydantic import ValidationError

from northgate.settings import ServerName, Settings, describe_invalid

APP_FACTORY = "northgate.app:create_app"
# The exit status of a command refused for an invalid setting (click's for a usage error).
INVALID_SETTING = 2
log = logging.getLogger("northgate")


class _Northgate(click.Group):
    """Every command reads the settings; an invalid one is the operator's to fix, so it is
    one line on stderr and status 2, not a traceback that systemd's journal buries it in."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except ValidationError as error:
            if error.title != Settings.__name__:
                raise  # another model's error is a bug, with its traceback
            click.echo(f"northgate: invalid setting: {describe_invalid(error)}", err=True)
            ctx.exit(INVALID_SETTING)


@click.group(cls=_Northgate)
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


def _warn_without_public_origin(settings: Settings, what: str) -> None:
    """Commands that write links but serve nothing cannot know the address people use."""
    if not os.environ.get("NORTHGATE_PUBLIC_ORIGIN"):
        log.warning(
            "NORTHGATE_PUBLIC_ORIGIN is not set: %s use %s (NORTHGATE_HOST and NORTHGATE_PORT)",
            what,
            settings.public_origin,
        )


def _stop_on_signals() -> asyncio.Event:
    """An event set by SIGINT or SIGTERM, for a command's event loop to wait on."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    return stop


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
    from northgate.origin import disagreement

    settings = _export_to_environment(
        host=host, port=port, workers=workers, server=server, database_url=database_url
    )
    reason = disagreement(settings.public_origin, settings.host, settings.port)
    if reason is not None:
        log.warning(reason)
    click.echo(
        f"Northgate on http://{settings.host}:{settings.port} "
        f"({settings.server}, {settings.workers} worker(s))"
    )
    run_server(settings.server, settings.host, settings.port, settings.workers)


def run_server(
    server: ServerName, host: str, port: int, workers: int, target: str = APP_FACTORY
) -> None:
    """Serve ``target`` (an app factory) the way production does; benchmarks reuse it.

    Workers build it through :mod:`northgate.lifeline`, so that they exit with this process.
    """
    from northgate import lifeline
    from northgate.ops.processes import per_run_directory

    target = lifeline.prepare(target)
    # Every worker writes its metrics where the one answering /metrics reads them all.
    with per_run_directory():
        _serve(server, host, port, workers, target)


def _serve(server: ServerName, host: str, port: int, workers: int, target: str) -> None:
    if server == "granian":
        from granian import Granian
        from granian.constants import Interfaces

        Granian(
            target,
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
            target,
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
    from northgate.composition import build

    settings = _export_to_environment(database_url=database_url)
    _warn_without_public_origin(settings, "links in e-mails")

    async def run() -> None:
        services = build(settings)
        try:
            if once:
                ran = await services.worker.run_once()
                settled = await services.payments.reconcile()
                click.echo(f"ran {ran} job(s), settled {settled} payment(s)")
                return
            stop = _stop_on_signals()
            click.echo("worker running; Ctrl-C to stop")
            await services.worker.run_forever(stop)
        finally:
            await services.aclose()

    asyncio.run(run())


@main.command("edge-log")
@click.argument("socket_path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--database-url", help="sqlite:///PATH or postgresql://… [NORTHGATE_DATABASE_URL]")
def edge_log(socket_path: Path, database_url: str | None) -> None:
    """Count the arrivals nginx answers by itself (deploy/nginx/northgate.conf sends them)."""
    from northgate.analytics.capture.edge_log import EdgeLogReader, bind_socket
    from northgate.composition import build

    services = build(_export_to_environment(database_url=database_url))
    analytics = services.analytics
    sock = bind_socket(socket_path)

    async def run() -> None:
        loop = asyncio.get_running_loop()
        reader = EdgeLogReader(analytics.recorder)
        loop.add_reader(sock.fileno(), reader.read, sock)
        await analytics.start()
        stop = _stop_on_signals()
        click.echo(f"counting nginx's own answers from {socket_path}; Ctrl-C to stop")
        try:
            await stop.wait()
        finally:
            loop.remove_reader(sock.fileno())
            reader.drain(sock)
            sock.close()
            await analytics.stop()  # the last flush
            await services.aclose()
            click.echo(f"recorded {reader.recorded:,} arrivals ({reader.rejected} rejected)")

    try:
        asyncio.run(run())
    finally:
        socket_path.unlink(missing_ok=True)


@main.command("edge-log-dropped")
@click.argument(
    "error_logs",
    nargs=-1,
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
)
def edge_log_dropped(error_logs: tuple[Path, ...]) -> None:
    """Count the arrivals nginx could not send to `edge-log` (from nginx's error log)."""
    import gzip

    from northgate.analytics.capture.edge_drops import count_dropped, describe
    from northgate.analytics.capture.sections import SectionClassifier
    from northgate.site.render import build_site

    settings = Settings()
    site = build_site(node_modules=settings.node_modules, public_origin=settings.public_origin)
    classify = SectionClassifier(site.addresses())

    def lines() -> Iterator[bytes]:
        for path in error_logs:  # logrotate compresses the older ones
            with gzip.open(path) if path.suffix == ".gz" else path.open("rb") as log_file:
                yield from log_file

    dropped = count_dropped(lines(), classify)
    click.echo(describe(dropped, ", ".join(str(path) for path in error_logs)))


@main.command("edge-keys")
@click.argument("target", type=click.Path(dir_okay=False, path_type=Path))
def edge_keys(target: Path) -> None:
    """Write what the nginx edge needs to keep the line (deploy/nginx/): the derived keys of
    passes and places (never the secret), the event, Redis and the route map, as JSON
    readable by its owner only (nginx's master reads it as root). Re-run after changing
    the secret, the event, Redis or the routes, then reload nginx."""
    from northgate.edge.gate.edge_config import write_edge_config

    write_edge_config(Settings(), target)
    click.echo(f"wrote the edge's keys and route map to {target}")


@main.command("export-static")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--public-origin", help="Origin for canonical links [NORTHGATE_PUBLIC_ORIGIN]")
def export_static(directory: Path, public_origin: str | None) -> None:
    """Write the information pages as files for nginx or a CDN (see deploy/nginx/)."""
    from northgate.site.export import export_site
    from northgate.site.render import build_site

    settings = _export_to_environment(public_origin=public_origin)
    _warn_without_public_origin(settings, "canonical links")
    site = build_site(node_modules=settings.node_modules, public_origin=settings.public_origin)
    written = export_site(site, directory)
    click.echo(f"wrote {len(written)} files to {directory}")


class IsoDateTime(click.ParamType[datetime]):
    """ISO 8601 date and time, with an optional offset (``Z``, ``-05:00``)."""

    name = "datetime"

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> datetime:
        if isinstance(value, datetime):
            return value
        try:
            return datetime.fromisoformat(str(value))
        except ValueError:
            self.fail(
                f"{value!r} is not an ISO 8601 date and time, e.g. 2026-11-08T23:00-05:00",
                param,
                ctx,
            )


@main.command()
@click.option("--hours", type=float, help="The last N hours [default: live]")
@click.option(
    "--start",
    type=IsoDateTime(),
    help="Start, ISO 8601, e.g. 2026-11-08T23:00-05:00 (UTC unless an offset is given)",
)
@click.option("--end", type=IsoDateTime(), help="End, like --start [default: now]")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of tables")
@click.option(
    "--png",
    "png_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Also write the charts as PNG files into this directory",
)
@click.option("--database-url", help="sqlite:///PATH or postgresql://… [NORTHGATE_DATABASE_URL]")
def report(
    hours: float | None,
    start: datetime | None,
    end: datetime | None,
    as_json: bool,
    png_dir: Path | None,
    database_url: str | None,
) -> None:
    """Who came, to which section, from where, served or turned away; same time last week."""
    from northgate.analytics.command import choose, produce
    from northgate.analytics.report.model import Report
    from northgate.analytics.report.periods import PeriodError
    from northgate.composition import build

    services = build(_export_to_environment(database_url=database_url))
    kept = timedelta(days=services.settings.analytics_hour_retention_days)
    try:
        period = choose(hours, start, end, now=services.clock(), kept=kept)
    except PeriodError as error:
        raise click.UsageError(str(error)) from error

    async def load() -> Report:
        try:
            return await services.analytics.reports.report(period)
        finally:
            await services.aclose()

    reports = services.analytics.reports
    click.echo(produce(asyncio.run(load()), reports.timezone, as_json=as_json, png_dir=png_dir))


@main.group()
def gate() -> None:
    """Read or change the admission gate's limits at run time (no restart).

    \b
    Where: a node's admin endpoint, at --url or NORTHGATE_GATE_URL (default
    http://NORTHGATE_HOST:NORTHGATE_PORT), with the nodes' NORTHGATE_GATE_ADMIN_TOKEN
    in the environment; a change reaches every node within a second through Redis.
    Or --direct: straight in Redis (NORTHGATE_REDIS_URL), no node or token needed.

    \b
    Limits (northgate gate set NAME=VALUE ...):
      enabled                true: a waiting room when the service is full;
                             false: no gate, everyone straight in
      mode                   fixed: admit admissions_per_minute; adaptive: that rate
                             is a ceiling and a learned concurrency limit sets the pace
      max_active             visitors holding a pass at once
      admissions_per_minute  new visitors let in per minute (all nodes together)
      limit_floor, limit_ceiling  bounds of the adaptive concurrency limit
      poll_seconds           how often the waiting room refreshes
      abandon_after          seconds without a refresh before a place is given up
      opens_at               Unix time the line first opens; arrivals before it wait
                             and get places in random order; 0: open now

    \b
    Open or close the line:
      northgate gate set enabled=false     everyone straight in (no waiting room)
      northgate gate set enabled=true      the waiting room again
      northgate gate set opens_at=0        open a line held for an opening time now
      northgate gate set mode=fixed admissions_per_minute=60   let people in slowly
    """


_URL_HELP = "A node's address [NORTHGATE_GATE_URL, default http://NORTHGATE_HOST:NORTHGATE_PORT]"


def _gate_options(command: Callable[..., None]) -> Callable[..., None]:
    command = click.option("--url", envvar="NORTHGATE_GATE_URL", help=_URL_HELP)(command)
    command = click.option(
        "--direct", is_flag=True, help="Use Redis (NORTHGATE_REDIS_URL) instead of a node"
    )(command)
    return command


@gate.command("show", short_help="Print the limits, gauges and counters as JSON.")
@_gate_options
def gate_show(url: str | None, direct: bool) -> None:
    """Print the gate's limits, gauges and counters as JSON (see `northgate gate --help`)."""
    _gate_run(url, direct, None)


@gate.command("set", short_help="Change limits: NAME=VALUE ...")
@click.argument("assignments", nargs=-1, required=True)
@_gate_options
def gate_set(assignments: tuple[str, ...], url: str | None, direct: bool) -> None:
    """Change limits, e.g. `northgate gate set admissions_per_minute=600 mode=fixed`.

    The limits and how to open or close the line: `northgate gate --help`.
    """
    from northgate.edge.gate.command import CommandError, parse_assignments

    try:
        values = parse_assignments(assignments)
    except CommandError as error:
        raise click.BadParameter(str(error)) from error
    _gate_run(url, direct, values)


def _gate_run(url: str | None, direct: bool, values: dict[str, str] | None) -> None:
    import json

    from northgate.edge.gate import command
    from northgate.edge.gate.config import InvalidLimits

    settings = Settings()
    try:
        if direct:
            result = command.direct(settings, values)
        else:
            base = (url or f"http://{settings.host}:{settings.port}").rstrip("/")
            token = settings.gate_admin_token.get_secret_value()
            result = command.on_node(base, token, values)
    except (command.CommandError, InvalidLimits) as error:
        raise click.ClickException(str(error)) from error
    click.echo(json.dumps(result, indent=2))


def _redact(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
