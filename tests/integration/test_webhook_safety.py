"""Webhooks that cannot be turned against the network (API.md "Delivery of
events"): a URL on a loopback, private or link-local address is refused when
the webhook is made and at every delivery, unless
``EARMARK_WEBHOOK_ALLOW_PRIVATE=1``; the secret is never shown and stored
only sealed; delivered rows and old events do not pile up forever."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from tests.integration.cli_helpers import Cli, cli_on
from tests.integration.helpers import run, seed
from tests.notify_helpers import dispatching, fast_settings, receiving, wait_until

from earmark.api.app import create_app
from earmark.notify import webhooks
from earmark.notify.notices import NOTICES_CURSOR
from earmark.notify.outbox import now, read_cursor
from earmark.notify.retention import purge_delivered, purge_events
from earmark.service import orders
from earmark.service.queries import list_events
from earmark.service.uow import Store
from earmark.settings import Settings
from earmark.store import tables as t

SECRET = "whsec-for-tests-0123456789"
PUBLIC_URL = "https://93.184.215.14/earmark"
"""An address on the public internet, written as one (no DNS in the tests)."""
PRIVATE_URLS = [
    "http://127.0.0.1:8080/hook",        # loopback
    "http://localhost/hook",             # a name that resolves to loopback
    "http://10.1.2.3/hook",              # private
    "http://192.168.0.5/hook",           # private
    "http://169.254.169.254/latest/meta-data",  # link-local: a cloud's metadata service
    "http://[::1]/hook",                 # loopback, IPv6
    "http://[fe80::1]/hook",             # link-local, IPv6
    "http://[::ffff:10.0.0.1]/hook",     # private, written as IPv4-mapped IPv6
]


def hook_body(url: str) -> dict[str, Any]:
    return {"url": url, "events": ["*"], "secret": SECRET}


@pytest.mark.parametrize("url", PRIVATE_URLS)
def test_a_webhook_to_a_private_loopback_or_link_local_address_is_refused(
        store: Store, url: str) -> None:
    with TestClient(create_app(store, Settings(dispatch=False))) as api:
        refused = api.post("/v1/webhooks", json=hook_body(url))
        assert refused.status_code == 422, refused.text
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert [e["field"] for e in refused.json()["errors"]] == ["url"]
        assert api.get("/v1/webhooks").json()["items"] == []


def test_private_addresses_are_allowed_when_the_server_says_so(store: Store) -> None:
    settings = Settings(dispatch=False, webhook_allow_private=True)
    with TestClient(create_app(store, settings)) as api:
        for url in PRIVATE_URLS[:3]:
            assert api.post("/v1/webhooks", json=hook_body(url)).status_code == 201
        assert len(api.get("/v1/webhooks").json()["items"]) == 3


def test_a_secret_is_never_returned_and_is_stored_only_sealed(store: Store) -> None:
    with TestClient(create_app(store, Settings(dispatch=False))) as api:
        made = api.post("/v1/webhooks", json=hook_body(PUBLIC_URL))
        assert made.status_code == 201, made.text
        hook_id = made.json()["id"]
        answers = [made.text, api.get("/v1/webhooks").text, api.get(f"/v1/webhooks/{hook_id}").text,
                   api.get(f"/v1/webhooks/{hook_id}/deliveries").text,
                   api.get("/openapi.json").text]
    assert all(SECRET not in answer for answer in answers)
    assert set(made.json()) == {"id", "url", "events", "created_at"}
    with store.engine.connect() as connection:
        row = connection.execute(select(t.webhooks)).mappings().one()
    assert all(SECRET not in str(value) for value in row.values())
    assert store.sealer.open(row["sealed_secret"]) == SECRET
    with store.unit_of_work(write=False) as uow:
        [webhook] = webhooks.active_webhooks(uow.tx, store.sealer)
    assert webhook.secret == SECRET


def order(oid: str, quantity: int) -> orders.PlaceOrder:
    return orders.PlaceOrder(oid, "acme", [orders.LineIn("1", "COAT", quantity, "WEB")])


def deliveries(store: Store, webhook_id: str) -> list[dict[str, Any]]:
    with store.unit_of_work(write=False) as uow:
        items: list[dict[str, Any]] = webhooks.list_deliveries(uow.tx, webhook_id, None,
                                                               1000)["items"]
    return items


def subscribe(store: Store, url: str) -> str:
    # Made while allowed (as if the name had been public then).
    made = run(store, webhooks.create_webhook,
               webhooks.CreateWebhook(url, ["*"], SECRET, allow_private=True))
    assert made.ok, made
    webhook_id: str = made.value["id"]
    return webhook_id


def test_a_delivery_to_an_address_found_private_at_delivery_is_failed_and_not_sent(
        store: Store) -> None:
    seed(store, on_hand=3)
    with receiving() as receiver:
        hook = subscribe(store, receiver.url)
        run(store, orders.place_order, order("SO-1", 2))
        with dispatching(store, fast_settings(webhook_allow_private=False)):
            wait_until(lambda: [d["status"] for d in deliveries(store, hook)] == ["failed"],
                       what="the refused delivery")
        [refused] = deliveries(store, hook)
        assert refused["attempts"] == 1 and refused["last_status_code"] is None
        assert refused["last_error"].startswith("refused: its host '127.0.0.1'")
        assert receiver.all() == []


def test_delivered_rows_older_than_the_retention_are_purged_by_the_server(store: Store) -> None:
    seed(store, on_hand=10)
    with receiving() as receiver:
        hook = subscribe(store, receiver.url)
        for n in range(3):
            run(store, orders.place_order, order(f"SO-{n}", 1))
        with dispatching(store):
            wait_until(lambda: [d["status"] for d in deliveries(store, hook)] == ["delivered"] * 3,
                       what="three deliveries")
    first, *_ = [d["event_id"] for d in deliveries(store, hook)]
    # The first two were delivered 8 days ago; the third just now.
    with store.engine.begin() as connection:
        connection.execute(update(t.deliveries).where(t.deliveries.c.event_id <= first + 1)
                           .values(delivered_at=now() - timedelta(days=8)))
    assert purge_delivered(store, timedelta(days=7)) == 2
    assert [d["event_id"] for d in deliveries(store, hook)] == [first + 2]
    # The server's dispatcher does the same by itself (here with a 1-day retention).
    with store.engine.begin() as connection:
        connection.execute(update(t.deliveries).values(delivered_at=now() - timedelta(days=2)))
    with dispatching(store, fast_settings(delivered_retention_days=1)):
        wait_until(lambda: deliveries(store, hook) == [], what="the purge")


def event_ids(store: Store) -> list[int]:
    with store.unit_of_work(write=False) as uow:
        return [e["id"] for e in list_events(uow.tx, 0, None, 1000)["items"]]


@pytest.fixture
def cli(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Cli]:
    yield from cli_on(database_url, monkeypatch)


def test_events_purge_keeps_the_events_an_active_webhook_has_not_had(
        store: Store, cli: Cli) -> None:
    seed(store, on_hand=3)
    before = event_ids(store)
    with receiving(answer=lambda n, event: 500) as receiver:
        hook = subscribe(store, receiver.url)
        run(store, orders.place_order, order("SO-1", 2))
        later = [i for i in event_ids(store) if i not in before]

        def caught_up() -> bool:
            with store.engine.connect() as connection:
                told = read_cursor(connection, NOTICES_CURSOR)
            return told == later[-1] and all(d["attempts"] >= 1 for d in deliveries(store, hook))

        with dispatching(store, fast_settings(webhook_backoff_base_seconds=60)):
            wait_until(caught_up, what="the notices and a first, failed, attempt")
    assert len(before) >= 1 and len(later) >= 1
    # Events are stamped with the real time: none is from before 2000.
    assert purge_events(store, date(2000, 1, 1)) == (0, later[0])
    tomorrow = (now() + timedelta(days=1)).date().isoformat()
    said = cli("events", "purge", "--before", tomorrow)
    assert said.strip() == (f"deleted {len(before)} event(s) recorded before {tomorrow}; "
                            f"events from #{later[0]} on are kept for their readers")
    assert event_ids(store) == later
    # Once the webhook is gone, nothing holds them.
    assert run(store, webhooks.delete_webhook, webhooks.DeleteWebhook(hook)).ok
    assert purge_events(store, date.fromisoformat(tomorrow)) == (len(later), later[-1] + 1)
    assert event_ids(store) == []
