"""``earmark dispatch`` killed mid-stream (kill -9) and started again: every
event reaches the receiver at least once, in event-id order, and an event
sent twice carries the same id and the same body."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.conftest import TODAY
from tests.integration.helpers import run, seed
from tests.notify_helpers import Receiver, receiving, wait_until

from earmark.notify import webhooks
from earmark.service import orders
from earmark.service.clock import Clock
from earmark.service.queries import list_events
from earmark.service.uow import Store

SECRET = "kill-9"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    # A little slow, so that the dispatcher is killed with deliveries still to make.
    with receiving(delay_seconds=0.01) as r:
        yield r


def start_dispatcher(database_url: str, log: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EARMARK_")}
    env.update({"EARMARK_TODAY": TODAY.isoformat(), "EARMARK_DISPATCH_POLL_SECONDS": "0.02",
                "EARMARK_WEBHOOK_ALLOW_PRIVATE": "1",  # the receiver listens on loopback
                "EARMARK_DISPATCH_LEASE_SECONDS": "1", "EARMARK_WEBHOOK_BACKOFF_BASE_SECONDS": "0.05"})
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "earmark.cli.main", "dispatch", "--database", database_url],
            env=env, stdout=out, stderr=subprocess.STDOUT)


def place(store: Store, first: int, count: int) -> None:
    for n in range(first, first + count):
        assert run(store, orders.place_order, orders.PlaceOrder(
            f"SO-{n}", "acme", [orders.LineIn("1", "COAT", 1, "WEB")])).ok


def event_ids_after(store: Store, after: int) -> list[int]:
    with store.unit_of_work(write=False) as uow:
        return [int(e["id"]) for e in list_events(uow.tx, after, None, 1000)["items"]]


def test_a_dispatcher_killed_mid_stream_resumes_with_nothing_lost(
    database_url: str, receiver: Receiver, tmp_path: Path
) -> None:
    store = Store(database_url, Clock(frozen=TODAY))
    store.upgrade()
    try:
        seed(store, on_hand=1000)
        start = max(event_ids_after(store, 0))
        assert run(store, webhooks.create_webhook,
                   webhooks.CreateWebhook(receiver.url, ["*"], SECRET,
                                          allow_private=True)).ok
        place(store, 0, 60)
        log = tmp_path / "dispatch.log"

        first = start_dispatcher(database_url, log)
        try:
            wait_until(lambda: len(receiver.all()) >= 15, 60, "the first deliveries")
        finally:
            first.send_signal(signal.SIGKILL)
            first.wait(10)
        assert first.returncode == -signal.SIGKILL
        delivered_before_restart = len(receiver.all())
        assert delivered_before_restart < 60, "killed too late to be mid-stream"

        place(store, 60, 20)  # recorded while no dispatcher runs
        expected = event_ids_after(store, start)
        second = start_dispatcher(database_url, log)
        try:
            wait_until(lambda: set(receiver.delivered_ids()) >= set(expected), 60,
                       "every event after the restart")
        finally:
            second.send_signal(signal.SIGTERM)
            second.wait(20)
        assert second.returncode == 0, log.read_text()
    finally:
        store.dispose()

    got = receiver.all()
    ids = [r.event_id for r in got]
    assert list(dict.fromkeys(ids)) == expected  # in order, none lost, no stranger
    for r in got:
        assert webhooks.verify(SECRET, r.headers["Earmark-Timestamp"], r.body,
                               r.headers["Earmark-Signature"])
        assert r.event["id"] == r.event_id
    bodies: dict[int, bytes] = {}
    for r in got:  # a redelivery is the same event: same id, same body
        assert bodies.setdefault(r.event_id, r.body) == r.body
    # One delivery at a time per webhook: the only event sent twice is the one
    # in flight when the dispatcher died, sent again first; so never an older
    # id after a newer one.
    assert ids == sorted(ids)
