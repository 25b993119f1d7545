"""Backups of a whole database, taken while the server serves it, and
restores of them (``earmark backup`` / ``earmark restore``).

- SQLite: SQLite's online backup API (``sqlite3.Connection.backup``) copies
  the pages of one consistent snapshot while writers go on; the copy is a
  plain SQLite file, written beside the target and renamed over it, so a
  backup cut short never leaves half a file under the name asked for.
- PostgreSQL: ``pg_dump --format=custom`` (one snapshot, taken without
  stopping anyone) and ``pg_restore --clean --if-exists --single-transaction``
  into the database of the URL: a restore that fails changes nothing.

A restore never overwrites a database that holds data unless told to
(``force``): a mistyped URL must not wipe a shop's promises. A backup of one
kind is refused for a database of the other.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from sqlalchemy import inspect, make_url, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from earmark.store import tables as t
from earmark.store.db import dialect_name, make_engine, normalise_url

Kind = Literal["sqlite", "postgresql"]

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_DUMP_MAGIC = b"PGDMP"
PAGES_PER_STEP = 1024
"""Pages the SQLite backup copies at a time: between steps, writers may commit."""
TOOL_TIMEOUT_S = 3600

DATA_TABLES = (t.items, t.locations, t.accounts, t.events)
"""A database with a row in any of these holds data a restore would destroy."""


class BackupError(Exception):
    """A backup or restore that cannot be done; nothing was changed."""


@dataclass(frozen=True)
class BackupDone:
    kind: Kind
    path: Path
    size_bytes: int


def backup(url: str, path: Path) -> BackupDone:
    """Write a backup of the database at ``url`` to ``path`` (replacing it)."""
    kind = _kind(url)
    if not path.parent.is_dir():
        raise BackupError(f"{path.parent} is not a directory")
    if kind == "sqlite":
        _sqlite_backup(_sqlite_path(url), path)
    else:
        _pg_backup(url, path)
    return BackupDone(kind, path, path.stat().st_size)


def restore(url: str, path: Path, *, force: bool = False) -> BackupDone:
    """Restore the backup at ``path`` into the database at ``url``.

    Raises :class:`BackupError` when the backup is not one of this kind of
    database, or when the database holds data and ``force`` is not given."""
    kind = _kind(url)
    found = backup_kind(path)
    if found is None:
        raise BackupError(f"{path} is not an earmark backup (neither SQLite nor pg_dump's format)")
    if found != kind:
        raise BackupError(f"{path} is a {found} backup; {url_without_password(url)} is {kind}")
    if not force and holds_data(url):
        raise BackupError(f"{url_without_password(url)} holds data; --force replaces it "
                          "with the backup")
    if kind == "sqlite":
        _sqlite_restore(path, _sqlite_path(url))
    else:
        _pg_restore(url, path)
    return BackupDone(kind, path, path.stat().st_size)


def backup_kind(path: Path) -> Kind | None:
    """What kind of backup the file is, from its first bytes."""
    try:
        with path.open("rb") as file:
            head = file.read(len(SQLITE_MAGIC))
    except OSError as error:
        raise BackupError(f"cannot read {path}: {error.strerror}") from error
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PG_DUMP_MAGIC):
        return "postgresql"
    return None


def holds_data(url: str) -> bool:
    """Whether the database has earmark's tables with a row in any of :data:`DATA_TABLES`
    (a database just created, or with only the schema, holds none)."""
    if _kind(url) == "sqlite":
        file = _sqlite_path(url)
        if not file.exists() or file.stat().st_size == 0:
            return False
    engine = make_engine(url)
    try:
        return _holds_data(engine)
    except SQLAlchemyError as error:
        first_line = str(error.orig if isinstance(error, DBAPIError) else error).splitlines()[:1]
        raise BackupError(f"cannot open {url_without_password(url)}: "
                          f"{first_line[0] if first_line else type(error).__name__}") from error
    finally:
        engine.dispose()


def _holds_data(engine: Engine) -> bool:
    with engine.connect() as connection:
        present = set(inspect(connection).get_table_names())
        return any(
            connection.execute(select(text("1")).select_from(table).limit(1)).first() is not None
            for table in DATA_TABLES if table.name in present)


def url_without_password(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def _kind(url: str) -> Kind:
    return "postgresql" if dialect_name(url) == "postgresql" else "sqlite"


def _sqlite_path(url: str) -> Path:
    database = make_url(normalise_url(url)).database
    if not database or database == ":memory:":
        raise BackupError("an in-memory database has nothing to back up or restore into")
    return Path(database)


# SQLite


def _sqlite_backup(source: Path, target: Path) -> None:
    if not source.exists():
        raise BackupError(f"{source} does not exist")
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    reading = sqlite3.connect(source, timeout=60)
    writing = sqlite3.connect(partial)
    try:
        reading.backup(writing, pages=PAGES_PER_STEP)
        # A self-contained file: no WAL beside it to forget when it is copied on.
        writing.execute("PRAGMA journal_mode=DELETE")
    except sqlite3.Error as error:
        partial.unlink(missing_ok=True)
        raise BackupError(f"cannot back up {source}: {error}") from error
    finally:
        writing.close()
        reading.close()
    os.replace(partial, target)


def _sqlite_restore(backup_file: Path, target: Path) -> None:
    reading = sqlite3.connect(f"file:{backup_file}?mode=ro", uri=True)
    try:
        if "alembic_version" not in {row[0] for row in reading.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'")}:
            raise BackupError(f"{backup_file} is a SQLite file but not an earmark database")
        target.parent.mkdir(parents=True, exist_ok=True)
        writing = sqlite3.connect(target, timeout=60)
        try:
            # Page by page into the live file, under its write lock: a reader
            # sees the old database or the restored one, never a mixture.
            reading.backup(writing)
        except sqlite3.Error as error:
            raise BackupError(f"cannot restore into {target}: {error}") from error
        finally:
            writing.close()
    finally:
        reading.close()


# PostgreSQL


def libpq_url(url: str) -> str:
    """The URL as pg_dump and pg_restore read it (no ``+psycopg`` driver suffix)."""
    return normalise_url(url).replace("postgresql+psycopg://", "postgresql://", 1)


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"{name} is not installed; it comes with PostgreSQL's client tools "
                          "(Debian: apt install postgresql-client)")
    return found


def _run(arguments: list[str]) -> None:
    done = subprocess.run(arguments, capture_output=True, text=True, timeout=TOOL_TIMEOUT_S)
    if done.returncode != 0:
        raise BackupError(f"{Path(arguments[0]).name} failed: {done.stderr.strip()}")


def _pg_backup(url: str, target: Path) -> None:
    partial = target.with_name(target.name + ".partial")
    _run([_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges",
          f"--file={partial}", f"--dbname={libpq_url(url)}"])
    os.replace(partial, target)


def _pg_restore(url: str, backup_file: Path) -> None:
    _run([_tool("pg_restore"), "--clean", "--if-exists", "--single-transaction",
          "--no-owner", "--no-privileges", f"--dbname={libpq_url(url)}", str(backup_file)])
