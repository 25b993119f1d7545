"""Webhook delivery through the dispatcher, on SQLite and PostgreSQL: every
event, signed, in order, at least once; backoff while a receiver fails;
failed after the retry window; and order placement never waits for it."""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path
from typing import Any

from tests.conftest import TODAY
from tests.integration.helpers import run, seed
from tests.notify_helpers import dispatching, fast_settings, receiving, wait_until

from earmark.api.schemas.events import EventOut
from earmark.domain.outcomes import Outcome
from earmark.notify import webhooks
from earmark.notify.delivery import Backoff
from earmark.service import orders, supply
from earmark.service.queries import list_events
from earmark.service.uow import Store

SECRET = "s3cret-for-tests"


def subscribe(store: Store, url: str, events: list[str] | None = None) -> str:
    result = run(store, webhooks.create_webhook,
                 webhooks.CreateWebhook(url, events or ["*"], SECRET,
                                        allow_private=True))
    assert result.ok, result
    webhook_id: str = result.value["id"]
    return webhook_id


def order(oid: str, quantity: int, account: str = "acme") -> orders.PlaceOrder:
    return orders.PlaceOrder(oid, account, [orders.LineIn("1", "COAT", quantity, "WEB")])


def recorded_after(store: Store, after: int) -> list[dict[str, Any]]:
    with store.unit_of_work(write=False) as uow:
        items = list_events(uow.tx, after, None, 1000)["items"]
    return [EventOut.model_validate(e).model_dump(mode="json") for e in items]


def deliveries(store: Store, webhook_id: str) -> list[dict[str, Any]]:
    with store.unit_of_work(write=False) as uow:
        items: list[dict[str, Any]] = webhooks.list_deliveries(uow.tx, webhook_id, None, 1000)["items"]
    return items


def test_a_webhook_gets_every_later_event_signed_and_in_order(store: Store) -> None:
    seed(store, on_hand=3, lead_time_days=10)
    before = recorded_after(store, 0)
    with receiving() as receiver:
        hook = subscribe(store, receiver.url)
        for n in range(5):
            run(store, orders.place_order, order(f"SO-{n}", 2))
        expected = recorded_after(store, before[-1]["id"])
        with dispatching(store):
            wait_until(lambda: len(receiver.delivered_ids()) >= len(expected), what="deliveries")
            wait_until(lambda: {d["status"] for d in deliveries(store, hook)} == {"delivered"},
                       what="the deliveries recorded")
        got = receiver.all()
    assert [r.event_id for r in got] == [e["id"] for e in expected]
    for r, event in zip(got, expected, strict=True):
        # The body is the event exactly as GET /v1/events shows it.
        assert r.event == event
        assert r.headers["Earmark-Event-Id"] == str(event["id"])
        assert r.headers["Content-Type"] == "application/json"
        assert r.headers["Earmark-Signature"].startswith("v1=")
        assert webhooks.verify(SECRET, r.headers["Earmark-Timestamp"], r.body,
                               r.headers["Earmark-Signature"])
        assert not webhooks.verify("another secret", r.headers["Earmark-Timestamp"], r.body,
                                   r.headers["Earmark-Signature"])
    assert [d["event_id"] for d in deliveries(store, hook)] == [e["id"] for e in expected]


def test_a_signature_covers_the_timestamp_and_the_body() -> None:
    body = b'{"id":1}'
    signature = webhooks.sign("k", 1767600000, body)
    assert webhooks.verify("k", "1767600000", body, signature, now=1767600000)
    assert not webhooks.verify("k", "1767600001", body, signature, now=1767600000)
    assert not webhooks.verify("k", "1767600000", b'{"id":2}', signature, now=1767600000)
    # An old timestamp is refused even with a good signature (replays).
    assert not webhooks.verify("k", "1767600000", body, signature, now=1767600000 + 3600)


def test_the_readme_snippet_verifies_a_delivery() -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    section = readme[readme.index("## Webhooks"):]
    snippet = section[section.index("```python") + len("```python"):]
    namespace: dict[str, Any] = {}
    exec(snippet[:snippet.index("```")], namespace)  # noqa: S102 - our own README
    body = b'{"id":1,"type":"order.allocated"}'
    headers = webhooks.signed_headers(SECRET, 1, body)
    assert namespace["verify"](SECRET, headers, body) is True
    assert namespace["verify"]("wrong", headers, body) is False
    assert namespace["verify"](SECRET, headers, body + b" ") is False
    old = webhooks.signed_headers(SECRET, 1, body, timestamp=int(time.time()) - 3600)
    assert namespace["verify"](SECRET, old, body) is False


def test_a_failing_receiver_is_retried_with_backoff_until_it_recovers(store: Store) -> None:
    seed(store, on_hand=5)
    failures = 4
    with receiving(lambda n, event: 503 if n <= failures else 200) as receiver:
        hook = subscribe(store, receiver.url, ["order.allocated"])
        run(store, orders.place_order, order("SO-1", 1))
        run(store, orders.place_order, order("SO-2", 1))
        with dispatching(store, fast_settings(webhook_backoff_base_seconds=0.1)):
            wait_until(lambda: len(receiver.delivered_ids()) == 2, what="recovery")
        attempts = receiver.all()
    first = [r for r in attempts if r.event["data"]["order"] == "SO-1"]
    assert [r.status for r in first] == [503] * failures + [200]
    assert len({r.body for r in first}) == 1  # the same event, the same id, each time
    gaps = [b.at - a.at for a, b in zip(first, first[1:], strict=False)]
    for n, gap in enumerate(gaps, start=1):
        # After the n-th failure the wait is at least half of base * 2^(n-1).
        assert gap >= 0.1 * 2 ** (n - 1) / 2 * 0.9, gaps
    assert gaps[-1] > gaps[0]
    # The second event waited behind the first: order holds across retries.
    assert receiver.delivered_ids() == [first[0].event_id, attempts[-1].event_id]
    assert attempts[-1].event["data"]["order"] == "SO-2"
    shown = deliveries(store, hook)
    assert [(d["attempts"], d["status"], d["last_status_code"]) for d in shown] == [
        (failures + 1, "delivered", 200), (1, "delivered", 200)]
    assert all(d["next_attempt_at"] is None for d in shown)


def test_after_the_retry_window_a_delivery_fails_and_the_next_goes_out(store: Store) -> None:
    seed(store, on_hand=5)

    def answer(n: int, event: dict[str, Any]) -> int:
        return 500 if event["data"]["order"] == "SO-1" else 200

    with receiving(answer) as receiver:
        hook = subscribe(store, receiver.url, ["order.allocated"])
        run(store, orders.place_order, order("SO-1", 1))
        run(store, orders.place_order, order("SO-2", 1))
        settings = fast_settings(webhook_backoff_base_seconds=0.05, webhook_retry_seconds=0.12)
        with dispatching(store, settings):
            wait_until(lambda: len(receiver.delivered_ids()) == 1, what="the second event")
    shown = deliveries(store, hook)
    assert [d["status"] for d in shown] == ["failed", "delivered"]
    assert shown[0]["last_status_code"] == 500 and shown[0]["attempts"] >= 2
    assert shown[0]["next_attempt_at"] is None


def test_an_unreachable_receiver_is_recorded_without_a_status_code(store: Store) -> None:
    seed(store, on_hand=5)
    with receiving() as receiver:
        url = receiver.url
    hook = subscribe(store, url)  # nothing listens there any more
    run(store, orders.place_order, order("SO-1", 1))
    with dispatching(store):
        wait_until(lambda: bool(deliveries(store, hook)) and deliveries(store, hook)[0]["attempts"] >= 2,
                   what="two attempts")
    first = deliveries(store, hook)[0]
    assert first["status"] == "pending" and first["last_status_code"] is None
    assert first["last_error"] and first["next_attempt_at"] is not None


def test_backoff_doubles_to_its_cap_with_jitter() -> None:
    backoff = Backoff(base_seconds=1, cap_seconds=3600, window_seconds=86400)
    for attempts in range(1, 20):
        ceiling = min(3600, 2 ** (attempts - 1))
        for _ in range(20):
            assert ceiling / 2 <= backoff.delay(attempts) <= ceiling
    assert backoff.delay(200) <= 3600


def test_a_webhook_gets_only_the_types_it_asked_for_and_nothing_once_deleted(store: Store) -> None:
    seed(store, on_hand=1, lead_time_days=5)
    with receiving() as receiver:
        hook = subscribe(store, receiver.url, ["order.backordered"])
        run(store, orders.place_order, order("SO-1", 3))
        with dispatching(store):
            wait_until(lambda: len(receiver.delivered_ids()) == 1, what="the backorder")
            assert run(store, webhooks.delete_webhook, webhooks.DeleteWebhook(hook)).ok
            run(store, orders.place_order, order("SO-2", 3))
            time.sleep(0.3)
        assert [r.event["type"] for r in receiver.all()] == ["order.backordered"]
    assert run(store, webhooks.delete_webhook, webhooks.DeleteWebhook(hook)).ok is False


def test_a_slow_receiver_never_slows_order_placement(store: Store) -> None:
    seed(store, on_hand=1000)
    with receiving(delay_seconds=1.5) as receiver:
        subscribe(store, receiver.url)
        run(store, orders.place_order, order("SO-0", 1))
        with dispatching(store):
            wait_until(lambda: len(receiver.started) >= 1, what="a delivery in flight")
            times: list[float] = []
            for n in range(1, 21):
                started = time.perf_counter()
                assert run(store, orders.place_order, order(f"SO-{n}", 1)).ok
                times.append(time.perf_counter() - started)
            # Every order was placed while the receiver still held the first delivery.
            assert len(receiver.received) == 0
    assert max(times) < 0.5, times


def test_two_dispatchers_at_once_deliver_each_event_once(store: Store) -> None:
    seed(store, on_hand=50)
    with receiving() as receiver:
        subscribe(store, receiver.url)
        for n in range(20):
            run(store, orders.place_order, order(f"SO-{n}", 1))
        with dispatching(store), dispatching(store):
            wait_until(lambda: len(receiver.delivered_ids()) >= 20, what="deliveries")
            time.sleep(0.2)
        ids = receiver.delivered_ids()
    assert ids == sorted(set(ids)) and len(ids) == 20


def test_the_calendar_of_the_store_does_not_matter_to_delivery(store: Store) -> None:
    # Delivery times are real time; the frozen calendar only dates promises.
    seed(store, on_hand=1)
    with receiving() as receiver:
        subscribe(store, receiver.url)
        run(store, supply.create_receipt, supply.CreateReceipt(
            "PO-1", "COAT", "WEB", 5, date(TODAY.year + 1, 1, 1)))
        with dispatching(store):
            wait_until(lambda: len(receiver.delivered_ids()) == 1, what="the receipt")


def test_at_most_a_hundred_webhooks_are_active_at_once(store: Store) -> None:
    made = [subscribe(store, f"http://127.0.0.1:9/{n}") for n in range(webhooks.WEBHOOKS_MAX)]
    refused = run(store, webhooks.create_webhook,
                  webhooks.CreateWebhook("http://127.0.0.1:9/x", ["*"], SECRET,
                                         allow_private=True))
    assert refused.outcome is Outcome.invalid and refused.errors[0].field == "url"
    assert run(store, webhooks.delete_webhook, webhooks.DeleteWebhook(made[0])).ok
    subscribe(store, "http://127.0.0.1:9/x")
