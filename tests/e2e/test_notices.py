"""``/v1/accounts/{id}/notices`` and ``/v1/accounts/{id}/contact`` over real
HTTP: the server's own dispatcher turns changes into notices."""

from __future__ import annotations

from typing import Any

import httpx
from tests.e2e.conftest import Ids, make_account, make_position, ok, problem
from tests.notify_helpers import wait_until


def notices_of(api: httpx.Client, account: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = ok(api.get(f"/v1/accounts/{account}/notices"))["items"]
    return items


def test_an_account_is_told_of_its_backorder_and_of_the_date_that_moved(
    api: httpx.Client, ids: Ids
) -> None:
    at = make_position(api, ids, 0)
    account = make_account(api, ids, "Acme")
    receipt, order = ids("PO"), ids("SO")
    ok(api.post("/v1/receipts", json={"id": receipt, "sku": at.sku, "location": at.location,
                                      "quantity": 5, "expected_date": "2026-02-01"}), 201)
    ok(api.post("/v1/orders", json={"id": order, "account": account, "lines": [
        {"line": "1", "sku": at.sku, "location": at.location, "quantity": 2}]}), 201)
    ok(api.patch(f"/v1/receipts/{receipt}", json={"expected_date": "2026-02-16"}))

    wait_until(lambda: len(notices_of(api, account)) == 2, what="two notices")
    backordered, moved = notices_of(api, account)
    for notice in (backordered, moved):
        assert set(notice) == {"id", "event_id", "at", "kind", "order", "line", "subject",
                               "text", "html"}
        assert notice["order"] == order and notice["line"] == "1"
    assert backordered["id"] < moved["id"]  # newest last
    assert backordered["kind"] == "backordered"
    assert backordered["subject"] == (f"Order {order}: 2 × An item backordered, confirmed for "
                                      "Sunday 1 February 2026")
    assert moved["kind"] == "date_moved"
    assert "because a delivery to us was delayed" in moved["text"]
    assert moved["html"].startswith("<!DOCTYPE html>")
    event = [e for e in ok(api.get("/v1/events", params={
        "after": moved["event_id"] - 1, "limit": 1}))["items"]][0]
    assert event["type"] == "order.promise_changed" and event["data"]["order"] == order

    page = ok(api.get(f"/v1/accounts/{account}/notices", params={"limit": 1}))
    assert page["items"] == [backordered] and page["next_cursor"] is not None
    rest = ok(api.get(f"/v1/accounts/{account}/notices",
                      params={"limit": 1, "cursor": page["next_cursor"]}))
    assert rest["items"] == [moved]


def test_a_contact_address_is_set_changed_and_read(api: httpx.Client, ids: Ids) -> None:
    account = make_account(api, ids)
    problem(api.get(f"/v1/accounts/{account}/contact"), 404)
    first = ok(api.put(f"/v1/accounts/{account}/contact", json={"email": "a@example.com"}), 201)
    assert (first["account"], first["email"]) == (account, "a@example.com")
    changed = ok(api.put(f"/v1/accounts/{account}/contact", json={"email": "b@example.com"}))
    assert changed["email"] == "b@example.com"
    assert ok(api.get(f"/v1/accounts/{account}/contact")) == changed
    for bad in ("nope", "a\u0000b@example.com"):
        problem(api.put(f"/v1/accounts/{account}/contact", json={"email": bad}), 422)
    problem(api.put(f"/v1/accounts/{ids('nobody')}/contact", json={"email": "a@example.com"}),
            404)
    problem(api.get(f"/v1/accounts/{ids('nobody')}/notices"), 404)
    assert ok(api.get(f"/v1/accounts/{account}/notices")) == {"items": [], "next_cursor": None}
