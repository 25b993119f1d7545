"""The records of ``Idempotency-Key``: which request a key answered and how.

The API decides what a key means (:mod:`earmark.api.idempotency`: a retry
gets the first answer back, another request under the same key is refused);
this module keeps the records. A record is claimed (inserted) first thing in
the transaction of the command it answers, so a concurrent request with the
same key waits on the primary key and, once the first commits, fails to
insert and is answered from the record. Records are kept at least
:data:`RETENTION` and deleted lazily after that.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from earmark.service.results import Result
from earmark.service.uow import Store, UnitOfWork
from earmark.store import tables as t

RETENTION = timedelta(hours=24)
CLAIMED = 0
"""Status of a claimed record whose command has not finished (never committed)."""


@dataclass(frozen=True)
class IdempotentRequest:
    key: str
    method: str
    path: str
    body_hash: str


@dataclass(frozen=True)
class StoredAnswer:
    status: int
    content: Any
    """Plain JSON values, as recorded."""


class KeyReused(Exception):
    """The key was recorded with another request (method, path or body)."""


class KeyTaken(Exception):
    """A concurrent request with the same key recorded its answer first."""


def lookup(uow: UnitOfWork, request: IdempotentRequest) -> StoredAnswer | None:
    """The first answer to this key, or None if the key is new (or only claimed).

    Raises :class:`KeyReused` if the key was used for another request."""
    row = uow.tx.execute(
        select(t.idempotency_keys).where(t.idempotency_keys.c.key == request.key)
    ).mappings().first()
    if row is None or row["status"] == CLAIMED:
        return None
    if (row["method"], row["path"], row["body_hash"]) != (
        request.method, request.path, request.body_hash
    ):
        raise KeyReused(request.key)
    return StoredAnswer(int(row["status"]), row["response"])


def claim(uow: UnitOfWork, request: IdempotentRequest, now: datetime) -> None:
    uow.tx.execute(t.idempotency_keys.insert().values(
        key=request.key, method=request.method, path=request.path,
        body_hash=request.body_hash, status=CLAIMED, response=None, created_at=now,
    ))


def settle(uow: UnitOfWork, request: IdempotentRequest, status: int, content: Any) -> None:
    """Write the answer into the claimed record (``content`` as plain JSON values)."""
    uow.tx.execute(
        t.idempotency_keys.update().where(t.idempotency_keys.c.key == request.key)
        .values(status=status, response=content)
    )


def release(uow: UnitOfWork, request: IdempotentRequest) -> None:
    """Give up a claim: the request was refused as invalid before anything ran,
    so its key stays unused (API.md) and the fixed body may be sent with it."""
    uow.tx.execute(t.idempotency_keys.delete().where(t.idempotency_keys.c.key == request.key,
                                                     t.idempotency_keys.c.status == CLAIMED))


def record(uow: UnitOfWork, request: IdempotentRequest, status: int, content: Any,
           now: datetime) -> None:
    claim(uow, request, now)
    settle(uow, request, status, content)


def record_apart(store: Store, request: IdempotentRequest, status: int, content: Any) -> None:
    """Record an answer in a transaction of its own, for commands that span
    several transactions (a batch) and record their answer afterwards.

    Raises :class:`KeyTaken` if a concurrent duplicate recorded one first."""
    try:
        with store.unit_of_work() as uow:
            record(uow, request, status, content, uow.now)
            uow.tx.commit()
    except IntegrityError as error:
        raise KeyTaken(request.key) from error


def purge(uow: UnitOfWork, now: datetime) -> int:
    """Delete the records older than :data:`RETENTION`."""
    result = uow.tx.execute(
        t.idempotency_keys.delete().where(t.idempotency_keys.c.created_at < now - RETENTION)
    )
    return int(result.rowcount or 0)


def purge_apart(store: Store, now: datetime) -> int:
    """:func:`purge` in a transaction of its own, committed."""
    with store.unit_of_work() as uow:
        deleted = purge(uow, now)
        uow.tx.commit()
    return deleted


def run_all_or_nothing(uow: UnitOfWork, handler: Callable[[UnitOfWork, Any], Result],
                       command: Any) -> Result:
    """Run a handler inside a savepoint: its changes are kept if it succeeds and
    undone if it is refused, while what the transaction did before it (a
    claimed key, which must outlive a refused command) stays."""
    savepoint = uow.tx.begin_nested()
    result = handler(uow, command)
    if result.ok:
        savepoint.commit()
    else:
        savepoint.rollback()
        # Rows the refused command created (a new position's) are gone:
        # what the unit of work remembers of them must go too.
        uow.forget_positions()
    return result
