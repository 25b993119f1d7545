"""Webhooks: who wants which events at which URL, how a delivery is signed,
and the commands and reads behind ``/v1/webhooks``.

A delivery is ``POST <url>`` of the event JSON (as ``GET /v1/events`` shows
it) with the headers ``Earmark-Event-Id``, ``Earmark-Timestamp`` (unix
seconds) and ``Earmark-Signature: v1=<hex HMAC-SHA256 of
"<timestamp>.<body>" keyed with the secret>``. A new webhook hears of the
events recorded after it was created; its cursor starts there.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
import socket
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import func, select
from sqlalchemy.engine import Connection, RowMapping

from earmark.domain.events import EVENT_TYPES
from earmark.domain.outcomes import Outcome
from earmark.notify.outbox import last_event_id, start_cursor, utc
from earmark.service.pages import Key, Keyset, page
from earmark.service.results import Result, fail, invalid
from earmark.service.uow import UnitOfWork
from earmark.store import tables as t
from earmark.store.sealing import Sealer

ALL_EVENTS = "*"
URL_LENGTH_MAX = 2000
SECRET_LENGTH_MAX = 500
WEBHOOK_EVENTS_MAX = 50
WEBHOOKS_MAX = 100
"""Active webhooks at once: each has a cursor and a delivery worker of its own."""
SIGNATURE_TOLERANCE_SECONDS = 300
"""How old a signed timestamp a receiver should still accept (replay protection)."""


@dataclass(frozen=True)
class CreateWebhook:
    url: str
    events: list[str]
    secret: str
    allow_private: bool = False
    """``EARMARK_WEBHOOK_ALLOW_PRIVATE``: a URL may name a private, loopback or
    link-local address (a receiver on this machine or network)."""


@dataclass(frozen=True)
class DeleteWebhook:
    id: str


@dataclass(frozen=True)
class Webhook:
    id: str
    url: str
    events: tuple[str, ...]
    secret: str

    def wants(self, event_type: str) -> bool:
        return ALL_EVENTS in self.events or event_type in self.events


def cursor_name(webhook_id: str) -> str:
    return f"webhook:{webhook_id}"


# Signatures


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The ``Earmark-Signature`` header value for ``body`` sent at ``timestamp``."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "v1=" + mac.hexdigest()


def signed_headers(secret: str, event_id: int, body: bytes, timestamp: int | None = None
                   ) -> dict[str, str]:
    at = int(time.time()) if timestamp is None else timestamp
    return {
        "Content-Type": "application/json",
        "Earmark-Event-Id": str(event_id),
        "Earmark-Timestamp": str(at),
        "Earmark-Signature": sign(secret, at, body),
    }


def verify(secret: str, timestamp: str, body: bytes, signature: str, *,
           tolerance_seconds: float = SIGNATURE_TOLERANCE_SECONDS, now: float | None = None
           ) -> bool:
    """What a receiver checks: the signature matches and the timestamp is recent."""
    try:
        at = int(timestamp)
    except ValueError:
        return False
    if abs((time.time() if now is None else now) - at) > tolerance_seconds:
        return False
    return hmac.compare_digest(sign(secret, at, body), signature)


# Commands


def _has_control_characters(value: str) -> bool:
    return any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in value)


def _check_url(url: str) -> str | None:
    if len(url) > URL_LENGTH_MAX:
        return f"must be at most {URL_LENGTH_MAX} characters"
    if _has_control_characters(url) or " " in url:
        return "must not contain spaces or control characters"
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        return "is not a URL"
    if parts.scheme not in ("http", "https") or not host:
        return "must be an http:// or https:// URL with a host"
    return None


def _check_events(events: list[str]) -> tuple[tuple[str, ...], str | None]:
    if not events:
        return (), "name at least one event type, or \"*\" for all"
    if len(events) > WEBHOOK_EVENTS_MAX:
        return (), f"at most {WEBHOOK_EVENTS_MAX} entries"
    unknown = [e for e in events if e != ALL_EVENTS and e not in EVENT_TYPES]
    if unknown:
        return (), f"unknown event type {unknown[0]!r}; known: \"*\", " + ", ".join(EVENT_TYPES)
    return tuple(dict.fromkeys(events)), None


def create_webhook(uow: UnitOfWork, cmd: CreateWebhook) -> Result:
    if problem := _check_url(cmd.url):
        return invalid("url", problem)
    if not cmd.allow_private and (problem := refused_target(cmd.url)):
        return invalid("url", problem)
    events, problem = _check_events(cmd.events)
    if problem:
        return invalid("events", problem)
    if not cmd.secret or len(cmd.secret) > SECRET_LENGTH_MAX:
        return invalid("secret", f"must be 1 to {SECRET_LENGTH_MAX} characters")
    if _has_control_characters(cmd.secret):
        return invalid("secret", "must not contain control characters")
    w = t.webhooks
    active = uow.tx.execute(
        select(func.count()).select_from(w).where(w.c.deleted_at.is_(None))).scalar_one()
    if active >= WEBHOOKS_MAX:
        return invalid("url", f"at most {WEBHOOKS_MAX} webhooks at once; delete one first")
    # From here on the command must succeed.
    webhook_id = "wh_" + secrets.token_hex(12)
    uow.tx.execute(t.webhooks.insert().values(
        id=webhook_id, url=cmd.url, events=list(events),
        # Sealed: a copy of the database does not give away what signs deliveries.
        sealed_secret=uow.store.sealer.seal(cmd.secret), created_at=uow.now,
    ))
    start_cursor(uow.tx, cursor_name(webhook_id), last_event_id(uow.tx))
    body = get_webhook(uow.tx, webhook_id)
    uow.commit()
    return Result(Outcome.created, body)


def delete_webhook(uow: UnitOfWork, cmd: DeleteWebhook) -> Result:
    w = t.webhooks
    deleted = uow.tx.execute(
        w.update().where(w.c.id == cmd.id, w.c.deleted_at.is_(None)).values(deleted_at=uow.now)
    ).rowcount
    if not deleted:
        return fail(Outcome.not_found, f"no webhook {cmd.id!r}")
    # What was still to be delivered is not: a deleted webhook is never called again.
    d = t.deliveries
    uow.tx.execute(
        d.update().where(d.c.webhook_id == cmd.id, d.c.status == "pending")
        .values(status="failed", next_attempt_at=None, last_error="the webhook was deleted")
    )
    uow.commit()
    return Result(Outcome.ok, {})


# Reads


def _webhook_out(row: RowMapping) -> dict[str, Any]:
    return {"id": row["id"], "url": row["url"], "events": list(row["events"]),
            "created_at": utc(row["created_at"])}


def get_webhook(tx: Connection, webhook_id: str) -> dict[str, Any] | None:
    w = t.webhooks
    row = tx.execute(
        select(w).where(w.c.id == webhook_id, w.c.deleted_at.is_(None))
    ).mappings().first()
    return None if row is None else _webhook_out(row)


WEBHOOKS = Keyset.of("webhooks", t.webhooks.c.created_at, t.webhooks.c.id)
DELIVERIES = Keyset.of("deliveries", t.deliveries.c.event_id)


def list_webhooks(tx: Connection, after: Key | None, limit: int) -> dict[str, Any]:
    w = t.webhooks
    rows, cursor = WEBHOOKS.read(tx, select(w).where(w.c.deleted_at.is_(None)), after, limit)
    return page([_webhook_out(r) for r in rows], cursor)


def list_deliveries(tx: Connection, webhook_id: str, after: Key | None,
                    limit: int) -> dict[str, Any]:
    """A webhook's deliveries in event order: attempts, outcome, next try."""
    d = t.deliveries
    rows, cursor = DELIVERIES.read(tx, select(d).where(d.c.webhook_id == webhook_id), after, limit)
    items = [
        {
            "event_id": int(r["event_id"]),
            "event_type": r["event_type"],
            "attempts": int(r["attempts"]),
            "status": r["status"],
            "last_status_code": r["last_status_code"],
            "last_error": r["last_error"],
            "next_attempt_at": utc(r["next_attempt_at"]) if r["status"] == "pending" else None,
            "delivered_at": utc(r["delivered_at"]) if r["delivered_at"] is not None else None,
        }
        for r in rows
    ]
    return page(items, cursor)


def active_webhooks(tx: Connection, sealer: Sealer) -> list[Webhook]:
    w = t.webhooks
    rows = tx.execute(select(w).where(w.c.deleted_at.is_(None)).order_by(w.c.id)).mappings()
    return [webhook_of(r, sealer) for r in rows]


def webhook_of(row: RowMapping, sealer: Sealer) -> Webhook:
    """A stored webhook, its secret opened with the server key."""
    return Webhook(row["id"], row["url"], tuple(row["events"]), sealer.open(row["sealed_secret"]))


# Where a webhook may point


def _is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return _is_public(address.ipv4_mapped)
    return not (address.is_private or address.is_loopback or address.is_link_local
                or address.is_multicast or address.is_reserved or address.is_unspecified)


def refused_addresses(addresses: list[str]) -> list[str]:
    """Those of ``addresses`` that are loopback, private, link-local (or
    otherwise not on the public internet): a webhook there could be turned
    against the server's own network (its metadata service, its database)."""
    refused = []
    for text in addresses:
        try:
            address = ipaddress.ip_address(text.split("%", 1)[0])
        except ValueError:
            refused.append(text)
            continue
        if not _is_public(address):
            refused.append(text)
    return refused


def resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (an address literal is itself)."""
    infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    return sorted({str(info[4][0]) for info in infos})


def target_of(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    return parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80)


def refused_target(url: str) -> str | None:
    """Why ``url`` may not be called (its host is or resolves to a private,
    loopback or link-local address), else None. A host that does not resolve
    now is not refused: it may later, and every delivery checks again."""
    host, port = target_of(url)
    try:
        addresses = resolve(host, port)
    except (OSError, UnicodeError):
        return None
    return refusal(host, addresses)


def refusal(host: str, addresses: list[str]) -> str | None:
    refused = refused_addresses(addresses)
    if not refused:
        return None
    return (f"its host {host!r} is or resolves to {', '.join(refused)}: a loopback, private "
            "or link-local address (EARMARK_WEBHOOK_ALLOW_PRIVATE=1 allows it)")

