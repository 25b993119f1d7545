"""What every CLI command shares: the database it opens, how a command runs
through the service handlers (the same as the HTTP API's), how answers are
printed (``--format table|json|csv``) and how a refusal is told (one line on
stderr, exit 1; a usage error exits 2).

Only ``typer`` and the standard library are imported here at load time:
``earmark --help`` must not pay for SQLAlchemy, FastAPI or numpy. Everything
heavier is imported inside the functions that need it."""

from __future__ import annotations

import csv
import json
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, NoReturn, TypeVar

import typer

if TYPE_CHECKING:
    from earmark.service.results import Result
    from earmark.service.uow import Store, UnitOfWork

Command = TypeVar("Command")

DEFAULT_DATABASE_URL = "sqlite:///earmark.db"
"""As ``earmark.store.db.DEFAULT_DATABASE_URL`` (a test keeps the two equal)."""

DatabaseOption = Annotated[
    str | None,
    typer.Option(
        "--database",
        help="Database URL or SQLite file (default: the one given before the command, "
        "else $EARMARK_DATABASE_URL, else sqlite:///earmark.db).",
        show_default=False,
    ),
]

def group(help: str) -> typer.Typer:
    """A group of commands (``earmark orders ...``). Help is plain click text,
    not Rich: rendering it with Rich costs a third of a second of imports, and
    ``earmark --help`` must answer at once."""
    return typer.Typer(help=help, no_args_is_help=True, rich_markup_mode=None,
                       pretty_exceptions_enable=False, add_completion=False)


Format = Literal["table", "json", "csv"]
FormatOption = Annotated[Format, typer.Option("--format", help="How to print the answer.")]


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date; write it as YYYY-MM-DD") from None


Day = Annotated[date, typer.Argument(parser=_day, metavar="YYYY-MM-DD", show_default=False)]
"""A date argument: ISO, and a wrong one is a one-line usage error."""


def day_option(*names: str, help: str | None = None) -> Any:
    """A date option, as :data:`Day`."""
    return typer.Option(*names, parser=_day, metavar="YYYY-MM-DD", help=help)


SIGNED_NUMBERS: dict[str, Any] = {"ignore_unknown_options": True}
"""``context_settings`` of a command whose arguments may be negative numbers
(``earmark stock adjust SKU LOC -3``): ``-3`` is then an argument, not an
unknown option."""


# The database


@dataclass
class _Chosen:
    database: str | None = None
    """``earmark --database URL <command>``: the database named before the command."""


chosen = _Chosen()


def database_url(option: str | None) -> str:
    """The URL a command opens: its own ``--database``, else the one named before
    the command, else ``$EARMARK_DATABASE_URL``, else ``./earmark.db``. A bare
    path is a SQLite file."""
    url = option or chosen.database or os.environ.get("EARMARK_DATABASE_URL") \
        or DEFAULT_DATABASE_URL
    if "://" not in url:
        return f"sqlite:///{url}"
    return url


def fail(message: str, code: int = 1) -> NoReturn:
    """Tell a refusal in one line on stderr and stop."""
    typer.echo(f"earmark: {message}", err=True)
    raise typer.Exit(code)


def frozen_today() -> date | None:
    value = os.environ.get("EARMARK_TODAY")
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(f"EARMARK_TODAY={value!r} is not a date; write it as YYYY-MM-DD", 2)


def _sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL (None for an in-memory database or another dialect)."""
    if not url.startswith("sqlite"):
        return None
    path = url.split("://", 1)[1]
    path = path[1:] if path.startswith("/") else path
    path = path.split("?", 1)[0]
    return None if path in ("", ":memory:") else Path(path)


def open_store(option: str | None, *, create: bool = False) -> Store:
    """The store of the chosen database, its schema current, on its calendar.

    Only ``serve``, ``demo`` and ``db upgrade`` pass ``create``: any other
    command refuses a SQLite file that does not exist, so that a mistyped path
    does not make an empty database. The calendar is ``$EARMARK_TODAY`` if set,
    else the day the database's calendar is frozen at (the demo stores its
    day), else the real date."""
    url = database_url(option)
    if not url.startswith(("sqlite", "postgres")):
        fail(f"{url!r}: only sqlite:/// and postgresql:// databases are supported", 2)
    file = _sqlite_file(url)
    if file is not None and not create and not file.exists():
        fail(f"no database at {file} (a mistyped path?); `earmark db upgrade --database "
             f"{url}` makes a new one")
    from earmark.service.database import CannotOpen, open_database

    try:
        return open_database(url, frozen_today())
    except CannotOpen as error:
        fail(f"cannot open the database {url}: {error}")


@contextmanager
def opened(database: str | None) -> Iterator[Store]:
    """The chosen database's store, disposed of afterwards."""
    store = open_store(database)
    try:
        yield store
    finally:
        store.dispose()


@contextmanager
def reading(database: str | None) -> Iterator[UnitOfWork]:
    """A read-only unit of work on the chosen database."""
    with opened(database) as store, store.unit_of_work(write=False) as uow:
        yield uow


def run(database: str | None, handler: Callable[[UnitOfWork, Command], Result],
        command: Command) -> Result:
    """Run one command through its service handler, as the API does."""
    store = open_store(database)
    try:
        with store.unit_of_work() as uow:
            return handler(uow, command)
    finally:
        store.dispose()


def refused(result: Result) -> str:
    """A refusal in one line: the outcome, why, and the figures it names
    (a strict commitment's ``shortfall`` and ``earliest_date``)."""
    extra = ", ".join(f"{k} {cell(v)}" for k, v in result.extra.items())
    return f"{result.outcome.value}: {result.detail}" + (f" ({extra})" if extra else "")


def report(result: Result, fmt: Format = "json") -> Any:
    """Print a handler's answer, or its refusal in one line (exit 1)."""
    if not result.ok:
        fail(refused(result))
    show(result.value, fmt)
    return result.value


LimitOption = Annotated[int, typer.Option(min=1, max=1000, help="At most this many (one page).")]
CursorOption = Annotated[str | None, typer.Option(
    help="Continue after the page that printed this cursor.", show_default=False)]


def after(cursors: Any, cursor: str | None) -> Any:
    """The key a ``--cursor`` continues after (a cursor of the API's lists)."""
    from earmark.service.pages import InvalidCursor

    try:
        return cursors.decode(cursor)
    except InvalidCursor as error:
        fail(f"invalid: cursor {error}", 2)


def show_page(found: dict[str, Any], fmt: Format, *, columns: list[str] | None = None,
              title: str | None = None) -> None:
    """A page of a list; where more follow, the cursor that continues it, on stderr."""
    show_rows(found["items"], fmt, columns=columns, title=title)
    if found.get("next_cursor"):
        typer.echo(f"more: --cursor {found['next_cursor']}", err=True)


def done(result: Result, message: str) -> None:
    """A command whose answer is no resource (a removal): say it was done, or why not."""
    if not result.ok:
        fail(refused(result))
    typer.echo(message)


def need(found: dict[str, Any] | None, what: str) -> dict[str, Any]:
    if found is None:
        fail(f"not_found: no {what}")
    return found


# Printing


def cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return json.dumps(value, default=_plain, separators=(",", ":"))
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(_plain(value))


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if hasattr(value, "value"):  # an enum
        return value.value
    return str(value)


def to_json(value: Any) -> str:
    return json.dumps(value, default=_plain, indent=2)


def _console() -> Any:
    from rich.console import Console

    # Piped or redirected, a table keeps its natural width: nothing is cut or
    # wrapped to fit a terminal that is not there.
    return Console(width=None if sys.stdout.isatty() else 10_000, soft_wrap=False)


def _rich_table(title: str | None, rows: Sequence[dict[str, Any]], columns: list[str]) -> Any:
    from rich.table import Table

    table = Table(title=title, title_justify="left")
    for column in columns:
        numeric = any(isinstance(r.get(column), int) and not isinstance(r.get(column), bool)
                      for r in rows)
        table.add_column(column, justify="right" if numeric else "left",
                         overflow="fold" if sys.stdout.isatty() else "ignore")
    for row in rows:
        table.add_row(*[cell(row.get(c)) for c in columns])
    return table


def columns_of(rows: Sequence[dict[str, Any]]) -> list[str]:
    """Every key of the rows, in first-seen order."""
    seen: dict[str, None] = {}
    for row in rows:
        seen.update(dict.fromkeys(row))
    return list(seen)


def show_rows(rows: Sequence[dict[str, Any]], fmt: Format = "table", *,
              columns: list[str] | None = None, title: str | None = None,
              header: bool = True) -> None:
    """A list: a table, a JSON array or CSV (with a header unless told not)."""
    columns = columns or columns_of(rows)
    if fmt == "json":
        typer.echo(to_json(list(rows)))
    elif fmt == "csv":
        from earmark.cli.csvfile import neutralised

        writer = csv.writer(sys.stdout, lineterminator="\n")
        if header:
            writer.writerow(columns)
        writer.writerows([neutralised(cell(r.get(c))) for c in columns] for r in rows)
    else:
        _console().print(_rich_table(title, rows, columns))


def show(value: Any, fmt: Format = "json", *, title: str | None = None) -> None:
    """One answer: JSON as the API gives it; as a table, its plain fields and
    then one table per list of records in it (an order's lines, an ATP); as
    CSV, one row of its plain fields."""
    if fmt == "json" or not isinstance(value, dict):
        typer.echo(to_json(value))
        return
    plain = {k: v for k, v in value.items() if not _is_records(v)}
    if fmt == "csv":
        show_rows([plain], "csv")
        return
    console = _console()
    console.print(_rich_table(title, [{"field": k, "value": cell(v)} for k, v in plain.items()],
                              ["field", "value"]))
    for name, records in value.items():
        if _is_records(records):
            console.print(_rich_table(name, records, columns_of(records)))


def _is_records(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)
