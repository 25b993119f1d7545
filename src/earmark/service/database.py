"""The database as the entrypoints see it: opened on its calendar, asked
whether it answers, its errors told apart (unavailable, a lost race), so that
the API and the CLI never name SQLAlchemy or a driver themselves."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import TypeVar

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from earmark.service.clock import Clock, stored_day
from earmark.service.uow import Store
from earmark.service.writer import is_transient
from earmark.store import db

T = TypeVar("T")


class CannotOpen(Exception):
    """The database could not be opened or upgraded; the message is the first
    line of the database's own."""


def open_database(url: str, frozen: date | None) -> Store:
    """The store of ``url``, its schema current, on its calendar: ``frozen`` if
    given, else the day the database's calendar is frozen at (the demo stores
    its day), else the real date. Raises :class:`CannotOpen`."""
    store = Store(url, Clock(frozen=frozen))
    try:
        store.upgrade()
        if not store.clock.is_frozen:
            with store.engine.connect() as connection:
                day = stored_day(connection)
            if day is not None:
                store.clock = Clock(frozen=day)
    except SQLAlchemyError as error:
        store.dispose()
        first = str(getattr(error, "orig", None) or error).strip().splitlines()
        raise CannotOpen(first[0] if first else type(error).__name__) from error
    return store


def answers(store: Store) -> bool:
    """Whether the database answers a query (the health check)."""
    try:
        with store.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError:
        return False
    return True


def is_unavailable(error: BaseException) -> bool:
    """Whether ``error`` says the database does not answer (not a refused or
    wrong statement): :func:`earmark.store.db.is_unavailable`."""
    return db.is_unavailable(error)


def retry_lost_races(attempt: Callable[[], T], attempts: int) -> T:
    """Run ``attempt`` (a whole transaction) again, up to ``attempts`` times in
    all, while it fails by losing a race with a concurrent one (a unique key
    taken, a deadlock or serialization failure); any other error, or the
    last attempt's, is raised."""
    for number in range(1, attempts + 1):
        try:
            return attempt()
        except DBAPIError as error:
            if number == attempts or not is_transient(error):
                raise
    raise AssertionError("unreachable")
