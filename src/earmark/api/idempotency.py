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
from datetime import datetime
from typing import Any

from earmark.api.problems import ProblemError
from earmark.api.rendering import jsonable
from earmark.service import idempotency as records
from earmark.service.idempotency import RETENTION as RETENTION
from earmark.service.idempotency import IdempotentRequest as IdempotentRequest
from earmark.service.idempotency import KeyReused
from earmark.service.uow import UnitOfWork

KEY_LENGTH_MAX = 255


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


def _key_reused() -> ProblemError:
    return ProblemError(
        422, "idempotency-key-reused", "Idempotency-Key reused",
        "this Idempotency-Key was already used with a different request",
        [{"field": "Idempotency-Key", "message": "already used with a different request"}],
    )


def lookup(uow: UnitOfWork, request: IdempotentRequest) -> Answer | None:
    """The first answer to this key, or None if the key is new.

    Raises a 422 problem if the key was used for another request."""
    try:
        stored = records.lookup(uow, request)
    except KeyReused:
        raise _key_reused() from None
    return None if stored is None else Answer(stored.status, stored.content)


def claim(uow: UnitOfWork, request: IdempotentRequest, now: datetime) -> None:
    records.claim(uow, request, now)


def settle(uow: UnitOfWork, request: IdempotentRequest, answer: Answer) -> None:
    records.settle(uow, request, answer.status, jsonable(answer.content))


def release(uow: UnitOfWork, request: IdempotentRequest) -> None:
    """Give up a claim: the request was refused as invalid before anything ran,
    so its key stays unused (API.md) and the fixed body may be sent with it."""
    records.release(uow, request)


def record(uow: UnitOfWork, request: IdempotentRequest, answer: Answer, now: datetime) -> None:
    records.record(uow, request, answer.status, jsonable(answer.content), now)


def purge(uow: UnitOfWork, now: datetime) -> int:
    """Delete the records older than :data:`RETENTION`."""
    return records.purge(uow, now)
