"""Events published to NATS JetStream (the local server, 127.0.0.1:4222):
one message per event on ``<prefix>.<type>``, its id as ``Nats-Msg-Id``,
read back by a consumer; a republished id is dropped by the stream.

Each test uses a stream and subject prefix of its own (the server is
shared) and deletes the stream afterwards. Without a NATS server the tests
skip, except in CI (``CI=true``), where that is a failure.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import nats
import pytest
from nats.js.api import ConsumerConfig, DeliverPolicy
from tests.conftest import IN_CI
from tests.integration.helpers import run, seed
from tests.notify_helpers import dispatching, fast_settings, wait_until

from earmark.api.schemas.events import EventOut
from earmark.notify.broker import NATS_CURSOR, Broker
from earmark.notify.outbox import OutboxEvent, read_cursor, transaction
from earmark.service import orders
from earmark.service.queries import list_events
from earmark.service.uow import Store
from earmark.store import tables as t

NATS_URL = os.environ.get("EARMARK_TEST_NATS_URL", "nats://127.0.0.1:4222")


@pytest.fixture
def stream() -> Iterator[tuple[str, str]]:
    """A stream name and subject prefix of this test's own; the stream is deleted after."""

    async def reachable() -> str | None:
        try:
            client = await nats.connect(NATS_URL, connect_timeout=2, max_reconnect_attempts=0,
                                        allow_reconnect=False)
        except Exception as error:
            return str(error) or type(error).__name__
        await client.close()
        return None

    if (error := asyncio.run(reachable())) is not None:
        message = f"no NATS server answers at {NATS_URL}: {error}"
        if IN_CI:
            pytest.fail(f"NATS is required in CI and did not answer: {message}")
        pytest.skip(message)
    tag = uuid.uuid4().hex[:10]
    name, prefix = f"EARMARK_TEST_{tag}", f"earmark_test_{tag}"
    yield name, prefix

    async def delete() -> None:
        client = await nats.connect(NATS_URL)
        with contextlib.suppress(nats.js.errors.NotFoundError):
            await client.jetstream().delete_stream(name)
        await client.close()

    asyncio.run(delete())


def recorded(store: Store) -> list[dict[str, Any]]:
    with store.unit_of_work(write=False) as uow:
        items = list_events(uow.tx, 0, None, 1000)["items"]
    return [EventOut.model_validate(e).model_dump(mode="json") for e in items]


def nats_cursor(store: Store) -> int:
    with transaction(store, write=False) as connection:
        return read_cursor(connection, NATS_CURSOR) or 0


async def consume(name: str, prefix: str, count: int) -> list[Any]:
    client = await nats.connect(NATS_URL)
    try:
        js = client.jetstream()
        subscription = await js.pull_subscribe(
            f"{prefix}.>", stream=name,
            config=ConsumerConfig(deliver_policy=DeliverPolicy.ALL))
        messages = await subscription.fetch(count, timeout=5)
        for message in messages:
            await message.ack()
        return list(messages)
    finally:
        await client.close()


async def stream_messages(name: str) -> int:
    client = await nats.connect(NATS_URL)
    try:
        return int((await client.jetstream().stream_info(name)).state.messages)
    finally:
        await client.close()


def test_every_event_is_published_once_and_read_back(store: Store, stream: tuple[str, str]
                                                     ) -> None:
    name, prefix = stream
    seed(store, on_hand=2, lead_time_days=10)
    for n in range(3):
        assert run(store, orders.place_order, orders.PlaceOrder(
            f"SO-{n}", "acme", [orders.LineIn("1", "COAT", 1 + n, "WEB")])).ok
    expected = recorded(store)
    settings = fast_settings(nats_url=NATS_URL, nats_stream=name, nats_subject_prefix=prefix)
    with dispatching(store, settings):
        wait_until(lambda: nats_cursor(store) == expected[-1]["id"], what="publishing")

    messages = asyncio.run(consume(name, prefix, len(expected) + 5))
    assert [m.subject for m in messages] == [f"{prefix}.{e['type']}" for e in expected]
    assert [m.headers["Nats-Msg-Id"] for m in messages] == [str(e["id"]) for e in expected]
    assert [json.loads(m.data) for m in messages] == expected

    # A dispatcher that stopped before moving its cursor publishes again: the
    # stream drops what it already has, by message id.
    with transaction(store) as connection:
        connection.execute(t.subscriber_cursors.update()
                           .where(t.subscriber_cursors.c.name == NATS_CURSOR)
                           .values(last_event_id=0))
    with dispatching(store, settings):
        wait_until(lambda: nats_cursor(store) == expected[-1]["id"], what="publishing again")
    assert asyncio.run(stream_messages(name)) == len(expected)


def test_a_republished_event_id_is_dropped_by_the_stream(stream: tuple[str, str]) -> None:
    name, prefix = stream
    event = OutboxEvent(7, "order.allocated", datetime(2026, 1, 5, 9, 30, tzinfo=UTC),
                        {"order": "SO-7"})

    async def publish_twice() -> tuple[bool, bool, int]:
        broker = Broker(NATS_URL, name, prefix)
        try:
            first = await broker.publish(event)
            again = await broker.publish(event)
        finally:
            await broker.close()
        return first.duplicate or False, again.duplicate or False, await stream_messages(name)

    first, again, count = asyncio.run(publish_twice())
    assert (first, again, count) == (False, True, 1)


def test_a_broker_that_is_down_holds_the_cursor_and_nothing_else(store: Store) -> None:
    seed(store, on_hand=5)
    assert run(store, orders.place_order, orders.PlaceOrder(
        "SO-1", "acme", [orders.LineIn("1", "COAT", 1, "WEB")])).ok
    settings = fast_settings(nats_url="nats://127.0.0.1:1", nats_stream="EARMARK_NOWHERE")
    with dispatching(store, settings):
        wait_until(lambda: _notices_cursor(store) > 0, what="the other readers")
    assert nats_cursor(store) == 0


def _notices_cursor(store: Store) -> int:
    with transaction(store, write=False) as connection:
        return read_cursor(connection, "notices") or 0
