"""The message broker: with ``EARMARK_NATS_URL`` set, every event is also
published to NATS JetStream.

Stream ``EARMARK`` holds subjects ``earmark.>``; an event goes to
``earmark.<type>`` (``earmark.order.promise_changed``) with its JSON (as
``GET /v1/events`` shows it) as payload and its id as ``Nats-Msg-Id``, so
the stream drops a republished event (within its duplicate window, two
minutes by default). The cursor moves only after JetStream acknowledged
every message up to it: an event is published at least once, and stored
once.

The NATS client is the extra ``earmark[nats]``: it is imported when a
broker is made, and a missing one says so (:mod:`earmark.extras`).
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from earmark.extras import require
from earmark.notify.outbox import (
    CursorMoved,
    OutboxEvent,
    events_after,
    move_cursor,
    read_cursor,
    start_cursor,
    transaction,
)
from earmark.service.uow import Store

if TYPE_CHECKING:
    from nats.aio.client import Client
    from nats.js import JetStreamContext
    from nats.js.api import PubAck

log = logging.getLogger("earmark.notify.nats")

NATS_CURSOR = "nats"
CONNECT_TIMEOUT_SECONDS = 5.0
PUBLISH_TIMEOUT_SECONDS = 10.0


async def _on_error(error: Exception) -> None:
    log.debug("NATS: %s", error)


class Broker:
    """A connection to NATS JetStream and the stream earmark publishes to."""

    def __init__(self, url: str, stream: str = "EARMARK", subject_prefix: str = "earmark") -> None:
        # Asked for by EARMARK_NATS_URL: without the client, say so at once.
        self._nats = require("nats", "nats")
        self._errors = require("nats.js.errors", "nats")
        self.url = url
        self.stream = stream
        self.subject_prefix = subject_prefix
        self._client: Client | None = None
        self._js: JetStreamContext | None = None

    def subject(self, event_type: str) -> str:
        return f"{self.subject_prefix}.{event_type}"

    async def jetstream(self) -> JetStreamContext:
        """Connected, with the stream in place (made if missing)."""
        if self._js is not None and self._client is not None and self._client.is_connected:
            return self._js
        await self.close()
        # Few quick reconnects: a broker that stays down is the dispatcher's to
        # retry (with its own backoff), not the client's.
        client: Client = await self._nats.connect(
            self.url, connect_timeout=CONNECT_TIMEOUT_SECONDS, max_reconnect_attempts=2,
            reconnect_time_wait=0.5, error_cb=_on_error)
        js = client.jetstream(timeout=PUBLISH_TIMEOUT_SECONDS)
        try:
            await js.stream_info(self.stream)
        except self._errors.NotFoundError:
            await js.add_stream(name=self.stream, subjects=[f"{self.subject_prefix}.>"])
        self._client, self._js = client, js
        return js

    async def publish(self, event: OutboxEvent) -> PubAck:
        js = await self.jetstream()
        return await js.publish(self.subject(event.type), event.body(),
                                timeout=PUBLISH_TIMEOUT_SECONDS, stream=self.stream,
                                headers={"Nats-Msg-Id": str(event.id)})

    async def close(self) -> None:
        client, self._client, self._js = self._client, None, None
        if client is not None and not client.is_closed:
            try:
                await client.close()
            except Exception:  # closing a connection that failed: nothing to keep
                log.debug("closing the NATS connection failed", exc_info=True)


def _pending(store: Store, batch: int) -> tuple[int | None, list[OutboxEvent]]:
    with transaction(store, write=False) as connection:
        cursor = read_cursor(connection, NATS_CURSOR)
        return cursor, events_after(connection, cursor or 0, batch)


def _advance(store: Store, cursor: int | None, to: int) -> None:
    with transaction(store) as connection:
        if cursor is None:
            start_cursor(connection, NATS_CURSOR, 0)
        move_cursor(connection, NATS_CURSOR, cursor or 0, to)


async def publish_step(store: Store, broker: Broker, batch: int) -> bool:
    """Publish the events after the NATS cursor, in id order; True if it moved."""
    cursor, events = await asyncio.to_thread(_pending, store, batch)
    if not events:
        return False
    for event in events:
        await broker.publish(event)
    try:
        await asyncio.to_thread(_advance, store, cursor, events[-1].id)
    except CursorMoved:
        return False
    return True
