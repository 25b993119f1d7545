"""A second literal reading of API.md and DESIGN.md ("Promising semantics"),
over real HTTP, covering what tests/e2e/test_contract_audit.py does not:
pagination of every list, the event envelope, the bulk endpoint, multi-line
orders, the receipt life cycle, and quotes that must equal the order placed
right after them.

Each test is named after the sentence it checks and asserts what the
documents say.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Any

import httpx
from tests.e2e.conftest import (
    Ids,
    Position,
    StartServer,
    events_after,
    free_port,
    last_event_id,
    make_account,
    make_position,
    ok,
    problem,
)
from tests.e2e.contract_helpers import (
    availability,
    commit,
    line_body,
    line_of,
    mine,
    place,
    receipt,
)

TODAY = "2026-01-05"


# ----------------------------------------------------------------------
# Helpers


def walk(api: httpx.Client, path: str, limit: int, **params: Any) -> list[dict[str, Any]]:
    """Every item of a list, page by page, checking each page's shape."""
    items: list[dict[str, Any]] = []
    query: dict[str, Any] = {**params, "limit": limit}
    for _ in range(10_000):
        page = ok(api.get(path, params=query))
        assert set(page) >= {"items", "next_cursor"}
        assert len(page["items"]) <= limit
        items += page["items"]
        if page["next_cursor"] is None:
            return items
        assert isinstance(page["next_cursor"], str) and page["next_cursor"]
        query["cursor"] = page["next_cursor"]
    raise AssertionError(f"{path}: the pages never end")


def batch(api: httpx.Client, orders: list[dict[str, Any]]) -> list[dict[str, Any]]:
    answer = ok(api.post("/v1/orders:batch", json={"orders": orders}))
    results: list[dict[str, Any]] = answer["results"]
    assert len(results) == len(orders)
    return results


def order_body(oid: str, account: str, at: Position, quantity: int, **line: Any
               ) -> dict[str, Any]:
    return {"id": oid, "account": account, "lines": [line_body(at, quantity, **line)]}


LIST_PATHS = ("/v1/items", "/v1/locations", "/v1/accounts", "/v1/orders", "/v1/commitments",
              "/v1/backorders", "/v1/events", "/v1/webhooks")


# ----------------------------------------------------------------------
# Pagination: "?limit= (default 100, max 1000) and ?cursor=; next_cursor
# null at the end"


def test_pagination_limit_above_1000_or_below_1_is_422_and_1000_is_accepted(
    api: httpx.Client, ids: Ids
) -> None:
    account = make_account(api, ids)
    paths = (*LIST_PATHS, f"/v1/accounts/{account}/notices")
    for path in paths:
        problem(api.get(path, params={"limit": 1001}), 422)
        problem(api.get(path, params={"limit": 0}), 422)
        problem(api.get(path, params={"limit": "ten"}), 422)
        page = ok(api.get(path, params={"limit": 1000}))
        assert len(page["items"]) <= 1000


def test_pagination_default_limit_is_100_and_walking_orders_returns_each_once(
    api: httpx.Client, ids: Ids
) -> None:
    at = make_position(api, ids, 1000)
    account, other = make_account(api, ids), make_account(api, ids, "other")
    wanted = [ids(f"SO-{n:03d}") for n in range(103)]
    results = batch(api, [order_body(oid, account, at, 1) for oid in wanted])
    assert [r["status"] for r in results] == [201] * 103
    batch(api, [order_body(ids("SO-OTHER"), other, at, 1)])
    first = ok(api.get("/v1/orders", params={"account": account}))
    assert len(first["items"]) == 100
    assert first["next_cursor"] is not None
    walked = walk(api, "/v1/orders", 7, account=account)
    assert [o["id"] for o in walked] == wanted  # each exactly once, in arrival order
    assert all(o["account"] == account for o in walked)
    # status= filters within the account.
    ok(api.post(f"/v1/orders/{wanted[0]}/cancel"))
    assert [o["id"] for o in walk(api, "/v1/orders", 10, account=account, status="closed")
            ] == [wanted[0]]
    assert [o["id"] for o in walk(api, "/v1/orders", 50, account=account, status="open")
            ] == wanted[1:]
    last = ok(api.get("/v1/orders", params={"account": account, "limit": 103}))
    assert (len(last["items"]), last["next_cursor"]) == (103, None)


def test_pagination_commitments_filter_by_account_sku_and_status_and_walk_each_once(
    api: httpx.Client, ids: Ids
) -> None:
    at = make_position(api, ids, 100)
    other_sku = make_position(api, ids, 100, name="OTHER")
    account, stranger = make_account(api, ids), make_account(api, ids, "stranger")
    wanted = [ids(f"C-{n}") for n in range(9)]
    for cid in wanted:
        commit(api, cid, account, at, 1, "2026-02-01")
    commit(api, ids("C-OTHER-SKU"), account, Position(other_sku.sku, at.location),
           1, "2026-02-01", status=409)  # the other sku is not at this location
    ok(api.post("/v1/adjustments", json={"sku": other_sku.sku, "location": at.location,
                                         "quantity": 5, "reason": "initial"}), 201)
    commit(api, ids("C-OTHER-SKU"), account, Position(other_sku.sku, at.location),
           1, "2026-02-01")
    commit(api, ids("C-STRANGER"), stranger, at, 1, "2026-02-01")
    ok(api.post(f"/v1/commitments/{wanted[4]}/release"))
    walked = walk(api, "/v1/commitments", 2, account=account, sku=at.sku)
    assert [c["id"] for c in walked] == wanted
    assert [c["id"] for c in walk(api, "/v1/commitments", 3, account=account, sku=at.sku,
                                  status="open")] == wanted[:4] + wanted[5:]
    assert [c["id"] for c in walk(api, "/v1/commitments", 3, account=account,
                                  status="released")] == [wanted[4]]


def test_pagination_backorders_walk_in_serving_order_with_queue_positions(
    api: httpx.Client, ids: Ids
) -> None:
    at = make_position(api, ids, 0)
    low = make_account(api, ids, "low", priority=500)
    high = make_account(api, ids, "high", priority=10)
    placed = []
    for n in range(6):
        oid = ids(f"SO-L{n}")
        place(api, oid, low, at, 1)
        placed.append(oid)
    high_orders = []
    for n in range(5):
        oid = ids(f"SO-H{n}")
        place(api, oid, high, at, 2)
        high_orders.append(oid)
    walked = walk(api, "/v1/backorders", 4, sku=at.sku, location=at.location)
    assert [b["order"] for b in walked] == high_orders + placed
    assert [b["queue_position"] for b in walked] == list(range(1, 12))
    for entry in walked:
        assert set(entry) >= {"order", "line", "account", "sku", "location", "backordered",
                              "queue_position", "promised_date", "confirmed"}
        assert entry["confirmed"] is False and entry["promised_date"] is None
    # ?account= narrows the list but queue_position stays the place in the queue.
    lows = walk(api, "/v1/backorders", 5, sku=at.sku, account=low)
    assert [(b["order"], b["queue_position"]) for b in lows] == [
        (oid, n + 6) for n, oid in enumerate(placed)]


def test_pagination_events_after_type_and_cursor_return_each_event_once_oldest_first(
    api: httpx.Client, ids: Ids
) -> None:
    at = make_position(api, ids, 0)
    seen = last_event_id(api)
    for _ in range(7):
        ok(api.post("/v1/adjustments", json={"sku": at.sku, "location": at.location,
                                             "quantity": 1, "reason": "count"}), 201)
    everything = walk(api, "/v1/events", 1000, after=seen)
    walked = walk(api, "/v1/events", 2, after=seen)
    assert [e["id"] for e in walked] == [e["id"] for e in everything]
    ids_seen = [e["id"] for e in walked]
    assert ids_seen == sorted(set(ids_seen)) and all(i > seen for i in ids_seen)
    typed = walk(api, "/v1/events", 3, after=seen, type="stock.adjusted")
    assert all(e["type"] == "stock.adjusted" for e in typed)
    assert len([e for e in typed if at.sku in str(e["data"])]) == 7
    assert [e["id"] for e in typed] == [e["id"] for e in walked if e["type"] == "stock.adjusted"]
    # after= alone, a page at a time (the way a poller reads).
    polled: list[int] = []
    after = seen
    while True:
        page = ok(api.get("/v1/events", params={"after": after, "limit": 3}))
        polled += [e["id"] for e in page["items"]]
        if not page["items"]:
            break
        after = page["items"][-1]["id"]
    assert polled[: len(ids_seen)] == ids_seen
    # The end of the stream: an empty page and a null cursor.
    page = ok(api.get("/v1/events", params={"after": 2**62, "limit": 5}))
    assert page == {"items": [], "next_cursor": None}


def test_pagination_webhooks_and_deliveries_walk_each_once(api: httpx.Client, ids: Ids) -> None:
    url = f"http://127.0.0.1:{free_port()}/hook"
    made = [ok(api.post("/v1/webhooks", json={"url": url, "events": ["receipt.received"],
                                              "secret": "s3cret"}), 201) for _ in range(3)]
    try:
        for hook in made:
            assert set(hook) >= {"id", "url", "events", "created_at"}
            assert "secret" not in hook
        listed = [w["id"] for w in walk(api, "/v1/webhooks", 1)]
        assert len(listed) == len(set(listed))
        assert [w for w in listed if w in {h["id"] for h in made}] == [h["id"] for h in made]
        one = ok(api.get(f"/v1/webhooks/{made[0]['id']}"))
        assert "secret" not in one and one["id"] == made[0]["id"]
        # Events for the webhook: two receipts received.
        at = make_position(api, ids, 0)
        for n in range(2):
            rid = ids(f"PO-{n}")
            receipt(api, rid, at, 1, "2026-02-01")
            ok(api.post(f"/v1/receipts/{rid}/receive"))
        deadline = time.monotonic() + 20
        deliveries: list[dict[str, Any]] = []
        while time.monotonic() < deadline:
            deliveries = walk(api, f"/v1/webhooks/{made[0]['id']}/deliveries", 1)
            # The dispatcher has tried the first. A later event waits behind an
            # undelivered one to the same webhook, so "every one tried" never
            # came and this waited out its whole deadline.
            if len(deliveries) >= 2 and deliveries[0]["attempts"] >= 1:
                break
            time.sleep(0.1)
        assert len(deliveries) >= 2
        event_ids = [d["event_id"] for d in deliveries]
        assert len(event_ids) == len(set(event_ids))
        for d in deliveries:
            assert set(d) >= {"event_id", "attempts", "status", "last_status_code",
                              "next_attempt_at"}
            assert d["status"] in {"pending", "delivered", "failed"}
            assert d["status"] != "delivered"  # nothing listens on that port
        problem(api.get("/v1/webhooks/no-such-hook/deliveries"), 404)
    finally:
        for hook in made:
            assert api.delete(f"/v1/webhooks/{hook['id']}").status_code == 204
    problem(api.get(f"/v1/webhooks/{made[0]['id']}"), 404)


def test_pagination_notices_newest_last_walk_each_once(api: httpx.Client, ids: Ids) -> None:
    at = make_position(api, ids, 0)
    account = make_account(api, ids)
    orders = [ids(f"SO-{n}") for n in range(4)]
    for oid in orders:
        place(api, oid, account, at, 1)
    ok(api.post("/v1/adjustments", json={"sku": at.sku, "location": at.location,
                                         "quantity": 4, "reason": "count"}), 201)
    deadline = time.monotonic() + 20
    everything: list[dict[str, Any]] = []
    while time.monotonic() < deadline:  # notices are written by a background dispatcher
        everything = walk(api, f"/v1/accounts/{account}/notices", 1000)
        if len(everything) >= 8:
            break
        time.sleep(0.3)
    walked = walk(api, f"/v1/accounts/{account}/notices", 3)
    assert walked == everything
    assert len({n["id"] for n in walked}) == len(walked) >= 4
    event_ids = [n["event_id"] for n in walked]
    assert event_ids == sorted(event_ids)  # newest last
    for notice in walked:
        assert set(notice) >= {"id", "event_id", "at", "subject", "text", "html"}
    problem(api.get("/v1/accounts/no-such-account/notices"), 404)


# ----------------------------------------------------------------------
# Events: "{id (increasing integer), type, at, data}"; timestamps RFC 3339 UTC


def test_events_every_event_is_id_type_at_data_with_an_rfc3339_utc_timestamp(
    api: httpx.Client, ids: Ids
) -> None:
    at = make_position(api, ids, 0)
    account = make_account(api, ids)
    seen = last_event_id(api)
    rid = ids("PO")
    receipt(api, rid, at, 5, "2026-03-01")
    ok(api.patch(f"/v1/receipts/{rid}", json={"expected_date": "2026-02-01"}))
    place(api, ids("SO"), account, at, 2)
    ok(api.post(f"/v1/receipts/{rid}/receive", json={"quantity": 3}))
    ok(api.post("/v1/adjustments", json={"sku": at.sku, "location": at.location,
                                         "quantity": 1, "reason": "count"}), 201)
    events = events_after(api, seen)
    types = {e["type"] for e in events if at.sku in str(e["data"]) or rid in str(e["data"])}
    assert {"receipt.changed", "receipt.received", "stock.adjusted"} <= types
    previous = seen
    for event in events:
        # API.md "Conventions": every event also carries its actor.
        assert set(event) == {"id", "type", "at", "data", "actor"}
        assert event["actor"] in ("anonymous", "system")  # the shared server has no keys
        assert isinstance(event["id"], int) and event["id"] > previous
        previous = event["id"]
        stamp = datetime.fromisoformat(event["at"].replace("Z", "+00:00"))
        assert stamp.utcoffset() == timedelta(0), event["at"]
        assert "T" in event["at"]
        assert isinstance(event["data"], dict)


def test_events_order_promise_changed_carries_old_and_new_date_when_a_receipt_slips(
    api: httpx.Client, ids: Ids
) -> None:
    at = make_position(api, ids, 0)
    account = make_account(api, ids)
    rid, oid = ids("PO"), ids("SO")
    receipt(api, rid, at, 5, "2026-02-01")
    place(api, oid, account, at, 5)
    seen = last_event_id(api)
    ok(api.patch(f"/v1/receipts/{rid}", json={"expected_date": "2026-03-01"}))
    assert mine(events_after(api, seen, "order.promise_changed"), oid) == [
        ("order.promise_changed", {"order": oid, "line": "1", "sku": at.sku,
                                   "location": at.location, "old_date": "2026-02-01",
                                   "new_date": "2026-03-01"})]


# ----------------------------------------------------------------------
# Bulk: "POST /v1/orders:batch ... (at most 1,000) → 200 {results: [{status:
# 201|200|4xx, body}]}, one per order, in order; each order succeeds or
# fails on its own."


def test_batch_results_one_per_order_in_order_each_on_its_own(
    api: httpx.Client, ids: Ids
) -> None:
    at = make_position(api, ids, 10)
    account = make_account(api, ids)
    existing = ids("SO-EXISTING")
    place(api, existing, account, at, 1)
    good, again = ids("SO-GOOD"), ids("SO-AGAIN")
    orders = [
        order_body(good, account, at, 2),                                   # 201
        order_body(ids("SO-BADSKU"), account, Position(ids("NOPE"), at.location), 1),  # 422
        order_body(again, account, at, 1),                                  # 201
        order_body(again, account, at, 1),                                  # identical: 200
        order_body(again, account, at, 3),                                  # different: 409
        order_body(existing, account, at, 1),                               # existing: 200
        {"id": ids("SO-MALFORMED"), "account": account},                    # no lines: 422
        order_body(ids("SO-NEG"), account, at, -1),                         # 422
        order_body(ids("SO-REJECT"), account, at, 100, backorder="reject"),  # 409
        order_body(ids("SO-NOACCT"), ids("nobody"), at, 1),                 # 422
        order_body(ids("SO-LAST"), account, at, 1),                         # 201
    ]
    results = batch(api, orders)
    assert [r["status"] for r in results] == [201, 422, 201, 200, 409, 200, 422, 422, 409,
                                              422, 201]
    for result in results:
        assert set(result) >= {"status", "body"}
        if result["status"] >= 400:
            assert result["body"]["status"] == result["status"]
            assert {"type", "title", "status", "detail"} <= set(result["body"])
        else:
            assert set(result["body"]) >= {"id", "account", "status", "lines"}
    assert results[0]["body"]["lines"][0]["allocated"] == 2
    assert results[3]["body"] == results[2]["body"]
    assert results[5]["body"]["id"] == existing
    assert results[10]["body"]["lines"][0]["allocated"] == 1
    # The failures changed nothing: 1 + 2 + 1 + 1 held.
    assert availability(api, at)["allocated"] == 5
    problem(api.get(f"/v1/orders/{ids('SO-REJECT')}"), 404)
    problem(api.get(f"/v1/orders/{ids('SO-BADSKU')}"), 404)


def test_batch_of_more_than_1000_orders_is_422_and_places_nothing(
    api: httpx.Client, ids: Ids
) -> None:
    at = make_position(api, ids, 0)
    account = make_account(api, ids)
    orders = [order_body(ids(f"SO-{n}"), account, at, 1) for n in range(1001)]
    problem(api.post("/v1/orders:batch", json={"orders": orders}), 422)
    assert ok(api.get("/v1/orders", params={"account": account}))["items"] == []


def test_batch_orders_take_their_place_in_the_queue_in_batch_order(
    api: httpx.Client, ids: Ids
) -> None:
    at = make_position(api, ids, 3)
    account = make_account(api, ids)
    names = [ids(f"SO-{n}") for n in range(4)]
    results = batch(api, [order_body(oid, account, at, 2) for oid in names])
    lines = [r["body"]["lines"][0] for r in results]
    assert [(ln["allocated"], ln["backordered"], ln["queue_position"]) for ln in lines] == [
        (2, 0, None), (1, 1, 1), (0, 2, 2), (0, 2, 3)]


# ----------------------------------------------------------------------
# Multi-line orders


def test_rank_lines_in_their_order_within_an_order_serve_line_1_first(
    api: httpx.Client, ids: Ids
) -> None:
    at = make_position(api, ids, 0)
    account = make_account(api, ids)
    oid = ids("SO")
    order = ok(api.post("/v1/orders", json={"id": oid, "account": account, "lines": [
        line_body(at, 2, "b"), line_body(at, 2, "a")]}), 201)
    assert [(ln["line"], ln["queue_position"]) for ln in order["lines"]] == [("b", 1), ("a", 2)]
    ok(api.post("/v1/adjustments", json={"sku": at.sku, "location": at.location,
                                         "quantity": 3, "reason": "count"}), 201)
    order = ok(api.get(f"/v1/orders/{oid}"))
    assert [(ln["line"], ln["allocated"], ln["queue_position"]) for ln in order["lines"]] == [
        ("b", 2, None), ("a", 1, 1)]


def test_rule_8_reject_with_one_line_short_refuses_the_whole_order_and_changes_nothing(
    api: httpx.Client, ids: Ids
) -> None:
    at = make_position(api, ids, 5)
    other = make_position(api, ids, 1, name="OTHER")
    account = make_account(api, ids)
    before = (availability(api, at), availability(api, other))
    seen = last_event_id(api)
    oid = ids("SO")
    problem(api.post("/v1/orders", json={"id": oid, "account": account, "lines": [
        line_body(at, 5, "1", backorder="reject"),
        line_body(other, 2, "2", backorder="reject")]}), 409)
    assert (availability(api, at), availability(api, other)) == before
    assert mine(events_after(api, seen), oid) == []
    problem(api.get(f"/v1/orders/{oid}"), 404)
    # A reject line also counts units the same order's earlier lines took.
    problem(api.post("/v1/orders", json={"id": oid, "account": account, "lines": [
        line_body(at, 3, "1", backorder="reject"),
        line_body(at, 3, "2", backorder="reject")]}), 409)
    assert availability(api, at) == before[0]
    # The same order, now possible, is placed.
    order = ok(api.post("/v1/orders", json={"id": oid, "account": account, "lines": [
        line_body(at, 5, "1", backorder="reject"),
        line_body(other, 1, "2", backorder="reject")]}), 201)
    assert [ln["status"] for ln in order["lines"]] == ["allocated", "allocated"]


def test_rule_8_a_reject_line_refuses_the_order_even_if_the_other_lines_allow_backorders(
    api: httpx.Client, ids: Ids
) -> None:
    at = make_position(api, ids, 1)
    account = make_account(api, ids)
    oid = ids("SO")
    problem(api.post("/v1/orders", json={"id": oid, "account": account, "lines": [
        line_body(at, 1, "1"), line_body(at, 5, "2", backorder="reject")]}), 409)
    assert availability(api, at)["available_now"] == 1
    problem(api.get(f"/v1/orders/{oid}"), 404)


def test_rule_8_deny_lines_cancel_their_rest_while_allow_lines_wait(
    api: httpx.Client, ids: Ids
) -> None:
    at = make_position(api, ids, 3)
    account = make_account(api, ids)
    oid = ids("SO")
    seen = last_event_id(api)
    order = ok(api.post("/v1/orders", json={"id": oid, "account": account, "lines": [
        line_body(at, 2, "1", backorder="deny"),
        line_body(at, 2, "2", backorder="deny"),
        line_body(at, 2, "3")]}), 201)
    got = [(ln["allocated"], ln["backordered"], ln["cancelled"], ln["status"])
           for ln in order["lines"]]
    assert got == [(2, 0, 0, "allocated"), (1, 0, 1, "allocated"), (0, 2, 0, "backordered")]
    assert order["status"] == "open"
    where = {"order": oid, "sku": at.sku, "location": at.location}
    assert sorted(mine(events_after(api, seen), oid), key=repr) == sorted([
        ("order.allocated", {**where, "line": "1", "quantity": 2}),
        ("order.allocated", {**where, "line": "2", "quantity": 1}),
        ("order.cancelled", {"order": oid, "line": "2", "quantity": 1}),
        ("order.backordered", {**where, "line": "3", "quantity": 2, "promised_date": None}),
    ], key=repr)


def test_location_a_multi_line_order_without_location_is_422_while_two_locations_exist(
    api: httpx.Client, ids: Ids
) -> None:
    at = make_position(api, ids, 3)
    account = make_account(api, ids)
    problem(api.post("/v1/orders", json={"id": ids("SO"), "account": account, "lines": [
        {"line": "1", "sku": at.sku, "quantity": 1}]}), 422)
    problem(api.post("/v1/promise", json={"sku": at.sku, "quantity": 1}), 422)


def test_location_left_out_with_exactly_one_location_is_that_location(
    start_server: StartServer,
) -> None:
    api = start_server().client
    ok(api.put("/v1/items/SKU", json={"name": "x"}), 201)
    ok(api.put("/v1/locations/ONLY", json={"name": "x"}), 201)
    ok(api.put("/v1/accounts/acct", json={"name": "x"}), 201)
    ok(api.post("/v1/adjustments", json={"sku": "SKU", "location": "ONLY", "quantity": 2,
                                         "reason": "initial"}), 201)
    quote = ok(api.post("/v1/promise", json={"sku": "SKU", "quantity": 3}))
    order = ok(api.post("/v1/orders", json={"id": "SO", "account": "acct", "lines": [
        {"line": "1", "sku": "SKU", "quantity": 3}]}), 201)
    line = order["lines"][0]
    assert (line["location"], line["allocated"], line["backordered"]) == ("ONLY", 2, 1)
    assert quote["location"] == "ONLY"
    assert (quote["promises"], quote["promised_date"]) == (line["promises"],
                                                           line["promised_date"])
    results = batch(api, [{"id": "SO-B", "account": "acct", "lines": [
        {"line": "1", "sku": "SKU", "quantity": 1}]}])
    assert results[0]["status"] == 201
    assert results[0]["body"]["lines"][0]["location"] == "ONLY"


# ----------------------------------------------------------------------
# Receipts


def test_rule_4_a_reduced_receipt_unpegs_the_latest_arrival_first(
    api: httpx.Client, ids: Ids
) -> None:
    at = make_position(api, ids, 0, item={"lead_time_days": 30})
    account = make_account(api, ids)
    rid = ids("PO")
    receipt(api, rid, at, 6, "2026-02-01")
    first, second, third = ids("SO-1"), ids("SO-2"), ids("SO-3")
    for oid in (first, second, third):
        place(api, oid, account, at, 2)
    seen = last_event_id(api)
    changed = ok(api.patch(f"/v1/receipts/{rid}", json={"quantity": 3}))
    assert (changed["quantity"], changed["open"], changed["status"]) == (3, 3, "open")
    assert line_of(api, first)["promises"] == [
        {"quantity": 2, "date": "2026-02-01", "confirmed": True, "receipt": rid, "likely_by": "2026-02-01"}]
    assert line_of(api, second)["promises"] == [
        {"quantity": 1, "date": "2026-02-01", "confirmed": True, "receipt": rid, "likely_by": "2026-02-01"},
        {"quantity": 1, "date": "2026-02-04", "confirmed": False}]
    assert line_of(api, third)["promises"] == [
        {"quantity": 2, "date": "2026-02-04", "confirmed": False}]
    changes = mine(events_after(api, seen, "order.promise_changed"), first, second, third)
    assert sorted(changes, key=repr) == sorted([
        ("order.promise_changed", {"order": second, "line": "1", "sku": at.sku,
                                   "location": at.location, "old_date": "2026-02-01",
                                   "new_date": "2026-02-04"}),
        ("order.promise_changed", {"order": third, "line": "1", "sku": at.sku,
                                   "location": at.location, "old_date": "2026-02-01",
                                   "new_date": "2026-02-04"})], key=repr)
    assert availability(api, at)["atp"][-1] == {"date": "2026-02-01", "supply": 3,
                                                 "available": 0}


def test_rule_4_a_reduced_receipt_unpegs_lowest_priority_first_and_rule_3_reserves_them(
    api: httpx.Client, ids: Ids
) -> None:
    at = make_position(api, ids, 0)
    high = make_account(api, ids, "high", priority=1)
    low = make_account(api, ids, "low", priority=900)
    early, late = ids("PO-EARLY"), ids("PO-LATE")
    receipt(api, early, at, 4, "2026-02-01")
    receipt(api, late, at, 4, "2026-03-01")
    low_order, high_order = ids("SO-LOW"), ids("SO-HIGH")
    place(api, low_order, low, at, 2)    # arrives first, lower priority
    place(api, high_order, high, at, 2)
    # Both on the early receipt; cut it to 2 → low loses and is re-served from late.
    ok(api.patch(f"/v1/receipts/{early}", json={"quantity": 2}))
    assert line_of(api, high_order)["promised_date"] == "2026-02-01"
    assert line_of(api, low_order)["promises"] == [
        {"quantity": 2, "date": "2026-03-01", "confirmed": True, "receipt": late, "likely_by": "2026-03-01"}]


def test_rule_3_a_receipt_moved_earlier_offers_its_free_units_to_later_pegs(
    api: httpx.Client, ids: Ids
) -> None:
    at = make_position(api, ids, 0)
    account = make_account(api, ids)
    march, april = ids("PO-MAR"), ids("PO-APR")
    receipt(api, march, at, 5, "2026-03-01")
    receipt(api, april, at, 10, "2026-04-01")
    x, y = ids("SO-X"), ids("SO-Y")
    place(api, x, account, at, 5)   # march
    place(api, y, account, at, 5)   # april
    seen = last_event_id(api)
    ok(api.patch(f"/v1/receipts/{april}", json={"expected_date": "2026-02-01"}))
    assert line_of(api, y)["promises"] == [
        {"quantity": 5, "date": "2026-02-01", "confirmed": True, "receipt": april, "likely_by": "2026-02-01"}]
    assert line_of(api, x)["promises"] == [
        {"quantity": 5, "date": "2026-02-01", "confirmed": True, "receipt": april, "likely_by": "2026-02-01"}]
    assert sorted(mine(events_after(api, seen, "order.promise_changed"), x, y), key=repr) == \
        sorted([
            ("order.promise_changed", {"order": x, "line": "1", "sku": at.sku,
                                       "location": at.location, "old_date": "2026-03-01",
                                       "new_date": "2026-02-01"}),
            ("order.promise_changed", {"order": y, "line": "1", "sku": at.sku,
                                       "location": at.location, "old_date": "2026-04-01",
                                       "new_date": "2026-02-01"})], key=repr)
    assert availability(api, at)["atp"] == [
        {"date": TODAY, "supply": 0, "available": 0},
        {"date": "2026-02-01", "supply": 10, "available": 0},
        {"date": "2026-03-01", "supply": 5, "available": 5}]


def test_receipt_receive_part_then_the_rest_then_it_is_closed_to_changes(
    api: httpx.Client, ids: Ids
) -> None:
    at = make_position(api, ids, 0)
    rid = ids("PO")
    made = receipt(api, rid, at, 10, "2026-02-01", source="harvest")
    assert {k: made[k] for k in ("id", "sku", "location", "quantity", "received", "open",
                                 "expected_date", "source", "status")} == {
        "id": rid, "sku": at.sku, "location": at.location, "quantity": 10, "received": 0,
        "open": 10, "expected_date": "2026-02-01", "source": "harvest", "status": "open"}
    part = ok(api.post(f"/v1/receipts/{rid}/receive", json={"quantity": 4}))
    assert (part["received"], part["open"], part["status"]) == (4, 6, "open")
    problem(api.post(f"/v1/receipts/{rid}/receive", json={"quantity": 7}), 409)
    problem(api.patch(f"/v1/receipts/{rid}", json={"quantity": 3}), 422)
    position = availability(api, at)
    assert (position["on_hand"], position["incoming"]) == (4, 6)
    rest = ok(api.post(f"/v1/receipts/{rid}/receive"))
    assert (rest["received"], rest["open"], rest["status"]) == (10, 0, "received")
    assert (availability(api, at)["on_hand"], availability(api, at)["incoming"]) == (10, 0)
    problem(api.post(f"/v1/receipts/{rid}/receive", json={"quantity": 1}), 409)
    problem(api.post(f"/v1/receipts/{rid}/receive"), 409)
    problem(api.patch(f"/v1/receipts/{rid}", json={"expected_date": "2026-03-01"}), 409)
    problem(api.post(f"/v1/receipts/{rid}/cancel"), 409)
    assert ok(api.get(f"/v1/receipts/{rid}"))["status"] == "received"


def test_receipt_cancelled_is_closed_to_patch_receive_and_cancel_with_409(
    api: httpx.Client, ids: Ids
) -> None:
    at = make_position(api, ids, 0)
    rid = ids("PO")
    receipt(api, rid, at, 10, "2026-02-01")
    ok(api.post(f"/v1/receipts/{rid}/receive", json={"quantity": 3}))
    cancelled = ok(api.post(f"/v1/receipts/{rid}/cancel"))
    assert (cancelled["status"], cancelled["received"], cancelled["open"]) == (
        "cancelled", 3, 0)
    position = availability(api, at)
    assert (position["on_hand"], position["incoming"]) == (3, 0)
    problem(api.patch(f"/v1/receipts/{rid}", json={"quantity": 5}), 409)
    problem(api.patch(f"/v1/receipts/{rid}", json={"expected_date": "2026-03-01"}), 409)
    problem(api.post(f"/v1/receipts/{rid}/receive"), 409)
    problem(api.post(f"/v1/receipts/{rid}/cancel"), 409)
    problem(api.post("/v1/receipts/no-such-receipt/cancel"), 404)


def test_receipt_receiving_more_than_is_open_is_409_and_changes_nothing(
    api: httpx.Client, ids: Ids
) -> None:
    at = make_position(api, ids, 0)
    rid = ids("PO")
    receipt(api, rid, at, 5, "2026-02-01")
    before = availability(api, at)
    problem(api.post(f"/v1/receipts/{rid}/receive", json={"quantity": 6}), 409)
    assert availability(api, at) == before
    assert ok(api.get(f"/v1/receipts/{rid}"))["open"] == 5


def test_receipt_a_late_receipt_serves_today_and_quotes_today(
    start_server: StartServer, ids: Ids
) -> None:
    """A receipt cannot be created in the past (422); one that became late as
    the calendar moved is dated today."""
    api = start_server().client
    at = make_position(api, ids, 0)
    account = make_account(api, ids)
    rid = ids("PO")
    problem(api.post("/v1/receipts", json={"id": rid, "sku": at.sku, "location": at.location,
                                          "quantity": 4, "expected_date": "2025-12-20"}), 422)
    receipt(api, rid, at, 4, "2026-01-06")
    ok(api.post("/v1/clock", json={"today": "2026-01-10"}))
    quote = ok(api.post("/v1/promise", json={"sku": at.sku, "location": at.location,
                                             "quantity": 2}))
    assert quote["promises"] == [{"quantity": 2, "date": "2026-01-10", "confirmed": True,
                                  "receipt": rid, "likely_by": "2026-01-10"}]
    line = place(api, ids("SO"), account, at, 2)["lines"][0]
    assert (line["promises"], line["promised_date"]) == (quote["promises"],
                                                         quote["promised_date"])
    # Pegged to a receipt, not held: nothing allocated, still backordered.
    assert (line["allocated"], line["backordered"]) == (0, 2)


# ----------------------------------------------------------------------
# Commitments


def test_rule_7_within_a_commitment_held_units_are_taken_first_and_waiting_last(
    api: httpx.Client, ids: Ids
) -> None:
    at = make_position(api, ids, 2)
    account = make_account(api, ids)
    rid = ids("PO")
    receipt(api, rid, at, 2, "2026-02-01")
    cid = ids("C")
    made = commit(api, cid, account, at, 6, TODAY, mode="partial")
    assert made["confirmed"] == 4
    line = place(api, ids("SO"), account, at, 3)["lines"][0]
    assert (line["allocated"], line["backordered"]) == (2, 1)
    assert line["promises"] == [
        {"quantity": 2, "date": TODAY, "confirmed": True},
        {"quantity": 1, "date": "2026-02-01", "confirmed": True, "receipt": rid, "likely_by": "2026-02-01"}]
    left = ok(api.get(f"/v1/commitments/{cid}"))
    assert (left["consumed"], left["remaining"], left["confirmed"]) == (3, 3, 1)


def test_rule_6_a_strict_commitment_met_only_after_its_need_date_is_refused(
    api: httpx.Client, ids: Ids
) -> None:
    at = make_position(api, ids, 0)
    account = make_account(api, ids)
    receipt(api, ids("PO-1"), at, 3, "2026-02-01")
    receipt(api, ids("PO-2"), at, 3, "2026-03-01")
    seen = last_event_id(api)
    refused = commit(api, ids("C"), account, at, 5, "2026-02-15", status=409)
    assert (refused["shortfall"], refused["earliest_date"]) == (2, "2026-03-01")
    assert events_after(api, seen) == []
    made = commit(api, ids("C"), account, at, 5, "2026-03-01")
    assert (made["status"], made["confirmed"], made["remaining"]) == ("open", 5, 5)


def test_rule_6_a_partial_commitment_confirmed_counts_only_pegged_units(
    api: httpx.Client, ids: Ids
) -> None:
    at = make_position(api, ids, 1)
    account = make_account(api, ids)
    receipt(api, ids("PO"), at, 2, "2026-05-01")  # after the need date: still a peg
    made = commit(api, ids("C"), account, at, 5, "2026-02-01", mode="partial")
    assert made["confirmed"] == 3
    assert made["promises"] == [
        {"quantity": 1, "date": "2026-02-01", "confirmed": True},
        {"quantity": 2, "date": "2026-05-01", "confirmed": True, "receipt": ids("PO"),
         "likely_by": "2026-05-01"},
        {"quantity": 2, "date": None, "confirmed": False}]


# ----------------------------------------------------------------------
# Availability and promising


def test_availability_safety_stock_shrinks_the_on_hand_bucket_and_available_now(
    api: httpx.Client, ids: Ids
) -> None:
    at = make_position(api, ids, 10, item={"safety_stock": 4})
    account = make_account(api, ids)
    position = availability(api, at)
    assert (position["on_hand"], position["available_now"]) == (10, 6)
    assert position["atp"] == [{"date": TODAY, "supply": 6, "available": 6}]
    line = place(api, ids("SO"), account, at, 8)["lines"][0]
    assert (line["allocated"], line["backordered"]) == (6, 2)
    position = availability(api, at)
    assert (position["allocated"], position["available_now"], position["backordered"]) == (
        6, 0, 2)


def test_availability_available_now_is_what_a_new_order_for_today_gets(
    api: httpx.Client, ids: Ids
) -> None:
    at = make_position(api, ids, 10)
    account = make_account(api, ids)
    receipt(api, ids("PO"), at, 5, "2026-03-01")
    commit(api, ids("C"), account, at, 8, "2026-04-01")  # takes March first, then 3 today
    place(api, ids("SO-1"), account, at, 0 + 1, requested_date="2026-06-01")
    now = availability(api, at)["available_now"]
    line = place(api, ids("SO-2"), make_account(api, ids, "b"), at, 100)["lines"][0]
    assert line["allocated"] == now


def promise_then_order(api: httpx.Client, ids: Ids, account: str, at: Position,
                       quantity: int, **line: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    body: dict[str, Any] = {"sku": at.sku, "location": at.location, "quantity": quantity,
                            "account": account}
    if "requested_date" in line:
        body["requested_date"] = line["requested_date"]
    quote = ok(api.post("/v1/promise", json=body))
    placed = place(api, ids("SO-Q"), account, at, quantity, **line)["lines"][0]
    return quote, placed


def test_promise_equals_the_order_placed_right_after_with_a_future_requested_date(
    api: httpx.Client, ids: Ids
) -> None:
    at = make_position(api, ids, 3, item={"lead_time_days": 20})
    account = make_account(api, ids)
    rid = ids("PO")
    receipt(api, rid, at, 4, "2026-02-01")
    receipt(api, ids("PO-2"), at, 4, "2026-04-01")
    quote, line = promise_then_order(api, ids, account, at, 12, requested_date="2026-03-01")
    assert (quote["promises"], quote["promised_date"]) == (line["promises"],
                                                           line["promised_date"])
    assert quote["complete"] is False
    assert quote["sku"] == at.sku and quote["quantity"] == 12


def test_promise_equals_the_order_placed_right_after_when_it_consumes_commitments(
    api: httpx.Client, ids: Ids
) -> None:
    at = make_position(api, ids, 4)
    account = make_account(api, ids)
    rid = ids("PO")
    receipt(api, rid, at, 6, "2026-02-01")
    commit(api, ids("C-1"), account, at, 3, "2026-03-01")   # pegs February
    commit(api, ids("C-2"), account, at, 2, "2026-01-10")   # pegs today
    quote, line = promise_then_order(api, ids, account, at, 8, requested_date="2026-01-20")
    assert (quote["promises"], quote["promised_date"]) == (line["promises"],
                                                           line["promised_date"])
    assert quote["complete"] is True
    # No side effects from the quote: consumption happened once, with the order.
    assert ok(api.get(f"/v1/commitments/{ids('C-2')}"))["consumed"] == 2


def test_promise_has_no_side_effects(api: httpx.Client, ids: Ids) -> None:
    at = make_position(api, ids, 4)
    account = make_account(api, ids)
    commit(api, ids("C"), account, at, 2, "2026-01-10")
    before = availability(api, at)
    seen = last_event_id(api)
    quote = ok(api.post("/v1/promise", json={"sku": at.sku, "location": at.location,
                                             "quantity": 10, "account": account}))
    assert quote["complete"] is False
    assert availability(api, at) == before
    assert ok(api.get(f"/v1/commitments/{ids('C')}"))["consumed"] == 0
    assert [e for e in events_after(api, seen) if at.sku in str(e["data"])] == []


# ----------------------------------------------------------------------
# Second round: combinations


def test_rule_4_a_partly_received_then_cancelled_receipt_unpegs_the_open_rest(
    api: httpx.Client, ids: Ids
) -> None:
    at = make_position(api, ids, 0)
    account = make_account(api, ids)
    rid = ids("PO")
    receipt(api, rid, at, 10, "2026-02-01")
    first, second = ids("SO-1"), ids("SO-2")
    place(api, first, account, at, 5)
    place(api, second, account, at, 5)
    ok(api.post(f"/v1/receipts/{rid}/receive", json={"quantity": 5}))
    assert line_of(api, first)["allocated"] == 5
    seen = last_event_id(api)
    ok(api.post(f"/v1/receipts/{rid}/cancel"))
    assert line_of(api, first)["status"] == "allocated"
    line = line_of(api, second)
    assert line["promises"] == [{"quantity": 5, "date": None, "confirmed": False}]
    assert line["promised_date"] is None
    assert mine(events_after(api, seen, "order.promise_changed"), second) == [
        ("order.promise_changed", {"order": second, "line": "1", "sku": at.sku,
                                   "location": at.location, "old_date": "2026-02-01",
                                   "new_date": None})]


def test_commitment_at_risk_when_its_receipt_is_reduced_says_shortfall_and_earliest_date(
    api: httpx.Client, ids: Ids
) -> None:
    at = make_position(api, ids, 0)
    account = make_account(api, ids)
    feb, may = ids("PO-FEB"), ids("PO-MAY")
    receipt(api, feb, at, 10, "2026-02-01")
    receipt(api, may, at, 10, "2026-05-01")
    cid = ids("C")
    commit(api, cid, account, at, 8, "2026-03-01")
    seen = last_event_id(api)
    ok(api.patch(f"/v1/receipts/{feb}", json={"quantity": 5}))
    assert mine(events_after(api, seen, "commitment.at_risk"), cid) == [
        ("commitment.at_risk", {"commitment": cid, "shortfall": 3,
                                "earliest_date": "2026-05-01"})]
    now = ok(api.get(f"/v1/commitments/{cid}"))
    assert now["promises"] == [
        {"quantity": 5, "date": "2026-03-01", "confirmed": True, "receipt": feb, "likely_by": "2026-03-01"},
        {"quantity": 3, "date": "2026-05-01", "confirmed": True, "receipt": may, "likely_by": "2026-05-01"}]
    assert (now["confirmed"], now["status"]) == (8, "open")


def test_rule_4_a_reduced_receipt_unpegs_a_later_order_before_an_earlier_commitment(
    api: httpx.Client, ids: Ids
) -> None:
    at = make_position(api, ids, 0)
    account, buyer = make_account(api, ids), make_account(api, ids, "buyer")
    rid = ids("PO")
    receipt(api, rid, at, 6, "2026-02-01")
    cid, oid = ids("C"), ids("SO")
    commit(api, cid, account, at, 3, "2026-02-01")
    place(api, oid, buyer, at, 3)
    ok(api.patch(f"/v1/receipts/{rid}", json={"quantity": 4}))
    assert ok(api.get(f"/v1/commitments/{cid}"))["confirmed"] == 3
    assert line_of(api, oid)["promises"] == [
        {"quantity": 1, "date": "2026-02-01", "confirmed": True, "receipt": rid, "likely_by": "2026-02-01"},
        {"quantity": 2, "date": None, "confirmed": False}]


def test_rule_7_consumed_units_are_made_earlier_by_free_on_hand_rule_3_second_step(
    api: httpx.Client, ids: Ids
) -> None:
    at = make_position(api, ids, 5)
    account = make_account(api, ids)
    rid = ids("PO")
    receipt(api, rid, at, 5, "2026-03-01")
    cid = ids("C")
    made = commit(api, cid, account, at, 5, "2026-04-01")
    assert made["promises"] == [
        {"quantity": 5, "date": "2026-04-01", "confirmed": True, "receipt": rid, "likely_by": "2026-04-01"}]
    quote = ok(api.post("/v1/promise", json={"sku": at.sku, "location": at.location,
                                             "quantity": 5, "account": account}))
    line = place(api, ids("SO"), account, at, 5)["lines"][0]
    assert line["promises"] == [{"quantity": 5, "date": TODAY, "confirmed": True}]
    assert (line["allocated"], line["backordered"]) == (5, 0)
    assert (quote["promises"], quote["promised_date"]) == (line["promises"],
                                                           line["promised_date"])
    assert ok(api.get(f"/v1/commitments/{cid}"))["status"] == "consumed"


def test_promise_with_a_past_requested_date_counts_as_today_like_the_order(
    api: httpx.Client, ids: Ids
) -> None:
    at = make_position(api, ids, 2)
    account = make_account(api, ids)
    receipt(api, ids("PO"), at, 2, "2026-02-01")
    quote, line = promise_then_order(api, ids, account, at, 4, requested_date="2025-11-01")
    assert quote["promises"] == [
        {"quantity": 2, "date": TODAY, "confirmed": True},
        {"quantity": 2, "date": "2026-02-01", "confirmed": True, "receipt": ids("PO"),
         "likely_by": "2026-02-01"}]
    assert (quote["promises"], quote["promised_date"]) == (line["promises"],
                                                           line["promised_date"])


def test_batch_an_idempotent_retry_returns_the_first_results_and_changes_nothing(
    api: httpx.Client, ids: Ids
) -> None:
    at = make_position(api, ids, 2)
    account = make_account(api, ids)
    orders = [order_body(ids("SO-1"), account, at, 2), order_body(ids("SO-2"), account, at, 1)]
    key = {"Idempotency-Key": ids("key")}
    first = ok(api.post("/v1/orders:batch", json={"orders": orders}, headers=key))
    again = ok(api.post("/v1/orders:batch", json={"orders": orders}, headers=key))
    assert again == first
    assert [r["status"] for r in first["results"]] == [201, 201]
    assert availability(api, at)["backordered"] == 1
    problem(api.post("/v1/orders:batch", json={"orders": orders[:1]}, headers=key), 422)


def test_batch_a_malformed_body_is_400_and_a_wrong_shape_is_422(
    api: httpx.Client, ids: Ids
) -> None:
    response = api.post("/v1/orders:batch", content=b'{"orders": [',
                        headers={"content-type": "application/json"})
    problem(response, 400)
    problem(api.post("/v1/orders:batch", json={"orders": "x"}), 422)
    problem(api.post("/v1/orders:batch", json={}), 422)
    results = batch(api, [5, {"id": ids("SO")}])  # type: ignore[list-item]
    assert [r["status"] for r in results] == [422, 422]


def test_events_default_page_is_100_items_with_a_cursor(api: httpx.Client, ids: Ids) -> None:
    at = make_position(api, ids, 0)
    account = make_account(api, ids)
    seen = last_event_id(api)
    batch(api, [order_body(ids(f"SO-{n}"), account, at, 1) for n in range(105)])
    page = ok(api.get("/v1/events", params={"after": seen}))
    assert len(page["items"]) == 100 and page["next_cursor"] is not None
    rest = ok(api.get("/v1/events", params={"after": seen, "cursor": page["next_cursor"]}))
    assert rest["items"][0]["id"] > page["items"][-1]["id"]
    problem(api.get("/v1/events", params={"after": -1}), 422)


def test_release_part_of_a_commitment_then_more_than_remains_is_409(
    api: httpx.Client, ids: Ids
) -> None:
    at = make_position(api, ids, 10)
    account = make_account(api, ids)
    cid = ids("C")
    commit(api, cid, account, at, 6, "2026-02-01")
    seen = last_event_id(api)
    part = ok(api.post(f"/v1/commitments/{cid}/release", json={"quantity": 2}))
    assert (part["remaining"], part["status"]) == (4, "open")
    problem(api.post(f"/v1/commitments/{cid}/release", json={"quantity": 5}), 409)
    rest = ok(api.post(f"/v1/commitments/{cid}/release"))
    assert (rest["remaining"], rest["status"]) == (0, "released")
    problem(api.post(f"/v1/commitments/{cid}/release"), 409)
    assert mine(events_after(api, seen, "commitment.released"), cid) == [
        ("commitment.released", {"commitment": cid, "quantity": 2}),
        ("commitment.released", {"commitment": cid, "quantity": 4})]
    assert availability(api, at)["committed"] == 0


def test_pagination_items_locations_accounts_walk_each_once(api: httpx.Client, ids: Ids) -> None:
    mine_items = [ids(f"ITEM-{n}") for n in range(5)]
    for sku in mine_items:
        ok(api.put(f"/v1/items/{sku}", json={"name": "x"}), 201)
    mine_locs = [ids(f"LOC-{n}") for n in range(5)]
    for code in mine_locs:
        ok(api.put(f"/v1/locations/{code}", json={"name": "x"}), 201)
    mine_accts = [ids(f"ACCT-{n}") for n in range(5)]
    for acct in mine_accts:
        ok(api.put(f"/v1/accounts/{acct}", json={"name": "x"}), 201)
    for path, key, wanted in (("/v1/items", "sku", mine_items),
                              ("/v1/locations", "code", mine_locs),
                              ("/v1/accounts", "id", mine_accts)):
        walked = [x[key] for x in walk(api, path, 3)]
        assert len(walked) == len(set(walked)), path
        assert set(wanted) <= set(walked), path
        assert [x[key] for x in walk(api, path, 1000)] == walked, path


def test_raising_safety_stock_takes_no_held_unit_back_and_reports_the_buffer_short(
    api: httpx.Client, ids: Ids
) -> None:
    """Safety stock is a buffer, not a customer: a larger buffer only offers less."""
    at = make_position(api, ids, 5)
    low = make_account(api, ids, "low", 500)
    high = make_account(api, ids, "high", 10)
    low_order, high_order = ids("SO-LOW"), ids("SO-HIGH")
    place(api, low_order, low, at, 3)
    place(api, high_order, high, at, 2)
    ok(api.put(f"/v1/items/{at.sku}", json={"name": "An item", "safety_stock": 3}))
    position = availability(api, at)
    # On-hand 5 - safety stock 3 = 2 supplied; 5 held, so nothing available.
    assert position["atp"][0] == {"date": TODAY, "supply": 2, "available": 0}
    assert (line_of(api, high_order)["allocated"], line_of(api, low_order)["allocated"]) == (2, 3)
    assert (position["allocated"], position["available_now"]) == (5, 0)
    assert position["safety_stock_short"] == 3


def test_lost_stock_eats_the_buffer_before_a_promise_over_http(
    api: httpx.Client, ids: Ids
) -> None:
    at = make_position(api, ids, 10)
    account = make_account(api, ids)
    order = ids("SO")
    ok(api.put(f"/v1/items/{at.sku}", json={"name": "An item", "safety_stock": 4}))
    place(api, order, account, at, 6)
    ok(api.post("/v1/adjustments", json={"sku": at.sku, "location": at.location,
                                         "quantity": -3, "reason": "damage"}), 201)
    # On-hand 7 still holds the 6 held units: the buffer lacks 6 + 4 - 7 = 3.
    assert line_of(api, order)["allocated"] == 6
    position = availability(api, at)
    assert (position["on_hand"], position["available_now"], position["safety_stock_short"]) == (7, 0, 3)
    assert position["atp"][0] == {"date": TODAY, "supply": 3, "available": 0}


def test_rule_3_second_step_serves_pegged_units_in_rank_order(
    api: httpx.Client, ids: Ids
) -> None:
    at = make_position(api, ids, 0)
    low = make_account(api, ids, "low", 500)
    high = make_account(api, ids, "high", 10)
    rid = ids("PO")
    receipt(api, rid, at, 4, "2026-03-01")
    low_order, high_order = ids("SO-LOW"), ids("SO-HIGH")
    place(api, low_order, low, at, 2)
    place(api, high_order, high, at, 2)
    ok(api.post("/v1/adjustments", json={"sku": at.sku, "location": at.location,
                                         "quantity": 2, "reason": "return"}), 201)
    assert line_of(api, high_order)["promises"] == [
        {"quantity": 2, "date": TODAY, "confirmed": True}]
    assert line_of(api, low_order)["promises"] == [
        {"quantity": 2, "date": "2026-03-01", "confirmed": True, "receipt": rid, "likely_by": "2026-03-01"}]


def test_cancel_frees_units_for_the_queue_with_order_allocated_events(
    api: httpx.Client, ids: Ids
) -> None:
    at = make_position(api, ids, 3)
    account = make_account(api, ids)
    first, second = ids("SO-1"), ids("SO-2")
    place(api, first, account, at, 3)
    place(api, second, account, at, 2)
    seen = last_event_id(api)
    ok(api.post(f"/v1/orders/{first}/cancel", json={"lines": [{"line": "1", "quantity": 2}]}))
    line = line_of(api, second)
    assert (line["allocated"], line["queue_position"], line["status"]) == (2, None, "allocated")
    assert sorted(mine(events_after(api, seen), first, second), key=repr) == sorted([
        ("order.cancelled", {"order": first, "line": "1", "quantity": 2}),
        ("order.allocated", {"order": second, "line": "1", "sku": at.sku,
                             "location": at.location, "quantity": 2}),
        # promised_date moved from null to today because of another's cancel.
        ("order.promise_changed", {"order": second, "line": "1", "sku": at.sku,
                                   "location": at.location, "old_date": None,
                                   "new_date": TODAY})], key=repr)


def test_strict_commitment_needed_in_the_past_counts_as_today(
    api: httpx.Client, ids: Ids
) -> None:
    at = make_position(api, ids, 3)
    account = make_account(api, ids)
    receipt(api, ids("PO"), at, 5, "2026-02-01")
    refused = commit(api, ids("C"), account, at, 4, "2025-12-01", status=409)
    assert (refused["shortfall"], refused["earliest_date"]) == (1, "2026-02-01")
    made = commit(api, ids("C"), account, at, 3, "2025-12-01")
    assert made["promises"] == [{"quantity": 3, "date": TODAY, "confirmed": True}]


def test_order_backordered_event_carries_the_lines_promised_date(
    api: httpx.Client, ids: Ids
) -> None:
    at = make_position(api, ids, 1)
    account = make_account(api, ids)
    rid = ids("PO")
    receipt(api, rid, at, 5, "2026-02-01")
    oid = ids("SO")
    seen = last_event_id(api)
    place(api, oid, account, at, 4, requested_date="2026-01-20")
    assert mine(events_after(api, seen, "order.backordered"), oid) == [
        ("order.backordered", {"order": oid, "line": "1", "sku": at.sku,
                               "location": at.location, "quantity": 3,
                               "promised_date": "2026-02-01"})]


def test_a_waiting_estimate_is_never_before_the_need_date_anywhere_it_is_shown(
    api: httpx.Client, ids: Ids
) -> None:
    """max(today + lead_time_days, need date): a customer who asks for June is never told January."""
    at = make_position(api, ids, 0, item={"lead_time_days": 14})
    account = make_account(api, ids)
    june, lead = "2026-06-01", "2026-01-19"
    order = ids("SO")
    placed = place(api, order, account, at, 2, requested_date=june)
    line = placed["lines"][0]
    assert line["promises"] == [{"quantity": 2, "date": june, "confirmed": False}]
    assert line["promised_date"] == june
    assert line_of(api, order)["promised_date"] == june
    asks_today = ids("SO-TODAY")
    assert place(api, asks_today, account, at, 1)["lines"][0]["promised_date"] == lead

    quote = ok(api.post("/v1/promise", json={"sku": at.sku, "location": at.location, "quantity": 3,
                                             "requested_date": june}))
    assert (quote["promised_date"], quote["complete"]) == (june, False)

    rows = ok(api.get("/v1/backorders", params={"sku": at.sku}))["items"]
    assert {r["order"]: r["promised_date"] for r in rows} == {order: june, asks_today: lead}

    cid = ids("C")
    contract = commit(api, cid, account, at, 4, june, mode="partial")
    assert contract["promises"] == [{"quantity": 4, "date": june, "confirmed": False}]
    assert ok(api.get(f"/v1/commitments/{cid}"))["promises"][0]["date"] == june


def test_lines_left_unnamed_are_numbered_by_their_place(api: httpx.Client, ids: Ids) -> None:
    at = make_position(api, ids, 5)
    account = make_account(api, ids)
    oid = ids("SO")
    body = {"id": oid, "account": account, "lines": [
        {"sku": at.sku, "location": at.location, "quantity": 1},
        {"sku": at.sku, "location": at.location, "quantity": 2}]}
    placed = ok(api.post("/v1/orders", json=body), 201)
    assert [ln["line"] for ln in placed["lines"]] == ["1", "2"]
    assert line_of(api, oid, "2")["allocated"] == 2
