"""The dispatcher: reads the outbox (the ``events`` table) from each
reader's last confirmed event and hands what follows on.

Readers, each with a cursor of its own (``subscriber_cursors``):

- ``notices``: customer notices (:mod:`earmark.notify.notices`);
- ``webhook:<id>``: one per webhook; queues the webhook's deliveries, which
  a worker then POSTs (:mod:`earmark.notify.delivery`);
- ``nats``: NATS JetStream, with ``EARMARK_NATS_URL`` (:mod:`earmark.notify.broker`);
- ``smtp``: e-mail of notices, with ``EARMARK_SMTP_URL`` (:mod:`earmark.notify.mailer`).

Delivery is at least once and in event-id order per reader. A reader's
cursor moves only once what it stands for is done (in the same transaction
for what is written to the database), so a dispatcher killed at any moment
resumes where the last one stopped, and what it sends again carries the
same event id. Nothing here runs inside a command's transaction: a slow or
dead receiver delays only its own deliveries, never an order.

One dispatcher works the outbox at a time: it holds a lease (``leases``)
that it renews while it runs and gives up when it stops; one that was
killed loses it ``EARMARK_DISPATCH_LEASE_SECONDS`` later. ``earmark serve``
runs a dispatcher on a thread of its own; ``earmark dispatch`` runs one
alone; both at once is safe.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta

import httpx
from sqlalchemy import select

from earmark.notify import broker as nats_sink
from earmark.notify import delivery, mailer, notices, retention
from earmark.notify.outbox import drop_lease, last_event_id, take_lease, transaction
from earmark.notify.webhooks import cursor_name
from earmark.service.uow import Store
from earmark.settings import Settings
from earmark.store import tables as t

log = logging.getLogger("earmark.notify")

BATCH_EVENTS = 500
"""Events a reader takes from the outbox in one step."""
SINK_RETRY_MAX_SECONDS = 60.0
"""A reader that failed (a broker or mail server down) is tried again after
a pause that doubles up to this."""


@dataclass(frozen=True)
class Progress:
    """Where the outbox ends and how far each reader has got."""

    last_event_id: int
    cursors: dict[str, int]
    webhooks: list[str]

    def behind(self, name: str, upto: int | None = None) -> bool:
        return self.cursors.get(name, 0) < (self.last_event_id if upto is None else upto)


def read_progress(store: Store) -> Progress:
    with transaction(store, write=False) as connection:
        last = last_event_id(connection)
        c = t.subscriber_cursors
        cursors = {name: int(at) for name, at in connection.execute(
            select(c.c.name, c.c.last_event_id))}
        w = t.webhooks
        webhooks = list(connection.execute(
            select(w.c.id).where(w.c.deleted_at.is_(None))).scalars())
    return Progress(last, cursors, webhooks)


class Dispatcher:
    def __init__(self, store: Store, settings: Settings, *, owner: str | None = None) -> None:
        self.store = store
        self.settings = settings
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.backoff = delivery.Backoff(settings.webhook_backoff_base_seconds,
                                        settings.webhook_backoff_cap_seconds,
                                        settings.webhook_retry_seconds)
        self.broker = (nats_sink.Broker(settings.nats_url, settings.nats_stream,
                                        settings.nats_subject_prefix)
                       if settings.nats_url else None)
        self.mail = mailer.SmtpTarget.from_url(settings.smtp_url) if settings.smtp_url else None
        self._held_until = 0.0
        self._retry_at: dict[str, float] = {}
        self._failures: dict[str, int] = {}
        self._purged_at = float("-inf")

    # The lease

    def holding(self) -> bool:
        return time.monotonic() < self._held_until

    def _hold_lease(self) -> bool:
        """Take or renew the lease when half of it has run out."""
        seconds = self.settings.dispatch_lease_seconds
        if time.monotonic() < self._held_until - seconds / 2:
            return True
        asked = time.monotonic()
        with transaction(self.store) as connection:
            held = take_lease(connection, self.owner, seconds)
        self._held_until = asked + seconds if held else 0.0
        return held

    def _drop_lease(self) -> None:
        self._held_until = 0.0
        with transaction(self.store) as connection:
            drop_lease(connection, self.owner)

    # The loop

    async def run(self, stop: asyncio.Event) -> None:
        """Dispatch until ``stop`` is set."""
        poll = self.settings.dispatch_poll_seconds
        async with httpx.AsyncClient(follow_redirects=False) as client:
            deliverer = delivery.Deliverer(
                self.store, client, self.backoff, self.settings.webhook_timeout_seconds,
                self.holding, allow_private=self.settings.webhook_allow_private)
            stopping = asyncio.ensure_future(stop.wait())
            try:
                while not stop.is_set():
                    # A stop does not wait for a tick (a broker that does not
                    # answer, say): whatever the tick had not confirmed is redone.
                    tick = asyncio.ensure_future(self.tick(deliverer))
                    await asyncio.wait({tick, stopping}, return_when=asyncio.FIRST_COMPLETED)
                    if not tick.done():
                        tick.cancel()
                        await asyncio.gather(tick, return_exceptions=True)
                        break
                    if not tick.result():
                        with contextlib.suppress(TimeoutError):
                            await asyncio.wait_for(asyncio.shield(stopping), poll)
            finally:
                stopping.cancel()
                await deliverer.stop()
                if self.broker is not None:
                    await self.broker.close()
                with contextlib.suppress(Exception):
                    await asyncio.to_thread(self._drop_lease)

    async def tick(self, deliverer: delivery.Deliverer) -> bool:
        """One round over every reader; True if any of them moved."""
        try:
            if not await asyncio.to_thread(self._hold_lease):
                return False
            progress = await asyncio.to_thread(read_progress, self.store)
        except Exception as error:
            # Logged in full once per outage, then briefly, until it answers again.
            first = not self._failures.get("database")
            self._failures["database"] = self._failures.get("database", 0) + 1
            log.warning("the dispatcher cannot reach the database (%s)", error, exc_info=first)
            return False
        self._failures.pop("database", None)
        store, batch = self.store, BATCH_EVENTS
        busy = False
        if progress.behind(notices.NOTICES_CURSOR):
            busy |= await self._step("notices", lambda: asyncio.to_thread(
                notices.produce, store, batch))
        behind = {w for w in progress.webhooks if progress.behind(cursor_name(w))}
        if behind:
            busy |= await self._step("webhooks", lambda: asyncio.to_thread(
                delivery.enqueue, store, batch, behind))
        broker, mail = self.broker, self.mail
        if broker is not None and progress.behind(nats_sink.NATS_CURSOR):
            busy |= await self._step("nats", lambda: nats_sink.publish_step(store, broker, batch))
        notices_at = progress.cursors.get(notices.NOTICES_CURSOR, 0)
        if mail is not None and progress.behind(mailer.MAIL_CURSOR, notices_at):
            busy |= await self._step("smtp", lambda: asyncio.to_thread(
                mailer.send_step, store, mail, batch))
        await self._step("deliveries", lambda: _nothing_moved(deliverer.launch_due()))
        if time.monotonic() - self._purged_at >= retention.PURGE_EVERY.total_seconds():
            self._purged_at = time.monotonic()
            kept = timedelta(days=self.settings.delivered_retention_days)
            await self._step("retention", lambda: _purge_delivered(store, kept))
        return busy

    async def _step(self, name: str, step: Callable[[], Awaitable[bool]]) -> bool:
        """Run one reader's step; a reader that fails pauses, the others go on."""
        if time.monotonic() < self._retry_at.get(name, 0.0):
            return False
        try:
            moved = await step()
        except Exception as error:
            failures = self._failures.get(name, 0) + 1
            self._failures[name] = failures
            pause = min(SINK_RETRY_MAX_SECONDS,
                        self.settings.dispatch_poll_seconds * 2 ** min(failures, 16))
            self._retry_at[name] = time.monotonic() + pause
            log.warning("dispatching to %s failed (%s); trying again in %.1fs",
                        name, error, pause, exc_info=failures == 1)
            return False
        self._failures.pop(name, None)
        return moved


async def _purge_delivered(store: Store, kept: timedelta) -> bool:
    """Delete old delivered deliveries (earmark.notify.retention); moves no reader."""
    await asyncio.to_thread(retention.purge_delivered, store, kept)
    return False


async def _nothing_moved(launch: Awaitable[None]) -> bool:
    await launch
    return False


class DispatcherThread:
    """A dispatcher on a thread of its own, with its own event loop, so that
    nothing it waits for shares a thread with the HTTP API."""

    def __init__(self, dispatcher: Dispatcher) -> None:
        self.dispatcher = dispatcher
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._main, name="earmark-dispatcher", daemon=True)

    def _main(self) -> None:
        async def main() -> None:
            self._loop = asyncio.get_running_loop()
            self._stop = asyncio.Event()
            self._ready.set()
            await self.dispatcher.run(self._stop)

        try:
            asyncio.run(main())
        except Exception:
            log.exception("the dispatcher stopped")
        finally:
            self._ready.set()

    def start(self) -> None:
        self._thread.start()
        self._ready.wait()

    def stop(self, timeout_seconds: float = 15.0) -> None:
        loop, stop = self._loop, self._stop
        if loop is not None and stop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop ended on its own
                loop.call_soon_threadsafe(stop.set)
        self._thread.join(timeout_seconds)


@contextlib.contextmanager
def dispatching(store: Store, settings: Settings) -> Iterator[Dispatcher | None]:
    """Run a dispatcher in the background for the duration (``earmark serve``),
    unless ``EARMARK_DISPATCH`` is false or the database lives in memory (no
    other connection could see it)."""
    if not settings.dispatch or store.url in ("sqlite://", "sqlite:///:memory:"):
        yield None
        return
    dispatcher = Dispatcher(store, settings)
    thread = DispatcherThread(dispatcher)
    thread.start()
    try:
        yield dispatcher
    finally:
        thread.stop()


def run_until_stopped(store: Store, settings: Settings) -> None:
    """``earmark dispatch``: run a dispatcher until SIGINT or SIGTERM."""

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        await Dispatcher(store, settings).run(stop)

    asyncio.run(main())
