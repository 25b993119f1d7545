"""The outbox as its readers see it: events after a cursor, each reader's
cursor, and the lease that lets one dispatcher at a time work the outbox.

Event ids follow commit order (``service.uow`` writes events under an
advisory lock on PostgreSQL; SQLite has one writer), so a reader that has
seen event *n* has seen every event before it: a reader's whole progress is
one number, its cursor. A cursor only moves by compare-and-set, in the same
transaction as what its reader recorded, so that a reader that stalled past
its lease and woke up again cannot move it twice.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Table, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from earmark.service.uow import Store
from earmark.store import tables as t

DISPATCHER_LEASE = "dispatcher"


class CursorMoved(Exception):
    """A cursor was not where its reader left it: another dispatcher moved it.
    Raised inside the reader's transaction, so that what it recorded is undone."""


@dataclass(frozen=True)
class OutboxEvent:
    id: int
    type: str
    at: datetime
    data: dict[str, Any]
    actor: str = "system"

    def as_json(self) -> dict[str, Any]:
        """The event exactly as an item of ``GET /v1/events``."""
        return {"id": self.id, "type": self.type, "at": rfc3339(self.at), "data": self.data,
                "actor": self.actor}

    def body(self) -> bytes:
        """The bytes a webhook receives (and its signature covers)."""
        return json.dumps(self.as_json(), separators=(",", ":"), ensure_ascii=False).encode()


def utc(value: datetime) -> datetime:
    # SQLite hands timestamps back without a zone; every stored timestamp is UTC.
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def rfc3339(value: datetime) -> str:
    """As the API writes timestamps: ``2026-01-05T09:30:00.250000Z``."""
    return utc(value).isoformat().replace("+00:00", "Z")


def now() -> datetime:
    return datetime.now(UTC)


@contextmanager
def transaction(store: Store, *, write: bool = True) -> Iterator[Connection]:
    """A short transaction of the dispatcher's own, never a command's.

    On SQLite a writing transaction begins IMMEDIATE, as a command's does:
    a deferred one that reads and then writes can fail outright when a
    command committed in between."""
    with store.engine.connect() as connection:
        if write and store.dialect == "sqlite":
            connection = connection.execution_options(sqlite_begin="IMMEDIATE")
        with connection.begin():
            yield connection


def insert_ignoring_duplicates(connection: Connection, table: Table, values: dict[str, Any]) -> bool:
    """Insert a row unless one with its key exists; True if it was inserted."""
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    key = list(table.primary_key.columns)
    statement = dialect.insert(table).values(**values).on_conflict_do_nothing().returning(*key)
    # RETURNING, not rowcount: psycopg reports no rowcount for ON CONFLICT DO NOTHING.
    return connection.execute(statement).first() is not None


def events_after(connection: Connection, after: int, limit: int) -> list[OutboxEvent]:
    rows = connection.execute(
        select(t.events).where(t.events.c.id > after).order_by(t.events.c.id).limit(limit)
    ).mappings()
    return [OutboxEvent(int(r["id"]), r["type"], utc(r["at"]), r["data"], r["actor"])
            for r in rows]


def event_by_id(connection: Connection, event_id: int) -> OutboxEvent | None:
    row = connection.execute(select(t.events).where(t.events.c.id == event_id)).mappings().first()
    if row is None:
        return None
    return OutboxEvent(int(row["id"]), row["type"], utc(row["at"]), row["data"], row["actor"])


def last_event_id(connection: Connection) -> int:
    return int(connection.execute(select(func.coalesce(func.max(t.events.c.id), 0))).scalar_one())


# Cursors


def read_cursor(connection: Connection, name: str) -> int | None:
    value = connection.execute(
        select(t.subscriber_cursors.c.last_event_id).where(t.subscriber_cursors.c.name == name)
    ).scalar()
    return None if value is None else int(value)


def start_cursor(connection: Connection, name: str, at: int) -> None:
    """Create the cursor ``name`` at event ``at`` unless it exists."""
    insert_ignoring_duplicates(connection, t.subscriber_cursors,
                               {"name": name, "last_event_id": at, "updated_at": now()})


def move_cursor(connection: Connection, name: str, old: int, new: int) -> None:
    """Move cursor ``name`` from ``old`` to ``new``; :class:`CursorMoved` if it is
    no longer at ``old``."""
    c = t.subscriber_cursors
    moved = connection.execute(
        c.update().where(c.c.name == name, c.c.last_event_id == old)
        .values(last_event_id=new, updated_at=now())
    ).rowcount
    if not moved:
        raise CursorMoved(f"cursor {name!r} is no longer at event {old}")


# The lease


def take_lease(connection: Connection, owner: str, seconds: float, name: str = DISPATCHER_LEASE
               ) -> bool:
    """Take or renew the lease ``name`` for ``seconds``; False while another owner holds it."""
    at = now()
    until = at + timedelta(seconds=seconds)
    leases = t.leases
    if insert_ignoring_duplicates(connection, leases,
                                  {"name": name, "owner": owner, "expires_at": until}):
        return True
    taken = connection.execute(
        leases.update()
        .where(leases.c.name == name, or_(leases.c.owner == owner, leases.c.expires_at < at))
        .values(owner=owner, expires_at=until)
    ).rowcount
    return bool(taken)


def drop_lease(connection: Connection, owner: str, name: str = DISPATCHER_LEASE) -> None:
    """Give the lease up at once (a clean stop), so that another dispatcher need not wait."""
    leases = t.leases
    connection.execute(
        leases.update().where(leases.c.name == name, leases.c.owner == owner)
        .values(expires_at=datetime(1970, 1, 1, tzinfo=UTC))
    )
