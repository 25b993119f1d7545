"""Webhook deliveries: each webhook's queue and the worker that POSTs it.

The queue is the ``deliveries`` table: one row per event a webhook wants,
written by :func:`enqueue` in the transaction that moves the webhook's
cursor, so an event is queued exactly once however often the dispatcher
stops and starts. The worker then POSTs each webhook's queue head, one at a
time and in event-id order: a later event waits while an earlier one is
pending, so a receiver sees events in order (and, after a redelivery, an
event it has already seen, with the same id).

Retries back off exponentially with jitter: after the n-th failed attempt
the next waits ``d/2 + uniform(0, d/2)`` with ``d = min(cap, base·2^(n-1))``.
Half of the delay is jittered (not all of it, as in "full jitter") so that a
receiver that is down is never hammered at nearly no delay, and the backoff
can be seen. Attempts stop once the retry window (24 hours) has passed since
the first; the delivery is then ``failed`` and the next one goes out.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

import httpx
from sqlalchemy import and_, func, select

from earmark import __version__
from earmark.notify.outbox import (
    CursorMoved,
    OutboxEvent,
    event_by_id,
    events_after,
    move_cursor,
    now,
    read_cursor,
    start_cursor,
    transaction,
    utc,
)
from earmark.notify.webhooks import (
    Webhook,
    active_webhooks,
    cursor_name,
    refusal,
    resolve,
    signed_headers,
    target_of,
    webhook_of,
)
from earmark.service.uow import Store
from earmark.store import tables as t

log = logging.getLogger("earmark.notify.webhooks")

ERROR_LENGTH_MAX = 500
_random = random.Random()


@dataclass(frozen=True)
class Backoff:
    base_seconds: float
    cap_seconds: float
    window_seconds: float
    """Retries stop this long after the first attempt."""

    def delay(self, attempts: int, rng: random.Random | None = None) -> float:
        """Seconds to wait after the ``attempts``-th failed attempt."""
        ceiling = min(self.cap_seconds, self.base_seconds * 2.0 ** min(attempts - 1, 62))
        return ceiling / 2 + (rng or _random).uniform(0, ceiling / 2)


# The queue


def enqueue(store: Store, batch: int, only: set[str] | None = None) -> bool:
    """Queue, for every webhook (or those named in ``only``), the events after
    its cursor that it wants; True if any cursor moved."""
    with transaction(store, write=False) as connection:
        webhooks = [w for w in active_webhooks(connection, store.sealer)
                    if only is None or w.id in only]
    moved = False
    for webhook in webhooks:
        moved = _enqueue_one(store, webhook, batch) or moved
    return moved


def _enqueue_one(store: Store, webhook: Webhook, batch: int) -> bool:
    name = cursor_name(webhook.id)
    try:
        return _enqueue_events(store, webhook, name, batch)
    except CursorMoved:
        return False


def _enqueue_events(store: Store, webhook: Webhook, name: str, batch: int) -> bool:
    with transaction(store) as connection:
        after = read_cursor(connection, name)
        if after is None:
            start_cursor(connection, name, 0)
            after = 0
        events = events_after(connection, after, batch)
        if not events:
            return False
        rows = [
            {"webhook_id": webhook.id, "event_id": e.id, "event_type": e.type, "attempts": 0,
             "status": "pending", "next_attempt_at": e.at}
            for e in events if webhook.wants(e.type)
        ]
        # Raises CursorMoved if another dispatcher moved the cursor first (this
        # one has lost its lease); moved before the insert, so that the raced
        # rows are never inserted twice (a duplicate key instead of CursorMoved).
        move_cursor(connection, name, after, events[-1].id)
        if rows:
            connection.execute(t.deliveries.insert(), rows)
    return True


@dataclass(frozen=True)
class Due:
    webhook: Webhook
    event: OutboxEvent
    attempts: int


def due_webhooks(store: Store) -> list[str]:
    """Webhooks whose queue head (oldest pending delivery) is due now.

    The head is found per webhook through the (webhook_id, status, event_id)
    index, so the cost follows the number of webhooks, not of deliveries ever made."""
    d, w = t.deliveries, t.webhooks
    pending = d.alias("pending")
    head = (
        select(func.min(pending.c.event_id))
        .where(pending.c.webhook_id == w.c.id, pending.c.status == "pending")
        .scalar_subquery()
    )
    query = (
        select(w.c.id).select_from(w)
        .join(d, and_(d.c.webhook_id == w.c.id, d.c.event_id == head))
        .where(w.c.deleted_at.is_(None), d.c.next_attempt_at <= now())
    )
    with transaction(store, write=False) as connection:
        return [row[0] for row in connection.execute(query)]


def next_due(store: Store, webhook_id: str) -> Due | None:
    """The webhook's queue head, if it is due now."""
    d, w = t.deliveries, t.webhooks
    with transaction(store, write=False) as connection:
        hook = connection.execute(
            select(w).where(w.c.id == webhook_id, w.c.deleted_at.is_(None))
        ).mappings().first()
        if hook is None:
            return None
        head = connection.execute(
            select(d).where(d.c.webhook_id == webhook_id, d.c.status == "pending")
            .order_by(d.c.event_id).limit(1)
        ).mappings().first()
        if head is None or utc(head["next_attempt_at"]) > now():
            return None
        event = event_by_id(connection, int(head["event_id"]))
    if event is None:
        raise RuntimeError(f"delivery of event {head['event_id']} names no event")
    return Due(webhook_of(hook, store.sealer), event, int(head["attempts"]))


def record_attempt(store: Store, due: Due, status_code: int | None, error: str | None,
                   backoff: Backoff, *, final: bool = False) -> str:
    """Write down one attempt; the delivery's status after it. A ``final``
    failure (a target refused before any request) is not tried again."""
    d = t.deliveries
    at = now()
    where = and_(d.c.webhook_id == due.webhook.id, d.c.event_id == due.event.id,
                 d.c.status == "pending")
    with transaction(store) as connection:
        row = connection.execute(select(d).where(where)).mappings().first()
        if row is None:
            return "gone"
        attempts = int(row["attempts"]) + 1
        first: datetime = utc(row["first_attempt_at"]) if row["first_attempt_at"] else at
        values: dict[str, object] = {"attempts": attempts, "first_attempt_at": first,
                                     "last_status_code": status_code, "last_error": error}
        give_up_at = first + timedelta(seconds=backoff.window_seconds)
        if status_code is not None and 200 <= status_code < 300:
            values.update(status="delivered", delivered_at=at, next_attempt_at=None)
        elif final or at >= give_up_at:
            values.update(status="failed", next_attempt_at=None)
        else:
            # The last attempt falls at the end of the window, not after it.
            retry_at = at + timedelta(seconds=backoff.delay(attempts))
            values.update(next_attempt_at=min(retry_at, give_up_at))
        connection.execute(d.update().where(where).values(**values))
    return str(values.get("status", "pending"))


# The worker


class Deliverer:
    """POSTs each webhook's due queue head; one task per webhook, so a slow
    receiver delays only its own queue."""

    def __init__(self, store: Store, client: httpx.AsyncClient, backoff: Backoff,
                 timeout_seconds: float, holding: Callable[[], bool], *,
                 allow_private: bool = False) -> None:
        self.store = store
        self.allow_private = allow_private
        self.client = client
        self.backoff = backoff
        self.timeout_seconds = timeout_seconds
        self.holding = holding
        self.running: dict[str, asyncio.Task[None]] = {}
        self._stopping = False

    async def launch_due(self) -> None:
        for webhook_id in await asyncio.to_thread(due_webhooks, self.store):
            task = self.running.get(webhook_id)
            if task is None or task.done():
                self.running[webhook_id] = asyncio.create_task(
                    self._drain(webhook_id), name=f"earmark-webhook-{webhook_id}")

    async def _drain(self, webhook_id: str) -> None:
        """Deliver the webhook's due deliveries one after the other."""
        try:
            while self.holding() and not self._stopping:
                due = await asyncio.to_thread(next_due, self.store, webhook_id)
                if due is None:
                    return
                refused = None if self.allow_private else await self.refused(due)
                if refused is not None:
                    await asyncio.to_thread(partial(record_attempt, self.store, due, None,
                                                    refused, self.backoff, final=True))
                    continue
                status_code, error = await self.post(due)
                await asyncio.to_thread(record_attempt, self.store, due, status_code, error,
                                        self.backoff)
        except Exception:
            # Tried again from the next tick; the delivery row still says pending.
            log.exception("delivering to webhook %s failed", webhook_id)

    async def refused(self, due: Due) -> str | None:
        """Why the webhook's URL may not be called now: checked at every
        delivery, after DNS resolution, since a name that was public when the
        webhook was made may point inside the network today."""
        host, port = target_of(due.webhook.url)
        try:
            addresses = await asyncio.to_thread(resolve, host, port)
        except (OSError, UnicodeError):
            return None  # Not refused: the attempt fails on its own, and is retried.
        reason = refusal(host, addresses)
        return None if reason is None else ("refused: " + reason)[:ERROR_LENGTH_MAX]

    async def post(self, due: Due) -> tuple[int | None, str | None]:
        body = due.event.body()
        headers = signed_headers(due.webhook.secret, due.event.id, body)
        headers["User-Agent"] = f"earmark/{__version__}"
        try:
            response = await self.client.post(due.webhook.url, content=body, headers=headers,
                                               timeout=self.timeout_seconds)
        except httpx.HTTPError as error:
            message = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
            return None, message[:ERROR_LENGTH_MAX]
        if 200 <= response.status_code < 300:
            return response.status_code, None
        return response.status_code, f"HTTP {response.status_code}"

    async def stop(self, grace_seconds: float = 5.0) -> None:
        """Let attempts in flight finish for a moment, then abandon them: an
        abandoned attempt stays pending and is made again."""
        self._stopping = True
        tasks = [task for task in self.running.values() if not task.done()]
        if tasks:
            await asyncio.wait(tasks, timeout=grace_seconds)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self.running.clear()
