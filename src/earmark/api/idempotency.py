"""The ``Idempotency-Key`` record of a POST: which request it answered and how.

A retried POST with the same key and the same body gets the first answer
back (status and body) and changes nothing; the same key with another body,
method or path is refused with 422. Records are kept at least
:data:`RETENTION` and deleted lazily after that.

Only a request that ran keeps its key: a body refused as malformed (400) or
invalid (422 from the schema) never reaches a command and records nothing,
so the client can fix it and retry with the same key; a command that ran
and was refused by a rule (409, 422) is recorded like any answer.

The record is written in the transaction of the command it answers, so that
a command and its record are committed together or not at all. The first
thing that transaction does is *claim* the key (insert the row): a
concurrent request with the same key then waits on the primary key and,
once the first commits, fails to insert and is answered from the record.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from earmark.api.problems import ProblemError
from earmark.api.rendering import jsonable
from earmark.store import tables as t

RETENTION = timedelta(hours=24)
KEY_LENGTH_MAX = 255
CLAIMED = 0
"""Status of a claimed record whose command has not finished (never committed)."""


@dataclass(frozen=True)
class IdempotentRequest:
    key: str
    method: str
    path: str
    body_hash: str


@dataclass(frozen=True)
class Answer:
    status: int
    content: Any
    as_is: bool = False
    """The content holds a handler's value as it is (an order, its timestamps
    still ``datetime``), for :mod:`earmark.api.rendering` to encode; other
    answers are plain JSON values."""


def body_hash(body: bytes) -> str:
    """SHA-256 of the body; of its canonical form when it is JSON, so that
    whitespace and key order do not make a retry look like another request."""
    try:
        canonical = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":"),
                               ensure_ascii=False).encode()
    except (ValueError, UnicodeDecodeError):
        canonical = body
    return hashlib.sha256(canonical).hexdigest()


def lookup(tx: Connection, request: IdempotentRequest) -> Answer | None:
    """The first answer to this key, or None if the key is new.

    Raises a 422 problem if the key was used for another request."""
    row = tx.execute(
        select(t.idempotency_keys).where(t.idempotency_keys.c.key == request.key)
    ).mappings().first()
    if row is None or row["status"] == CLAIMED:
        return None
    if (row["method"], row["path"], row["body_hash"]) != (
        request.method, request.path, request.body_hash
    ):
        raise ProblemError(
            422, "idempotency-key-reused", "Idempotency-Key reused",
            "this Idempotency-Key was already used with a different request",
            [{"field": "Idempotency-Key", "message": "already used with a different request"}],
        )
    return Answer(int(row["status"]), row["response"])


def claim(tx: Connection, request: IdempotentRequest, now: datetime) -> None:
    tx.execute(t.idempotency_keys.insert().values(
        key=request.key, method=request.method, path=request.path,
        body_hash=request.body_hash, status=CLAIMED, response=None, created_at=now,
    ))


def settle(tx: Connection, request: IdempotentRequest, answer: Answer) -> None:
    tx.execute(
        t.idempotency_keys.update().where(t.idempotency_keys.c.key == request.key)
        .values(status=answer.status, response=jsonable(answer.content))
    )


def release(tx: Connection, request: IdempotentRequest) -> None:
    """Give up a claim: the request was refused as invalid before anything ran,
    so its key stays unused (API.md) and the fixed body may be sent with it."""
    tx.execute(t.idempotency_keys.delete().where(t.idempotency_keys.c.key == request.key,
                                                 t.idempotency_keys.c.status == CLAIMED))


def record(tx: Connection, request: IdempotentRequest, answer: Answer, now: datetime) -> None:
    claim(tx, request, now)
    settle(tx, request, answer)


def purge(tx: Connection, now: datetime) -> int:
    """Delete the records older than :data:`RETENTION`."""
    result = tx.execute(
        t.idempotency_keys.delete().where(t.idempotency_keys.c.created_at < now - RETENTION)
    )
    return int(result.rowcount or 0)
