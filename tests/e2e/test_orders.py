"""Orders over HTTP: place, replay, read, list, cancel, ship, batch."""

from __future__ import annotations

from typing import Any

import httpx
from tests.e2e.conftest import (
    Ids,
    Position,
    events_after,
    last_event_id,
    make_account,
    make_position,
    ok,
    problem,
)


def order_body(order_id: str, account: str, at: Position, *quantities: int,
               **line: Any) -> dict[str, Any]:
    return {"id": order_id, "account": account, "lines": [
        {"line": str(n + 1), "sku": at.sku, "location": at.location, "quantity": q, **line}
        for n, q in enumerate(quantities)]}


def test_an_order_is_allocated_from_stock_and_the_rest_backordered(
    api: httpx.Client, ids: Ids
) -> None:
    at = make_position(api, ids, 3, item={"lead_time_days": 14})
    account = make_account(api, ids)
    seen = last_event_id(api)
    oid = ids("SO")
    placed = ok(api.post("/v1/orders", json=order_body(
        oid, account, at, 5, requested_date="2026-01-07")), 201)
    assert (placed["id"], placed["account"], placed["status"]) == (oid, account, "open")
    line = placed["lines"][0]
    assert {k: line[k] for k in ("line", "sku", "location", "quantity", "allocated",
                                 "backordered", "shipped", "cancelled", "promised_date",
                                 "queue_position", "status")} == {
        "line": "1", "sku": at.sku, "location": at.location, "quantity": 5, "allocated": 3,
        "backordered": 2, "shipped": 0, "cancelled": 0, "promised_date": "2026-01-19",
        "queue_position": 1, "status": "partially_allocated"}
    assert line["promises"] == [
        {"quantity": 3, "date": "2026-01-07", "confirmed": True},
        {"quantity": 2, "date": "2026-01-19", "confirmed": False},
    ]
    assert ok(api.get(f"/v1/orders/{oid}")) == placed
    types = [e["type"] for e in events_after(api, seen)]
    assert types == ["order.allocated", "order.backordered"]


def test_placing_the_same_order_again_answers_200_and_other_content_409(
    api: httpx.Client, ids: Ids
) -> None:
    at = make_position(api, ids, 10)
    account = make_account(api, ids)
    body = order_body(ids("SO"), account, at, 4)
    placed = ok(api.post("/v1/orders", json=body), 201)
    seen = last_event_id(api)
    assert ok(api.post("/v1/orders", json=body), 200) == placed
    problem(api.post("/v1/orders", json=order_body(body["id"], account, at, 5)), 409,
            "exists_with_different_content")
    assert events_after(api, seen) == []
    assert ok(api.get(f"/v1/availability/{at.sku}",
                      params={"location": at.location}))["allocated"] == 4


def test_backorder_deny_cancels_what_cannot_be_held_now(api: httpx.Client, ids: Ids) -> None:
    at = make_position(api, ids, 2)
    account = make_account(api, ids)
    placed = ok(api.post("/v1/orders", json=order_body(ids("SO"), account, at, 5,
                                                       backorder="deny")), 201)
    line = placed["lines"][0]
    assert (line["allocated"], line["backordered"], line["cancelled"]) == (2, 0, 3)
    assert line["status"] == "allocated"


def test_backorder_reject_refuses_the_whole_order_and_changes_nothing(
    api: httpx.Client, ids: Ids
) -> None:
    at = make_position(api, ids, 2)
    account = make_account(api, ids)
    seen = last_event_id(api)
    oid = ids("SO")
    body = order_body(oid, account, at, 1, 3, backorder="reject")
    problem(api.post("/v1/orders", json=body), 409, "rejected_not_available")
    assert events_after(api, seen) == []
    problem(api.get(f"/v1/orders/{oid}"), 404)
    assert ok(api.get(f"/v1/availability/{at.sku}",
                      params={"location": at.location}))["available_now"] == 2
    # In full from free on-hand it is accepted.
    ok(api.post("/v1/orders", json=order_body(oid, account, at, 1, 1, backorder="reject")), 201)


def test_an_item_that_denies_backorders_sets_the_default_policy(
    api: httpx.Client, ids: Ids
) -> None:
    at = make_position(api, ids, 1, item={"backorders": "deny"})
    account = make_account(api, ids)
    line = ok(api.post("/v1/orders", json=order_body(ids("SO"), account, at, 3)), 201)["lines"][0]
    assert (line["backorder"], line["allocated"], line["cancelled"]) == ("deny", 1, 2)


def test_a_location_must_be_named_while_several_exist(api: httpx.Client, ids: Ids) -> None:
    at = make_position(api, ids, 1)
    make_position(api, ids, 1, name="OTHER")
    account = make_account(api, ids)
    body = {"id": ids("SO"), "account": account,
            "lines": [{"line": "1", "sku": at.sku, "quantity": 1}]}
    document = problem(api.post("/v1/orders", json=body), 422, "location_required")
    assert document["errors"][0]["field"] == "lines[0].location"


def test_orders_are_listed_by_account_and_status(api: httpx.Client, ids: Ids) -> None:
    at = make_position(api, ids, 10)
    account = make_account(api, ids)
    first = ok(api.post("/v1/orders", json=order_body(ids("SO1"), account, at, 1)), 201)
    second = ok(api.post("/v1/orders", json=order_body(ids("SO2"), account, at, 1)), 201)
    ok(api.post(f"/v1/orders/{first['id']}/cancel"))
    everything = ok(api.get("/v1/orders", params={"account": account}))["items"]
    assert [o["id"] for o in everything] == [first["id"], second["id"]]
    still_open = ok(api.get("/v1/orders", params={"account": account, "status": "open"}))
    assert [o["id"] for o in still_open["items"]] == [second["id"]]
    page = ok(api.get("/v1/orders", params={"account": account, "limit": 1}))
    assert [o["id"] for o in page["items"]] == [first["id"]]
    rest = ok(api.get("/v1/orders", params={"account": account, "limit": 1,
                                           "cursor": page["next_cursor"]}))
    assert [o["id"] for o in rest["items"]] == [second["id"]]
    problem(api.get("/v1/orders", params={"status": "pending"}), 422, "validation")


def test_cancelling_frees_units_for_the_queue(api: httpx.Client, ids: Ids) -> None:
    at = make_position(api, ids, 4)
    account = make_account(api, ids)
    first = ok(api.post("/v1/orders", json=order_body(ids("SO1"), account, at, 4)), 201)
    second = ok(api.post("/v1/orders", json=order_body(ids("SO2"), account, at, 3)), 201)
    assert second["lines"][0]["allocated"] == 0
    seen = last_event_id(api)
    problem(api.post(f"/v1/orders/{first['id']}/cancel",
                     json={"lines": [{"line": "1", "quantity": 5}]}), 409, "exceeds_open")
    assert events_after(api, seen) == []
    cancelled = ok(api.post(f"/v1/orders/{first['id']}/cancel",
                            json={"lines": [{"line": "1", "quantity": 2}]}))
    line = cancelled["lines"][0]
    assert (line["allocated"], line["cancelled"], line["status"]) == (2, 2, "allocated")
    served = ok(api.get(f"/v1/orders/{second['id']}"))["lines"][0]
    assert (served["allocated"], served["backordered"]) == (2, 1)
    types = {e["type"] for e in events_after(api, seen)}
    assert {"order.cancelled", "order.allocated"} <= types
    everything = ok(api.post(f"/v1/orders/{first['id']}/cancel"))
    assert everything["status"] == "closed"
    assert everything["lines"][0]["status"] == "cancelled"
    problem(api.post(f"/v1/orders/{ids('nope')}/cancel"), 404, "not_found")


def test_only_held_units_ship(api: httpx.Client, ids: Ids) -> None:
    at = make_position(api, ids, 3)
    account = make_account(api, ids)
    oid = ids("SO")
    ok(api.post("/v1/orders", json=order_body(oid, account, at, 5)), 201)
    seen = last_event_id(api)
    problem(api.post(f"/v1/orders/{oid}/ship", json={"lines": [{"line": "1", "quantity": 4}]}),
            409, "not_held")
    assert events_after(api, seen) == []
    shipped = ok(api.post(f"/v1/orders/{oid}/ship",
                          json={"lines": [{"line": "1", "quantity": 3}]}))
    line = shipped["lines"][0]
    assert (line["shipped"], line["allocated"], line["backordered"]) == (3, 0, 2)
    position = ok(api.get(f"/v1/availability/{at.sku}", params={"location": at.location}))
    assert (position["on_hand"], position["allocated"], position["backordered"]) == (0, 0, 2)
    problem(api.post(f"/v1/orders/{oid}/ship", json={"lines": [{"line": "9", "quantity": 1}]}),
            422, "invalid")
    problem(api.post(f"/v1/orders/{oid}/ship", json={"lines": []}), 422, "validation")


def test_a_batch_places_each_order_on_its_own(api: httpx.Client, ids: Ids) -> None:
    at = make_position(api, ids, 5)
    account = make_account(api, ids)
    good = order_body(ids("B1"), account, at, 2)
    existing = order_body(ids("B2"), account, at, 1)
    ok(api.post("/v1/orders", json=existing), 201)
    orders: list[Any] = [
        good,
        {"id": ids("B3"), "account": account, "lines": []},
        existing,
        order_body(existing["id"], account, at, 2),
        order_body(ids("B4"), ids("nobody"), at, 1),
        "not an order",
    ]
    results = ok(api.post("/v1/orders:batch", json={"orders": orders}))["results"]
    assert [r["status"] for r in results] == [201, 422, 200, 409, 422, 422]
    assert results[0]["body"]["lines"][0]["allocated"] == 2
    assert results[1]["body"]["errors"][0]["field"] == "lines"
    assert results[4]["body"]["type"] == "urn:earmark:problem:unknown_account"
    assert ok(api.get(f"/v1/orders/{good['id']}"))["lines"][0]["allocated"] == 2
    problem(api.get(f"/v1/orders/{ids('B3')}"), 404)


def test_a_batch_holds_at_most_1000_orders(api: httpx.Client) -> None:
    problem(api.post("/v1/orders:batch", json={"orders": [{}] * 1001}), 422, "validation")
