"""``earmark backup PATH`` and ``earmark restore PATH``: a whole database to a
file and back, while the server serves it (:mod:`earmark.store.backup` says
how, for each kind of database)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from earmark.cli.common import DatabaseOption, database_url, fail

PathArgument = Annotated[Path, typer.Argument(metavar="PATH", show_default=False)]


def register(app: typer.Typer) -> None:
    app.command("backup")(backup)
    app.command("restore")(restore)


def backup(path: PathArgument, database: DatabaseOption = None) -> None:
    """Write a backup of the database to PATH (a SQLite file, or pg_dump's
    custom format for PostgreSQL), without stopping the server.

    Example: earmark backup --database sqlite:///earmark.db earmark-2026-01-05.db
    """
    from earmark.service import backups

    url = database_url(database)
    try:
        done = backups.backup(url, path)
    except backups.BackupError as error:
        fail(str(error))
    typer.echo(f"backed up {backups.url_without_password(url)} to {done.path} "
               f"({done.kind}, {done.size_bytes} bytes)")


def restore(
    path: PathArgument,
    database: DatabaseOption = None,
    force: Annotated[bool, typer.Option(
        "--force", help="Replace a database that holds data.")] = False,
) -> None:
    """Restore the backup at PATH into the database. A database that holds data
    is replaced only with --force; run `earmark check` on it afterwards.

    Example: earmark restore --database sqlite:///copy.db earmark-2026-01-05.db
    """
    from earmark.service import backups

    url = database_url(database)
    if not path.is_file():
        fail(f"{path}: no such file")
    try:
        done = backups.restore(url, path, force=force)
    except backups.BackupError as error:
        fail(str(error))
    typer.echo(f"restored {done.path} into {backups.url_without_password(url)} ({done.kind})")
