"""The ``earmark`` command: serve, demo, check, and the resource commands."""

from __future__ import annotations

import typer
from rich.console import Console

from earmark.cli.common import DatabaseOption, open_store

app = typer.Typer(
    name="earmark",
    help="earmark: inventory promising — backorders with a real queue, and commitments.",
    no_args_is_help=True,
    add_completion=False,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
app.add_typer(db_app, name="db")
console = Console()


@db_app.command("upgrade")
def db_upgrade(database: DatabaseOption = None) -> None:
    """Run the schema migrations up to the newest.

    Example: earmark db upgrade --database postgresql://postgres@127.0.0.1/earmark
    """
    store = open_store(database)
    console.print(f"[green]schema is current[/green] ({store.dialect})")
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
    for finding in findings:
        console.print(f"[red]FAIL[/red] {finding}")
    if findings:
        console.print(f"{len(findings)} problem(s) in {checked} position(s)")
        raise typer.Exit(1)
    console.print(f"[green]ok[/green]: {checked} position(s), every invariant holds")


def run() -> None:
    app()


if __name__ == "__main__":
    run()
