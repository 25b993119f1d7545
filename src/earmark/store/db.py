"""Engines for SQLite (the embedded default) and PostgreSQL, and migrations.

SQLite runs in WAL mode. Writers are serialised with ``BEGIN IMMEDIATE``
(taken when a unit of work is opened for writing) so that two writers never
interleave; readers use deferred transactions and see the last commit.
PostgreSQL writers lock position rows in (sku, location) order instead.
"""

from __future__ import annotations

import itertools
import json
import sqlite3
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson
import psycopg
from sqlalchemy import JSON, Engine, Table, and_, bindparam, create_engine, event, make_url
from sqlalchemy.engine import Compiled, Connection, RowMapping
from sqlalchemy.exc import DBAPIError, DisconnectionError, OperationalError, SQLAlchemyError
from sqlalchemy.exc import IntegrityError as _IntegrityError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.pool import StaticPool
from sqlalchemy.sql import ClauseElement, Executable

DEFAULT_DATABASE_URL = "sqlite:///earmark.db"


def normalise_url(url: str) -> str:
    """Accept plain ``postgresql://`` URLs and point them at psycopg 3."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def dialect_name(url: str) -> str:
    return "postgresql" if normalise_url(url).startswith("postgresql") else "sqlite"


def make_engine(url: str) -> Engine:
    url = normalise_url(url)
    if url.startswith("sqlite"):
        return _sqlite_engine(url)
    return _postgres_engine(url)


PING_IDLE_S = 1.0
"""A pooled PostgreSQL connection idle longer than this is pinged before it is
handed out (and replaced if it does not answer): after a server restart no
request meets a dead connection, while the writer, which takes a connection
every few milliseconds, pays no round trip for it."""


def _postgres_engine(url: str) -> Engine:
    engine = create_engine(url, pool_size=20, max_overflow=20)

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.pop("idle_since", None)
        if since is not None and time.monotonic() - since < PING_IDLE_S:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as error:
            # The pool replaces the connection and tries again.
            raise DisconnectionError(str(error)) from error

    return engine


SQLITE_BUSY_TIMEOUT_S = 60.0
"""How long a SQLite statement waits for another process's write lock before
it gives up ("database is locked", answered 503). A URL may say otherwise
with ``?timeout=<seconds>`` (SQLAlchemy's own parameter for pysqlite)."""

SQLITE_UNAVAILABLE = ("database is locked", "database table is locked", "database is busy",
                      "unable to open database file", "disk i/o error")
"""SQLite's messages for a database that is there but cannot be used now;
its other ``OperationalError`` s (no such table, a syntax error) are bugs."""

RETRYABLE_SQLSTATE_CLASS = "40"
"""PostgreSQL's transaction rollbacks (serialization failure, deadlock):
psycopg makes them ``OperationalError`` s too, but a retry resolves them."""


def is_unavailable(error: BaseException) -> bool:
    """Whether ``error`` says the database does not answer now (down, restarting,
    the connection lost, its pool exhausted, a SQLite file locked by another
    process) rather than that a statement is wrong. The API answers such an
    error 503 with ``Retry-After``, never 500; nothing was committed."""
    if isinstance(error, PoolTimeout):
        return True
    if isinstance(error, DBAPIError):
        if error.connection_invalidated:
            return True
        if isinstance(error.orig, (psycopg.Error, sqlite3.Error)):
            return is_unavailable(error.orig)
        return isinstance(error, OperationalError)
    if isinstance(error, psycopg.OperationalError):
        sqlstate = getattr(error, "sqlstate", None) or ""
        return not sqlstate.startswith(RETRYABLE_SQLSTATE_CLASS)
    if isinstance(error, psycopg.InterfaceError):
        # "the connection is closed": the server went away under it.
        return "connection" in str(error).lower()
    if isinstance(error, sqlite3.OperationalError):
        return str(error).lower().startswith(SQLITE_UNAVAILABLE)
    return False


def sqlite_busy_timeout(url: str) -> float:
    """The busy timeout of a SQLite URL: its ``?timeout=`` or :data:`SQLITE_BUSY_TIMEOUT_S`."""
    value = make_url(url).query.get("timeout")
    if isinstance(value, tuple):
        value = value[-1]
    return float(value) if value else SQLITE_BUSY_TIMEOUT_S


def _sqlite_engine(url: str) -> Engine:
    memory = url in ("sqlite://", "sqlite:///:memory:")
    busy_timeout = sqlite_busy_timeout(url)
    kwargs: dict[str, Any] = {"connect_args": {"check_same_thread": False,
                                               "timeout": busy_timeout}}
    if memory:
        # One shared connection, or every checkout would see another empty database.
        kwargs["poolclass"] = StaticPool
    engine = create_engine(url, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's begin event, not the driver, open transactions.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        if not memory:
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout * 1000)}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")

    return engine


def upgrade(engine: Engine) -> None:
    """Run the Alembic migrations up to head on ``engine``."""
    from alembic import command
    from alembic.config import Config

    here = Path(__file__).parent / "migrations"
    config = Config()
    config.set_main_option("script_location", str(here))
    with engine.connect() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
        if connection.in_transaction():
            connection.commit()


BULK_ROWS_MIN = 4
"""Fewer rows than this are written with plain statements (no COPY, no arrays)."""

PIPELINE = "earmark.pipeline"
"""Key of a connection's ``info`` holding the :class:`_Pipeline` of an open :func:`pipeline`."""

EXCHANGE = "earmark.exchange"
"""Key of a connection's ``info`` naming the pipelined exchange (one round
trip) that the statement being sent belongs to; absent for a statement that
is a round trip of its own. Tests count round trips with it."""
_exchanges = itertools.count(1)

COPY_ROWS_MIN = 500
"""From this many rows an insert is a COPY even inside a pipeline (which then
sends what it holds first): COPY cannot run in one, and beats row-by-row
INSERTs on the server for large writes (a receipt serving thousands)."""


class _Pipeline:
    """psycopg's pipeline on a connection, opened at the first queued statement
    and synced (closed) before a COPY or at the end."""

    def __init__(self, driver: psycopg.Connection[Any]) -> None:
        self.driver = driver
        self._open: Any = None

    @property
    def is_open(self) -> bool:
        return self._open is not None

    def ensure(self, tx: Connection) -> None:
        if self._open is None:
            self._open = self.driver.pipeline()
            self._open.__enter__()
            tx.info[EXCHANGE] = next(_exchanges)

    def close(self, tx: Connection, error: BaseException | None = None) -> None:
        """Send what is queued and read every answer (raises the first failure);
        after ``error``, hand it to psycopg's pipeline instead."""
        tx.info.pop(EXCHANGE, None)
        opened, self._open = self._open, None
        if opened is not None:
            if error is None:
                opened.__exit__(None, None, None)
            else:
                opened.__exit__(type(error), error, error.__traceback__)


@contextmanager
def pipeline(tx: Connection) -> Iterator[None]:
    """Send the writes made inside in one round trip (PostgreSQL; elsewhere a no-op).

    Inside, :func:`insert_rows`, :func:`update_rows` and :func:`write` queue
    their statements on psycopg's pipeline instead of waiting for each; the
    server's answers are read once, when the block ends (a large insert is
    a COPY of its own, see :data:`COPY_ROWS_MIN`). Nothing inside may read a
    result. A failure surfaces by the end, as SQLAlchemy would have raised it
    (an IntegrityError for a duplicate key), so the writer's retries see what
    they know. Nested pipelines join the outer one."""
    if tx.dialect.name != "postgresql" or tx.info.get(PIPELINE):
        yield
        return
    state = _Pipeline(_driver(tx))
    tx.info[PIPELINE] = state
    try:
        try:
            yield
        except BaseException as error:
            state.close(tx, error)
            raise
        state.close(tx)
    except psycopg.Error as error:
        raise DBAPIError.instance("pipeline", None, error, psycopg.Error) from error
    finally:
        tx.info.pop(PIPELINE, None)


def _driver(tx: Connection) -> psycopg.Connection[Any]:
    driver = tx.connection.driver_connection
    if not isinstance(driver, psycopg.Connection):
        raise RuntimeError("not a psycopg connection")
    return driver


def _compiled(tx: Connection, statement: Executable, **options: Any) -> Compiled:
    if not isinstance(statement, ClauseElement):
        raise TypeError(f"cannot compile {statement!r}")
    key = (id(statement), tx.dialect.name)
    if key in _COMPILED_ONCE:
        return _COMPILED_ONCE[key]
    compiled = statement.compile(dialect=tx.dialect, **options)
    if id(statement) in _BUILT_ONCE:
        _COMPILED_ONCE[key] = compiled
    return compiled


_BUILT_ONCE: dict[int, Executable] = {}
_COMPILED_ONCE: dict[tuple[int, str], Compiled] = {}


def built_once(statement: Executable) -> Executable:
    """Mark a statement built once (a module constant, its values all bound
    parameters, none expanding) so that :func:`read_together` compiles it once
    per dialect instead of on every call (the hot quotes read several)."""
    _BUILT_ONCE[id(statement)] = statement  # kept alive: its id stays its own
    return statement


_PLANNED_EACH_TIME: set[int] = set()


def planned_each_time(statement: Executable) -> Executable:
    """Mark a read that the server must plan on every execution instead of
    preparing it once: psycopg prepares a statement run five times, and the
    server may then keep a generic plan made while the table was small (a
    sequential scan), which a table that grows fast (orders in a flash sale)
    outgrows long before ANALYZE runs. The replay check of a batch's order
    ids is one: prepared, it read every order of the table on each batch."""
    _PLANNED_EACH_TIME.add(id(built_once(statement)))
    return statement


def commit_in_pipeline(tx: Connection) -> None:
    """Queue the COMMIT on the open pipeline, so that it travels with the writes
    (the transaction's ``commit()`` afterwards finds nothing left to do). Without
    an open pipeline, nothing: the caller's ``commit()`` commits."""
    state = tx.info.get(PIPELINE)
    if isinstance(state, _Pipeline) and state.is_open:
        state.driver.commit()


def _pipelined(tx: Connection) -> bool:
    return isinstance(tx.info.get(PIPELINE), _Pipeline)


def _queue(tx: Connection, sql: str, params: Sequence[Mapping[str, Any]] | Sequence[Sequence[Any]]
           ) -> None:
    """Queue ``sql`` once per parameter set on the open pipeline (announced to
    ``before_cursor_execute`` listeners like any statement)."""
    state = tx.info[PIPELINE]
    state.ensure(tx)
    cursor = state.driver.cursor()
    tx.dispatch.before_cursor_execute(tx, cursor, sql, params, None, len(params) > 1)
    cursor.executemany(sql, params)


def read_together(tx: Connection, reads: Sequence[tuple[Executable, Mapping[str, Any]]]
                  ) -> list[list[tuple[Any, ...]]]:
    """The rows of several independent reads, in one round trip on PostgreSQL
    (a pipeline; the transaction's BEGIN travels with them when it is the
    first thing sent), one after the other elsewhere. Each read's rows come
    back as plain tuples, in the order of ``reads``."""
    if tx.dialect.name != "postgresql" or _pipelined(tx):
        return [[tuple(row) for row in tx.execute(statement, dict(params))]
                for statement, params in reads]
    driver = _driver(tx)
    cursors = []
    tx.info[EXCHANGE] = next(_exchanges)
    try:
        with driver.pipeline() as pipe:
            for statement, params in reads:
                compiled = _compiled(tx, statement, compile_kwargs={"render_postcompile": True})
                cursor = driver.cursor()
                tx.dispatch.before_cursor_execute(tx, cursor, compiled.string, params, None, False)
                cursor.execute(compiled.string, {**compiled.params, **params},
                               prepare=False if id(statement) in _PLANNED_EACH_TIME else None)
                cursors.append(cursor)
            pipe.sync()
            return [[tuple(row) for row in cursor.fetchall()] for cursor in cursors]
    except psycopg.Error as error:
        raise DBAPIError.instance("pipeline", None, error, psycopg.Error) from error
    finally:
        tx.info.pop(EXCHANGE, None)


def write(tx: Connection, statement: Executable, params: list[dict[str, Any]]) -> None:
    """Execute a statement that returns nothing, once per parameter set; queued
    on the pipeline when one is open."""
    if not params:
        return
    if not _pipelined(tx):
        tx.execute(statement, params)
        return
    compiled = _compiled(tx, statement)
    _queue(tx, compiled.string, [{**compiled.params, **row} for row in params])


def insert_rows(tx: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert ``rows`` (each with the same keys) in one round trip.

    On PostgreSQL, inside a :func:`pipeline`, a few rows are one INSERT of a
    JSON text (:func:`_recordset_insert`) queued with the rest of the writes;
    many rows (and any number outside a
    pipeline) are a ``COPY … FROM STDIN``, which the server takes far faster
    than row-by-row INSERTs. Elsewhere it is an executemany. The COPY is
    announced to ``before_cursor_execute`` listeners like any statement (the
    statement-count tests listen)."""
    if not rows:
        return
    columns = list(rows[0])
    encode = [isinstance(table.c[name].type, JSON) for name in columns]
    if _pipelined(tx) and len(rows) >= COPY_ROWS_MIN:
        tx.info[PIPELINE].close(tx)  # what is queued goes first; the pipeline reopens after
    elif _pipelined(tx):
        # COPY cannot run in a pipeline: one INSERT of every row, queued (its
        # text depends on the columns only: the server prepares it once).
        _queue(tx, _recordset_insert(table, tuple(columns)), [[_json_rows(rows)]])
        return
    if tx.dialect.name != "postgresql" or len(rows) < BULK_ROWS_MIN:
        tx.execute(table.insert(), rows)
        return
    statement = f"COPY {table.name} ({', '.join(columns)}) FROM STDIN"
    with _driver_cursor(tx, statement, rows, many=True) as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row([json.dumps(row[name]) if as_json else row[name]
                            for name, as_json in zip(columns, encode, strict=True)])


@contextmanager
def _driver_cursor(tx: Connection, sql: str, params: Any, *, many: bool = False
                   ) -> Iterator[psycopg.Cursor[Any]]:
    """A cursor on the transaction's psycopg connection for ``sql``, announced
    to ``before_cursor_execute`` listeners like any statement (the
    statement-count tests listen). A psycopg error inside is raised as
    SQLAlchemy would have raised it (IntegrityError for a duplicate key), so
    that the writer's retries see what they know."""
    with _driver(tx).cursor() as cursor:
        tx.dispatch.before_cursor_execute(tx, cursor, sql, params, None, many)
        try:
            yield cursor
        except psycopg.Error as error:
            raise DBAPIError.instance(sql, None, error, psycopg.Error) from error


_RECORDSET_INSERTS: dict[tuple[str, tuple[str, ...]], str] = {}


def _recordset_insert(table: Table, columns: tuple[str, ...]) -> str:
    """``INSERT … SELECT … FROM json_populate_recordset(…)``: every row in one
    JSON text parameter, which the server turns into the table's records (one
    encoding in C for the whole batch instead of one adaptation per value)."""
    key = (table.name, columns)
    sql = _RECORDSET_INSERTS.get(key)
    if sql is None:
        names = ", ".join(columns)
        sql = _RECORDSET_INSERTS[key] = (
            f"INSERT INTO {table.name} ({names}) "
            f"SELECT {names} FROM json_populate_recordset(NULL::{table.name}, %s::json)")
    return sql


def _json_rows(rows: list[dict[str, Any]]) -> str:
    return orjson.dumps(rows, default=str).decode()


_UpdateKey = tuple[str, tuple[str, ...], tuple[str, ...], bool]
"""(table, key columns, columns, delete): what an update's statement depends on."""
_UPDATES: dict[_UpdateKey, Executable] = {}
_ARRAY_UPDATES: dict[_UpdateKey, str] = {}


def update_rows(tx: Connection, table: Table, keys: list[str], rows: list[dict[str, Any]],
                *, delete: bool = False) -> None:
    """Update (or with ``delete``, delete) the rows of ``table`` matched on
    ``keys``: each of ``rows`` names a row by its ``keys`` columns and gives
    the new values of its other columns (all rows the same columns).

    On PostgreSQL this is one statement over arrays (``unnest``), where an
    executemany would run one statement per row; elsewhere an executemany."""
    if not rows:
        return
    columns = list(rows[0])
    values = [name for name in columns if name not in keys]
    memo: _UpdateKey = (table.name, tuple(keys), tuple(columns), delete)
    if tx.dialect.name != "postgresql" or len(rows) < BULK_ROWS_MIN:
        statement = _UPDATES.get(memo)
        if statement is None:
            match = and_(*(table.c[name] == bindparam(f"k_{name}") for name in keys))
            statement = built_once(
                table.delete().where(match) if delete else
                table.update().where(match).values({n: bindparam(f"v_{n}") for n in values}))
            _UPDATES[memo] = statement
        write(tx, statement, [{(f"k_{n}" if n in keys else f"v_{n}"): row[n] for n in columns}
                              for row in rows])
        return
    sql = _ARRAY_UPDATES.get(memo)
    if sql is None:
        arrays = ", ".join(f"CAST(%b AS {_sql_type(tx, table, n)}[])" for n in columns)
        source = f"unnest({arrays}) AS v({', '.join(columns)})"
        where = " AND ".join(f"t.{n} = v.{n}" for n in keys)
        if delete:
            sql = f"DELETE FROM {table.name} AS t USING {source} WHERE {where}"
        else:
            assignments = ", ".join(f"{n} = v.{n}" for n in values)
            sql = f"UPDATE {table.name} AS t SET {assignments} FROM {source} WHERE {where}"
        _ARRAY_UPDATES[memo] = sql
    _execute(tx, sql, [[row[n] for row in rows] for n in columns])



def _sql_type(tx: Connection, table: Table, name: str) -> str:
    return str(table.c[name].type.compile(dialect=tx.dialect))


def _execute(tx: Connection, sql: str, params: Sequence[Any]) -> None:
    """Run psycopg ``sql`` (its arrays sent in binary: no text escaping of each
    value) on the transaction's connection, queued when a pipeline is open."""
    if _pipelined(tx):
        _queue(tx, sql, [params])
        return
    with _driver_cursor(tx, sql, params) as cursor:
        cursor.execute(sql, params)


# What the layers above storage may name of the database without speaking SQL:
# they hold a transaction (or an engine) and hand it to the repository's
# functions, read the rows those return, and recognise the errors they raise.
Tx = Connection
"""A transaction as the service layer holds it: passed to the repository, never given a statement."""
Row = RowMapping
"""A row as the repository returns it (read by column name)."""
Database = Engine
"""An engine as the service layer holds it: it opens transactions, the repository runs statements."""
IntegrityError = _IntegrityError
"""A write that broke a uniqueness or foreign-key rule of the schema."""
DriverError = DBAPIError
"""Any error the database driver raised."""
DatabaseError = SQLAlchemyError
"""Any error of the database layer."""
