"""The ``earmark`` command: serve, demo, check, and one command per operation
of the HTTP API (``cli/resources.py``, ``supply.py``, ``demand.py``,
``events.py``, ``forecast.py``), import and export (``exchange.py``).

Each command module imports only Typer and the CLI's own helpers when it
loads; what a command needs it imports when it runs, so ``earmark --help``
answers at once (a test holds the import time of this module to a budget).
A command is one function, registered by its module's ``register``."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Annotated

import typer

from earmark.cli import (
    backups,
    demand,
    events,
    exchange,
    forecast,
    keys,
    reports,
    resources,
    simulate,
    supply,
)
from earmark.cli.common import DatabaseOption, chosen, database_url, group, open_store

if TYPE_CHECKING:
    from rich.console import Console

app = group("earmark: inventory promising — backorders with a real queue, and commitments.")
db_app = group("Database schema.")
app.add_typer(db_app, name="db")
resources.register(app)
supply.register(app)
demand.register(app)
events.register(app)
forecast.register(app)
reports.register(app)
simulate.register(app)
backups.register(app)
keys.register(app)
app.command("import")(exchange.import_csv)
app.command("export")(exchange.export)


@app.callback()
def main(database: DatabaseOption = None) -> None:
    """earmark: inventory promising — backorders with a real queue, and commitments.

    Every command takes --database (a URL, or a SQLite file); given here, before
    the command, it holds for the command: earmark --database demo.db backorders
    """
    chosen.database = database
    from earmark.service.actor import CLI, set_actor

    # What a command changes is recorded as done by the CLI (the audit trail);
    # serve and dispatch act as the system instead.
    set_actor(CLI)


def _console() -> Console:
    from rich.console import Console

    return Console()


@db_app.command("upgrade")
def db_upgrade(database: DatabaseOption = None) -> None:
    """Run the schema migrations up to the newest.

    Example: earmark db upgrade --database postgresql://postgres@127.0.0.1/earmark
    """
    store = open_store(database, create=True)
    _console().print(f"[green]schema is current[/green] ({store.dialect})")
    store.dispose()


@app.command()
def check(database: DatabaseOption = None) -> None:
    """Prove every invariant of DESIGN.md on a database; exit 1 naming each failure.

    Example: earmark check --database sqlite:///earmark.db
    """
    from earmark.service.check import check_store

    store = open_store(database)
    try:
        checked, findings = check_store(store)
    finally:
        store.dispose()
    console = _console()
    for finding in findings:
        console.print(f"[red]FAIL[/red] {finding}")
    if findings:
        console.print(f"{len(findings)} problem(s) in {checked} position(s)")
        raise typer.Exit(1)
    console.print(f"[green]ok[/green]: {checked} position(s), every invariant holds")


def _serve(database_url: str, host: str, port: int, banner: list[str] | None = None,
           workers: int | None = None) -> None:
    from earmark.api.server import UnsafeBind, serve
    from earmark.service.actor import SYSTEM, set_actor
    from earmark.settings import Settings

    set_actor(SYSTEM)  # requests act as their keys; background jobs as the system

    settings = Settings().model_copy(update={"database_url": database_url})

    console = _console()

    def show_banner() -> None:
        for line in banner or []:
            # soft_wrap: a long curl command must stay one line to be copied.
            console.print(line, soft_wrap=True)

    try:
        serve(settings, host, port, workers=workers, log_level="warning", ready=show_banner)
    except UnsafeBind:
        console.print(
            f"[red]refusing to listen on {host}[/red]: no API keys are configured. "
            "Set EARMARK_API_KEYS (comma-separated) or make one with earmark keys create "
            "to serve beyond this machine."
        )
        raise typer.Exit(2) from None


HostOption = Annotated[str, typer.Option(help="Address to listen on.")]
PortOption = Annotated[int, typer.Option(help="Port to listen on.")]


@app.command()
def serve(
    database: DatabaseOption = None,
    host: HostOption = "127.0.0.1",
    port: PortOption = 8000,
    workers: Annotated[int | None, typer.Option(
        min=1, help="Server processes (default: one per core on PostgreSQL, 1 on SQLite; "
        "1 is fastest for a flash sale on few skus).")
    ] = None,
) -> None:
    """Serve the HTTP API (migrations run on start).

    Example: EARMARK_TODAY=2026-01-05 earmark serve --database sqlite:///earmark.db --port 8000
    """
    url = database_url(database)
    open_store(database, create=True).dispose()  # made and upgraded here, before it listens
    base = f"http://{host}:{port}"
    _serve(url, host, port, workers=workers, banner=[
        f"earmark listening on {base} ({url})",
        f"dashboard: {base}/   API: {base}/v1   docs: {base}/docs"])


@app.command()
def dispatch(database: DatabaseOption = None) -> None:
    """Deliver events (webhooks, NATS, notices, e-mail) until Ctrl-C or SIGTERM.

    `earmark serve` runs the same dispatcher in-process; running both is safe.
    Example: earmark dispatch --database postgresql://postgres@127.0.0.1/earmark
    """
    from earmark.notify.dispatcher import run_until_stopped
    from earmark.service.actor import SYSTEM, set_actor
    from earmark.settings import Settings

    set_actor(SYSTEM)

    store = open_store(database)
    _console().print(f"earmark dispatching events from {database_url(database)}")
    try:
        run_until_stopped(store, Settings())
    finally:
        store.dispose()


@app.command()
def demo(
    host: HostOption = "127.0.0.1",
    port: PortOption = 8000,
    file: Annotated[str, typer.Option(help="SQLite file for the demo (made anew).")] = "demo.db",
) -> None:
    """Run the server on a fresh SQLite file loaded with the demo data.

    Example: earmark demo --port 8000
    """
    import os
    from pathlib import Path

    from earmark.demo.data import DEMO_TODAY, load
    from earmark.forecast.worker import RunLauncher, start_in_background
    from earmark.service.clock import Clock
    from earmark.service.uow import Store
    from earmark.settings import Settings

    for suffix in ("", "-wal", "-shm"):
        Path(file + suffix).unlink(missing_ok=True)
    os.environ["EARMARK_TODAY"] = DEMO_TODAY.isoformat()
    url = f"sqlite:///{file}"
    # Loaded as if it happened on the demo's day: its events read so.
    store = Store(url, Clock(frozen=DEMO_TODAY, stamps_today=True))
    store.upgrade()
    steps = load(store)
    # The demo's forecasts are made in the background, by a process of their own
    # (a few seconds), while the server comes up; stopping the demo stops it.
    launcher = RunLauncher(Settings())
    run_id = start_in_background(store, launcher)
    store.dispose()
    base = f"http://{host}:{port}"
    cli = f"{_command_name()} --database {file}"
    _serve(url, host, port, banner=[
        f"[bold green]earmark demo[/bold green] — {steps} commands loaded into {file}, "
        f"today is frozen at {DEMO_TODAY.isoformat()} (stored with the database)",
        f"Dashboard: [bold]{base}/[/bold]   API: {base}/v1   docs: {base}/docs",
        "Try, in another terminal (the CLI opens the same database, on the same day):",
        f"  {cli} availability BEAM-W12 --location YARD",
        f"  {cli} backorders --sku COAT-ASTRID-M",
        f"  {cli} commitments show C-STEEL-Q2",
        f"  {cli} receipts move MILL-MAR --to 2026-05-01",
        f"  {cli} events tail --type commitment.at_risk",
        f"  curl -s '{base}/v1/availability/BEAM-W12?location=YARD'",
        f"  curl -s {base}/v1/forecast-runs/{run_id}   (the demo's forecast run, in the background)",
        "Ctrl-C stops the server.",
    ])


def _command_name() -> str:
    """How to call this command again from here: ``earmark`` when that is what
    the shell finds, else the path it was started by (``.venv/bin/earmark``)."""
    import shutil
    from pathlib import Path

    started = Path(sys.argv[0])
    found = shutil.which("earmark")
    if found and Path(found).resolve() == started.resolve():
        return "earmark"
    try:
        return str(started.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(started)


def run() -> None:
    """The console script. A bug must still not print a traceback at a user:
    one line says what failed (EARMARK_DEBUG=1 shows the traceback)."""
    try:
        app()
    except Exception as error:
        if os.environ.get("EARMARK_DEBUG"):
            raise
        print(f"earmark: internal error ({type(error).__name__}: {error}); this is a bug "
              "(EARMARK_DEBUG=1 shows where)", file=sys.stderr)
        sys.exit(70)


if __name__ == "__main__":
    run()
