"""API keys with scopes, stored as hashes.

A key is ``ek_<prefix>_<secret>``: the prefix (public, shown in lists) finds
the key's row through a unique index; the whole key is checked against the
row's hash in constant time. Only SHA-256 of the key is stored, not a slow
password hash: the key is 256 random bits, so there is nothing to guess a
word at a time and a fast hash is as safe as a slow one, while each request
pays microseconds instead of a deliberate hundred milliseconds. The key
itself is shown once, in the answer that creates it.

Scopes nest: ``read`` may GET; ``write`` may also change stock and demand;
``admin`` may also manage keys, webhooks and the clock.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection, RowMapping

from earmark.domain.limits import ID_LENGTH_MAX, ID_PATTERN
from earmark.domain.outcomes import Outcome
from earmark.service.actor import ANONYMOUS, CLI, SYSTEM
from earmark.service.pages import Key, Keyset, page
from earmark.service.results import Result, fail, invalid
from earmark.service.uow import UnitOfWork
from earmark.store import tables as t
from earmark.store.sealing import derive_key, server_secret

SCOPES = ("read", "write", "admin")
"""From the smallest to the largest; each holds the ones before it."""
KEY_MARK = "ek_"
PREFIX_HEX_LENGTH = 8
SECRET_BYTES = 32
ENV_NAME = "env-{n}"
"""``EARMARK_API_KEYS`` keys are admin keys named ``env-1``, ``env-2``, ..."""
RESERVED_NAMES = frozenset({CLI, SYSTEM, ANONYMOUS})
"""Actors that are not keys: a key by such a name would blur the audit trail."""


@dataclass(frozen=True)
class CreateKey:
    name: str
    scope: str


@dataclass(frozen=True)
class RevokeKey:
    id: str


@dataclass(frozen=True)
class Caller:
    """Who presented a valid key: the key's name (the actor) and its scope."""

    name: str
    scope: str

    def may(self, scope: str) -> bool:
        return SCOPES.index(self.scope) >= SCOPES.index(scope)


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def prefix_of(key: str) -> str | None:
    """The public prefix of a key this server made (``ek_0a1b2c3d``), else None."""
    if not key.startswith(KEY_MARK):
        return None
    prefix, sep, _ = key.partition("_")[2].partition("_")
    if not sep or len(prefix) != PREFIX_HEX_LENGTH:
        return None
    return KEY_MARK + prefix


def env_callers(keys: list[str]) -> list[tuple[bytes, Caller]]:
    """The keys of ``EARMARK_API_KEYS`` with who they are: admin keys ``env-1``, ..."""
    return [(key.encode(), Caller(ENV_NAME.format(n=n), "admin"))
            for n, key in enumerate(keys, start=1)]


def env_caller(keys: list[tuple[bytes, Caller]], presented: str) -> Caller | None:
    """The environment key ``presented`` is, compared with every one in constant time."""
    raw = presented.encode()
    found: Caller | None = None
    for known, caller in keys:
        if hmac.compare_digest(raw, known):
            found = caller
    return found


def _check_name(name: str) -> str | None:
    if not 1 <= len(name) <= ID_LENGTH_MAX or not ID_PATTERN.fullmatch(name):
        return f"must be 1 to {ID_LENGTH_MAX} characters of A-Za-z0-9._:-"
    if name in RESERVED_NAMES or name.startswith("env-"):
        return f"{name!r} is reserved (cli, system, anonymous and env-N name other actors)"
    return None


def create_key(uow: UnitOfWork, cmd: CreateKey) -> Result:
    if problem := _check_name(cmd.name):
        return invalid("name", problem)
    if cmd.scope not in SCOPES:
        return invalid("scope", "must be one of " + ", ".join(SCOPES))
    k = t.api_keys
    taken = uow.tx.execute(
        select(k.c.id).where(k.c.name == cmd.name, k.c.revoked_at.is_(None))).first()
    if taken is not None:
        # Two live keys of one name would be one actor in the audit trail.
        return fail(Outcome.exists_with_different_content,
                    f"a key named {cmd.name!r} exists; revoke it first", "name")
    prefix = KEY_MARK + secrets.token_hex(PREFIX_HEX_LENGTH // 2)
    key = f"{prefix}_{secrets.token_urlsafe(SECRET_BYTES)}"
    row = {"id": "key_" + secrets.token_hex(8), "name": cmd.name, "scope": cmd.scope,
           "prefix": prefix, "hash": key_hash(key), "created_at": uow.now, "revoked_at": None}
    uow.tx.execute(k.insert().values(**row))
    uow.commit()
    return Result(Outcome.created, {**_key_out(row), "key": key})


def revoke_key(uow: UnitOfWork, cmd: RevokeKey) -> Result:
    k = t.api_keys
    revoked = uow.tx.execute(
        k.update().where(k.c.id == cmd.id, k.c.revoked_at.is_(None)).values(revoked_at=uow.now)
    ).rowcount
    if not revoked:
        return fail(Outcome.not_found, f"no key {cmd.id!r}")
    uow.commit()
    return Result(Outcome.ok, {})


def stored_caller(tx: Connection, presented: str) -> tuple[str, Caller] | None:
    """The id of the live key ``presented`` is, and who it is. Read on every
    request (one row by a unique index), so that a revoke holds at once, in
    every process."""
    prefix = prefix_of(presented)
    if prefix is None:
        return None
    k = t.api_keys
    row = tx.execute(select(k.c.id, k.c.name, k.c.scope, k.c.hash).where(
        k.c.prefix == prefix, k.c.revoked_at.is_(None))).first()
    if row is None or not hmac.compare_digest(key_hash(presented), row.hash):
        return None
    return row.id, Caller(row.name, row.scope)


def caller_by_id(tx: Connection, key_id: str, fingerprint: str) -> Caller | None:
    """Who the live key ``key_id`` is, if the start of its hash is ``fingerprint``
    (a dashboard session names its key this way, never holding the key)."""
    k = t.api_keys
    row = tx.execute(select(k.c.name, k.c.scope, k.c.hash).where(
        k.c.id == key_id, k.c.revoked_at.is_(None))).first()
    if row is None or not hmac.compare_digest(row.hash[:len(fingerprint)], fingerprint):
        return None
    return Caller(row.name, row.scope)


def any_stored_keys(tx: Connection) -> bool:
    """Whether a key was ever made here (revoked ones count: revoking the last
    key must not open the server)."""
    return tx.execute(select(t.api_keys.c.id).limit(1)).first() is not None


KEYS = Keyset.of("keys", t.api_keys.c.created_at, t.api_keys.c.id)


def _key_out(row: RowMapping | dict[str, Any]) -> dict[str, Any]:
    return {"id": row["id"], "name": row["name"], "scope": row["scope"],
            "prefix": row["prefix"], "created_at": row["created_at"]}


def list_keys(tx: Connection, after: Key | None, limit: int) -> dict[str, Any]:
    """The live keys, oldest first: names, scopes and prefixes, never a key."""
    k = t.api_keys
    rows, cursor = KEYS.read(tx, select(k).where(k.c.revoked_at.is_(None)), after, limit)
    return page([_key_out(r) for r in rows], cursor)


def session_signing_key(database_url: str) -> bytes:
    """The key that signs the dashboard's session cookies, derived from the
    server's secret (``EARMARK_SECRET_KEY`` or its key file:
    :mod:`earmark.store.sealing`)."""
    return derive_key(server_secret(database_url), b"session")
