"""``/v1/webhooks`` over real HTTP: create, list, read, delete, refuse what
breaks a rule; and a real receiver that fails, then recovers, gets every
event signed, as ``/v1/events`` shows it, with its attempts on record."""

from __future__ import annotations

from typing import Any

import httpx
from tests.e2e.conftest import (
    Ids,
    StartServer,
    events_after,
    last_event_id,
    make_account,
    make_position,
    ok,
    problem,
)
from tests.notify_helpers import receiving, wait_until

from earmark.notify.webhooks import verify

SECRET = "whsec-e2e"
FAST = {"EARMARK_DISPATCH_POLL_SECONDS": "0.02", "EARMARK_WEBHOOK_BACKOFF_BASE_SECONDS": "0.05",
        "EARMARK_WEBHOOK_BACKOFF_CAP_SECONDS": "0.5"}


def test_a_webhook_is_created_listed_read_and_deleted(api: httpx.Client) -> None:
    body = {"url": "http://127.0.0.1:9/hook", "events": ["order.promise_changed"],
            "secret": SECRET}
    created = ok(api.post("/v1/webhooks", json=body), 201)
    assert set(created) == {"id", "url", "events", "created_at"}  # never the secret
    assert created["id"].startswith("wh_")
    assert (created["url"], created["events"]) == (body["url"], body["events"])
    assert ok(api.get(f"/v1/webhooks/{created['id']}")) == created
    listed: list[dict[str, object]] = []
    params: dict[str, object] = {"limit": 1000}
    while True:
        page = ok(api.get("/v1/webhooks", params=params))
        listed += page["items"]
        if page["next_cursor"] is None:
            break
        params["cursor"] = page["next_cursor"]
    assert created in listed
    assert ok(api.get(f"/v1/webhooks/{created['id']}/deliveries")) == {
        "items": [], "next_cursor": None}

    deleted = api.delete(f"/v1/webhooks/{created['id']}")
    assert deleted.status_code == 204 and deleted.content == b""
    problem(api.get(f"/v1/webhooks/{created['id']}"), 404, "not_found")
    problem(api.delete(f"/v1/webhooks/{created['id']}"), 404, "not_found")
    problem(api.get(f"/v1/webhooks/{created['id']}/deliveries"), 404, "not_found")
    problem(api.get("/v1/webhooks/wh_nothing"), 404)


def test_a_webhook_that_breaks_a_rule_is_refused(api: httpx.Client) -> None:
    good = {"url": "https://127.0.0.1:9/hook", "events": ["*"], "secret": SECRET}
    for field, value in (("url", "ftp://127.0.0.1/hook"), ("url", "not a url"),
                         ("url", "http://"), ("events", []), ("events", ["order.unknown"]),
                         ("secret", "")):
        document = problem(api.post("/v1/webhooks", json={**good, field: value}), 422)
        assert document["errors"][0]["field"] == field, document
    for field, value in (("url", "http://exa\u0000mple.com/"), ("secret", "a\u0000b")):
        problem(api.post("/v1/webhooks", json={**good, field: value}), 422)
    problem(api.post("/v1/webhooks", json={"url": good["url"], "events": ["*"]}), 422)
    problem(api.post("/v1/webhooks", json={**good, "extra": 1}), 422)
    problem(api.post("/v1/webhooks", content=b"{not json",
                     headers={"Content-Type": "application/json"}), 400)


def test_an_idempotency_key_creates_one_webhook(api: httpx.Client, ids: Ids) -> None:
    body = {"url": "http://127.0.0.1:9/once", "events": ["*"], "secret": SECRET}
    headers = {"Idempotency-Key": ids("hook")}
    first = ok(api.post("/v1/webhooks", json=body, headers=headers), 201)
    again = api.post("/v1/webhooks", json=body, headers=headers)
    assert ok(again, 201) == first
    assert again.headers["Idempotent-Replayed"] == "true"
    assert api.delete(f"/v1/webhooks/{first['id']}").status_code == 204


def test_a_receiver_that_fails_then_recovers_gets_every_event_signed(
    start_server: StartServer, ids: Ids
) -> None:
    server = start_server(env=FAST)
    api = server.client
    with receiving(lambda n, event: 500 if n <= 2 else 200) as receiver:
        hook = ok(api.post("/v1/webhooks", json={
            "url": receiver.url, "events": ["order.backordered", "order.allocated"],
            "secret": SECRET}), 201)
        mark = last_event_id(api)
        at = make_position(api, ids, 1, item={"lead_time_days": 5})
        account = make_account(api, ids)
        ok(api.post("/v1/orders", json={"id": ids("SO"), "account": account, "lines": [
            {"line": "1", "sku": at.sku, "location": at.location, "quantity": 3}]}), 201)
        wanted = [e for e in events_after(api, mark)
                  if e["type"] in ("order.backordered", "order.allocated")]
        assert [e["type"] for e in wanted] == ["order.allocated", "order.backordered"]
        wait_until(lambda: len(receiver.delivered_ids()) == 2, what="both deliveries")
        got = receiver.all()

    assert [r.status for r in got] == [500, 500, 200, 200]
    assert [r.event_id for r in got] == [wanted[0]["id"]] * 3 + [wanted[1]["id"]]
    for r in got:
        assert verify(SECRET, r.headers["Earmark-Timestamp"], r.body,
                      r.headers["Earmark-Signature"])
    assert [r.event for r in got[2:]] == wanted
    def shown_deliveries() -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = ok(api.get(f"/v1/webhooks/{hook['id']}/deliveries"))["items"]
        return items

    # The receiver answered before the dispatcher wrote the answer down.
    wait_until(lambda: [d["status"] for d in shown_deliveries()] == ["delivered"] * 2,
               what="the deliveries recorded")
    shown = shown_deliveries()
    assert [(d["event_id"], d["attempts"], d["status"], d["last_status_code"],
             d["next_attempt_at"]) for d in shown] == [
        (wanted[0]["id"], 3, "delivered", 200, None), (wanted[1]["id"], 1, "delivered", 200, None)]
