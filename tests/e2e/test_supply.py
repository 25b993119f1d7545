"""Adjustments and receipts over HTTP."""

from __future__ import annotations

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


def order(api: httpx.Client, ids: Ids, account: str, at: Position, quantity: int,
          **line: object) -> dict[str, object]:
    body = {"id": ids(f"SO{quantity}-{last_event_id(api)}"), "account": account, "lines": [
        {"line": "1", "sku": at.sku, "location": at.location, "quantity": quantity, **line}]}
    result: dict[str, object] = ok(api.post("/v1/orders", json=body), 201)
    return result


def line_of(api: httpx.Client, order_id: object) -> dict[str, object]:
    line: dict[str, object] = ok(api.get(f"/v1/orders/{order_id}"))["lines"][0]
    return line


def test_an_adjustment_answers_201_with_the_position(api: httpx.Client, ids: Ids) -> None:
    at = make_position(api, ids)
    seen = last_event_id(api)
    body = ok(api.post("/v1/adjustments", json={
        "sku": at.sku, "location": at.location, "quantity": 7, "reason": "count",
        "note": "cycle count"}), 201)
    assert set(body) == {"position"}
    assert body["position"]["on_hand"] == 7
    assert body["position"]["available_now"] == 7
    assert body["position"]["atp"] == [{"date": "2026-01-05", "supply": 7, "available": 7}]
    [event] = events_after(api, seen)
    assert event["type"] == "stock.adjusted"
    assert event["data"]["quantity"] == 7


def test_a_negative_adjustment_takes_held_units_back_latest_arrival_first(
    api: httpx.Client, ids: Ids
) -> None:
    at = make_position(api, ids, 10)
    account = make_account(api, ids)
    first = order(api, ids, account, at, 6)
    second = order(api, ids, account, at, 4)
    position = ok(api.post("/v1/adjustments", json={
        "sku": at.sku, "location": at.location, "quantity": -5, "reason": "damage"}), 201)
    assert position["position"]["on_hand"] == 5
    assert position["position"]["allocated"] == 5
    assert position["position"]["backordered"] == 5
    # Reverse rank order: the later order gives up all 4, the earlier one 1.
    assert (line_of(api, second["id"])["allocated"], line_of(api, first["id"])["allocated"]) == (0, 5)
    assert line_of(api, first["id"])["queue_position"] == 1
    assert line_of(api, second["id"])["queue_position"] == 2


def test_on_hand_never_goes_below_zero(api: httpx.Client, ids: Ids) -> None:
    at = make_position(api, ids, 3)
    seen = last_event_id(api)
    document = problem(api.post("/v1/adjustments", json={
        "sku": at.sku, "location": at.location, "quantity": -4, "reason": "damage"}), 422,
        "would_go_negative")
    assert document["errors"][0]["field"] == "quantity"
    assert events_after(api, seen) == []
    position = ok(api.get(f"/v1/availability/{at.sku}", params={"location": at.location}))
    assert position["on_hand"] == 3


def receipt_body(at: Position, receipt: str, quantity: int = 10,
                 expected_date: str = "2026-02-01") -> dict[str, object]:
    return {"id": receipt, "sku": at.sku, "location": at.location, "quantity": quantity,
            "expected_date": expected_date}


def test_a_receipt_is_created_read_listed_and_replayed(api: httpx.Client, ids: Ids) -> None:
    at = make_position(api, ids)
    rid = ids("PO")
    created = ok(api.post("/v1/receipts", json={**receipt_body(at, rid), "source": "harvest"}), 201)
    assert {k: created[k] for k in ("id", "sku", "location", "quantity", "received", "open",
                                    "expected_date", "source", "status")} == {
        "id": rid, "sku": at.sku, "location": at.location, "quantity": 10, "received": 0,
        "open": 10, "expected_date": "2026-02-01", "source": "harvest", "status": "open"}
    assert ok(api.get(f"/v1/receipts/{rid}")) == created
    page = ok(api.get("/v1/receipts", params={"sku": at.sku, "status": "open"}))
    assert [r["id"] for r in page["items"]] == [rid]
    assert ok(api.get("/v1/receipts", params={"sku": at.sku, "status": "received"}))["items"] == []
    # Same id, same content: the existing receipt (200); other content: 409.
    seen = last_event_id(api)
    assert ok(api.post("/v1/receipts", json={**receipt_body(at, rid), "source": "harvest"})) == created
    problem(api.post("/v1/receipts", json=receipt_body(at, rid, 11)), 409,
            "exists_with_different_content")
    assert events_after(api, seen) == []
    assert ok(api.get(f"/v1/receipts/{rid}")) == created
    problem(api.get(f"/v1/receipts/{ids('nope')}"), 404)


def test_a_receipt_can_be_moved_resized_received_in_parts_and_closes(
    api: httpx.Client, ids: Ids
) -> None:
    at = make_position(api, ids)
    rid = ids("PO")
    ok(api.post("/v1/receipts", json=receipt_body(at, rid)), 201)
    moved = ok(api.patch(f"/v1/receipts/{rid}", json={"expected_date": "2026-03-01",
                                                      "quantity": 12}))
    assert (moved["expected_date"], moved["quantity"], moved["open"]) == ("2026-03-01", 12, 12)
    part = ok(api.post(f"/v1/receipts/{rid}/receive", json={"quantity": 5}))
    assert (part["received"], part["open"], part["status"]) == (5, 7, "open")
    problem(api.patch(f"/v1/receipts/{rid}", json={"quantity": 4}), 422, "below_received")
    problem(api.post(f"/v1/receipts/{rid}/receive", json={"quantity": 8}), 409, "exceeds_open")
    rest = ok(api.post(f"/v1/receipts/{rid}/receive"))
    assert (rest["received"], rest["open"], rest["status"]) == (12, 0, "received")
    position = ok(api.get(f"/v1/availability/{at.sku}", params={"location": at.location}))
    assert (position["on_hand"], position["incoming"]) == (12, 0)
    # Received: no longer patched, received or cancelled.
    problem(api.patch(f"/v1/receipts/{rid}", json={"quantity": 20}), 409, "not_open")
    problem(api.post(f"/v1/receipts/{rid}/receive", json={"quantity": 1}), 409, "not_open")
    problem(api.post(f"/v1/receipts/{rid}/cancel"), 409, "not_open")


def test_a_cancelled_receipt_takes_its_open_units_away(api: httpx.Client, ids: Ids) -> None:
    at = make_position(api, ids)
    account = make_account(api, ids)
    rid = ids("PO")
    ok(api.post("/v1/receipts", json=receipt_body(at, rid, 4)), 201)
    placed = order(api, ids, account, at, 3)
    assert placed["lines"][0]["promises"] == [  # type: ignore[index]
        {"quantity": 3, "date": "2026-02-01", "confirmed": True, "receipt": rid, "likely_by": "2026-02-01"}]
    cancelled = ok(api.post(f"/v1/receipts/{rid}/cancel"))
    assert (cancelled["status"], cancelled["open"]) == ("cancelled", 0)
    line = line_of(api, placed["id"])
    assert line["promises"] == [{"quantity": 3, "date": None, "confirmed": False}]
    assert ok(api.get(f"/v1/availability/{at.sku}",
                      params={"location": at.location}))["incoming"] == 0
    problem(api.post(f"/v1/receipts/{rid}/cancel"), 409, "not_open")
    problem(api.post(f"/v1/receipts/{ids('nope')}/cancel"), 404, "not_found")


def test_receiving_pegged_units_makes_them_held_in_rank_order(api: httpx.Client, ids: Ids) -> None:
    at = make_position(api, ids)
    account = make_account(api, ids)
    rid = ids("PO")
    ok(api.post("/v1/receipts", json=receipt_body(at, rid, 10)), 201)
    first = order(api, ids, account, at, 4)
    second = order(api, ids, account, at, 4)
    ok(api.post(f"/v1/receipts/{rid}/receive", json={"quantity": 6}))
    assert line_of(api, first["id"])["allocated"] == 4
    assert line_of(api, second["id"])["allocated"] == 2
    backorders = ok(api.get("/v1/backorders", params={"sku": at.sku}))["items"]
    assert [(b["order"], b["backordered"], b["queue_position"], b["confirmed"])
            for b in backorders] == [(second["id"], 2, 1, True)]
