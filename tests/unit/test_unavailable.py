"""Which database errors mean "the database does not answer" (503 with
Retry-After) and which are bugs (500) or races a retry resolves."""

from __future__ import annotations

import sqlite3

import psycopg
import psycopg.errors
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from earmark.service.writer import is_transient
from earmark.store.db import is_unavailable, sqlite_busy_timeout


def wrapped(error: Exception, kind: type[OperationalError] = OperationalError,
            invalidated: bool = False) -> OperationalError:
    return kind("SELECT 1", {}, error, connection_invalidated=invalidated)  # type: ignore[return-value]


def test_a_lost_or_refused_connection_and_a_locked_sqlite_file_are_unavailable() -> None:
    assert is_unavailable(wrapped(psycopg.OperationalError("connection refused")))
    assert is_unavailable(wrapped(psycopg.errors.AdminShutdown("terminating connection")))
    assert is_unavailable(wrapped(psycopg.errors.CannotConnectNow("the database is starting up")))
    assert is_unavailable(wrapped(psycopg.InterfaceError("the connection is closed"),
                                  invalidated=True))
    assert is_unavailable(wrapped(sqlite3.OperationalError("database is locked")))
    assert is_unavailable(PoolTimeout("QueuePool limit of size 20 overflow 20 reached"))


def test_a_wrong_statement_is_a_bug_and_a_deadlock_a_race_not_an_outage() -> None:
    no_table = wrapped(sqlite3.OperationalError("no such table: orders"))
    assert not is_unavailable(no_table)
    assert not is_unavailable(ProgrammingError("SELECT", {}, psycopg.errors.UndefinedTable("x")))
    deadlock = wrapped(psycopg.errors.DeadlockDetected("deadlock detected"))
    assert not is_unavailable(deadlock)
    assert is_transient(deadlock)
    assert not is_unavailable(IntegrityError("INSERT", {}, sqlite3.IntegrityError("UNIQUE")))
    assert not is_unavailable(ValueError("database is locked"))


def test_a_locked_sqlite_file_is_not_retried_as_a_race() -> None:
    # Retrying would wait out the busy timeout again for each attempt.
    assert not is_transient(wrapped(sqlite3.OperationalError("database is locked")))


def test_a_sqlite_url_may_set_its_busy_timeout_in_seconds() -> None:
    assert sqlite_busy_timeout("sqlite:///earmark.db") == 60.0
    assert sqlite_busy_timeout("sqlite:///earmark.db?timeout=2.5") == 2.5
